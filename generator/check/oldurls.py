"""`--urls`: the old site's URLs (a sitemap, a sitemap index or a list), each of which must answer in the new output."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from generator.check.report import Finding, Tally
from generator.check.resolve import Resolver
from generator.errors import ContentError, Problem

log = logging.getLogger(__name__)

MAX_DEPTH = 3  # a sitemap index may name sitemap indexes, this deep


def read_urls(path: Path, depth: int = 0) -> list[tuple[str, int | None, str]]:
    """The old URLs in `path` (a sitemap, or one URL or path a line), each as (url, line, file)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(Problem(str(path), f"cannot read the list of old URLs ({exc.strerror})")) from None
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _sitemap(path, data, depth)
    urls: list[tuple[str, int | None, str]] = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        url = line.strip()
        if not url or url.startswith("#"):  # a blank line, a comment
            continue
        parts = urlsplit(url)
        if " " in url or not (url.startswith("/") or parts.scheme in ("http", "https")):
            log.warning("%s", Problem(str(path), f"{url!r} is not a URL or a path starting with /; skipped", number))
            continue
        urls.append((url, number, str(path)))
    return urls


def _sitemap(path: Path, data: bytes, depth: int) -> list[tuple[str, int | None, str]]:
    """The <loc> of each <url> of a sitemap; of a sitemap index, the URLs of the sitemaps it names beside it."""
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ParseError as exc:
        line, column = exc.position
        raise ContentError(
            Problem(str(path), f"not a sitemap: invalid XML ({str(exc).rsplit(': line', 1)[0]})", line, column)
        ) from None
    except defusedxml.DefusedXmlException as exc:
        raise ContentError(Problem(str(path), f"not a sitemap: {exc}")) from None
    locs = [(loc.text or "").strip() for loc in root.iter() if _local(loc) == "loc"]
    if _local(root) == "urlset":
        return [(loc, None, str(path)) for loc in locs if loc]
    if _local(root) != "sitemapindex":
        raise ContentError(
            Problem(str(path), f"expected a sitemap (<urlset> or <sitemapindex>), found <{_local(root)}>")
        )
    urls = []
    for loc in locs:
        beside = path.parent / Path(urlsplit(loc).path).name
        if depth >= MAX_DEPTH or not beside.is_file():
            log.warning("%s", Problem(str(path), f"the sitemap {loc} is not beside it (as {beside.name}); skipped"))
            continue
        urls += read_urls(beside, depth + 1)
    return urls


def _local(element: Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def check_old_urls(urls: list[tuple[str, int | None, str]], resolver: Resolver) -> tuple[Tally, list[Finding]]:
    """Each old URL (from `read_urls`) that does not answer in the output (other hosts' URLs compared by path)."""
    tally, findings = Tally(), []
    seen: set[str] = set()
    for url, line, source in urls:
        old = urlsplit(url).path or "/"
        if old in seen:
            continue
        seen.add(old)
        tally.checked += 1
        answer = resolver.answer(old, loose=True)
        if not answer.answers:
            tally.failed += 1
            findings.append(Finding("old URLs", url, f"does not answer: {answer.reason}", source, line))
    return tally, findings
