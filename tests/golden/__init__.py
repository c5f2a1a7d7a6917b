"""The golden site: a small site whose complete output is checked in under expected/.

After an intended change to the output, rewrite it with `make golden` (or
`python -m tests.golden`) and review the diff before committing.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from generator.pipeline.build import BuildOptions, build_site
from tests.helpers import NOW

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
EXPECTED = HERE / "expected"


def build_golden(output: Path) -> None:
    """Build (a copy of) the golden site into `output` at the fixed test moment, from a cold start."""
    with tempfile.TemporaryDirectory() as temp:
        site = Path(temp) / "site"
        shutil.copytree(SITE, site)
        build_site(site, BuildOptions(output=output, now=NOW, jobs=1))


def regenerate() -> None:
    """Replace expected/ with a fresh build."""
    shutil.rmtree(EXPECTED, ignore_errors=True)
    build_golden(EXPECTED)
