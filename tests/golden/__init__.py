"""The golden site: a small site whose complete output is checked in under expected/.

After an intended change to the output, rewrite it with `make golden` (or
`python -m tests.golden`) and review the diff before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.build.pipeline import BuildOptions, build_site
from tests.helpers import NOW

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
EXPECTED = HERE / "expected"


def build_golden(output: Path) -> None:
    """Build the golden site into `output` at the fixed test moment."""
    build_site(SITE, BuildOptions(output=output, now=NOW))


def regenerate() -> None:
    """Replace expected/ with a fresh build."""
    shutil.rmtree(EXPECTED, ignore_errors=True)
    build_golden(EXPECTED)
