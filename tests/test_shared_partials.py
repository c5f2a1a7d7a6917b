"""`shared(template)`: partials that are the same on every page are rendered once per build and language."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from generator.errors import BuildError
from generator.pipeline.build import BuildOptions, build_site
from tests.helpers import NOW, SITE_TOML, write_files

POSTS = {
    "content/posts/2026-01-01-one.md": "---\ntitle: One\n---\n\nFirst.\n",
    "content/posts/2026-01-02-two.md": "---\ntitle: Two\n---\n\nSecond.\n",
    "content/posts/2026-01-03-drei.md": "---\ntitle: Drei\nlang: de\n---\n\nDritte.\n",
}


def test_a_shared_partial_is_rendered_once_per_language_and_shown_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    footer = '<footer class="site-footer">{{ site.title }} in {{ lang }}</footer>\n'
    write_files(tmp_path, {"site.toml": SITE_TOML, **POSTS, "templates/partials/footer.html": footer})
    renders: list[str | None] = []
    render = jinja2.Template.render
    monkeypatch.setattr(
        jinja2.Template, "render", lambda self, *a, **k: renders.append(self.name) or render(self, *a, **k)
    )
    build_site(tmp_path, BuildOptions(now=NOW, jobs=1))
    assert renders.count("partials/footer.html") == 2  # English and German pages, however many of each
    pages = list((tmp_path / "public").rglob("index.html"))
    assert len(pages) > 5
    for page in pages:
        assert "Test Site in " in page.read_text(encoding="utf-8"), page
    german = (tmp_path / "public/2026/01/drei/index.html").read_text(encoding="utf-8")
    assert "Test Site in de</footer>" in german


def test_a_shared_partial_that_asks_for_the_page_is_a_clear_error(tmp_path: Path) -> None:
    footer = "<footer>{{ page.kind }}</footer>\n"
    write_files(tmp_path, {"site.toml": SITE_TOML, **POSTS, "templates/partials/footer.html": footer})
    with pytest.raises(BuildError) as caught:
        build_site(tmp_path, BuildOptions(now=NOW, jobs=1))
    problem = caught.value.problems[0]
    assert problem.file == "templates/partials/footer.html" and problem.line == 1
    assert "'page' is undefined" in problem.message
    assert not (tmp_path / "public").exists()  # nothing half-made
