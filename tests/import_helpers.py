"""Helpers for the `homepost import` tests: import a fixture with the real CLI, and ask whether old URLs answer."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.helpers import build, run_cli

FIXTURES = Path(__file__).parent / "import_fixtures"


def imported(kind: str, source: Path, site: Path, *args: str) -> Path:
    """`homepost -q import KIND SOURCE --into SITE ARGS...`, asserted to succeed; the site."""
    result = run_cli("-q", "import", kind, str(source), "--into", str(site), *args)
    assert result.exit_code == 0, result.output
    return site


def built(site: Path) -> Path:
    """The site built (asserted to succeed); its output folder."""
    result = build(site)
    assert result.exit_code == 0, result.output
    return site / "public"


def old_urls(site: Path, source: str) -> list[str]:
    """The old URLs the import listed in data/import/<source>-urls.txt."""
    return (site / "data" / "import" / f"{source}-urls.txt").read_text(encoding="utf-8").split()


def page_for(public: Path, url: str) -> Path:
    """The output file that answers an old URL (`/x/` -> x/index.html, `/x.html` -> x.html)."""
    path = unquote(urlsplit(url).path).lstrip("/")
    return public / path if path.endswith((".html", ".htm")) else public / path / "index.html"


def unanswered(public: Path, urls: list[str]) -> list[str]:
    """The old URLs with no page in the output, and those whose redirect page leads to no page."""
    missing = []
    for url in urls:
        page = page_for(public, url)
        if not page.is_file():
            missing.append(url)
            continue
        redirect = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', page.read_text(encoding="utf-8"))
        if redirect and not page_for(public, redirect.group(1)).is_file():
            missing.append(f"{url} -> {redirect.group(1)}")
    return missing


def front(path: Path) -> str:
    """The front matter of a written file, as text."""
    return path.read_text(encoding="utf-8").split("---\n", 2)[1]


def checked(site: Path, source: str) -> str:
    """`homepost check --urls data/import/<source>-urls.txt` of an imported site, asserted to pass; its output."""
    result = run_cli("check", "--site", str(site), "--urls", str(site / "data" / "import" / f"{source}-urls.txt"))
    assert result.exit_code == 0, result.output
    return result.output
