"""Both Markdown paths give the same bytes: for random documents (hypothesis), and for every difference found.

`make test` runs a few hundred documents, the same ones each time; `make fuzz` runs HOMEPOST_FUZZ_EXAMPLES
(100,000) new ones. A document on which the paths ever differed goes into tests/markdown_corpus/, one file each.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("markdown_it_pyrs")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.markdown_documents import documents  # noqa: E402
from tests.markdown_helpers import assert_same  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "markdown_corpus"
FUZZING = "HOMEPOST_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("HOMEPOST_FUZZ_EXAMPLES", "300"))


@settings(
    max_examples=EXAMPLES,
    derandomize=not FUZZING,
    database=None,
    deadline=None,
    print_blob=FUZZING,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(text=documents())
@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # hypothesis describing the grammar's strategies
def test_random_documents_render_the_same_on_both_paths(engines, images, text):
    assert_same(engines, images, text)


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.md"))


def test_the_corpus_is_there():
    assert len(corpus()) >= 10


@pytest.mark.parametrize("path", corpus(), ids=lambda path: path.stem)
def test_corpus_document_renders_the_same_on_both_paths(engines, images, path):
    with path.open(encoding="utf-8", newline="") as file:  # as written: tabs, carriage returns and all
        assert_same(engines, images, file.read(), path.stem)
