"""Every internal link, image and fragment of the built pages, and the Markdown line each is written on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from generator.check.pages import PageScan, Ref
from generator.check.report import Finding, Seen, Tally, findings_for
from generator.check.resolve import Answer, Resolver
from generator.config import CONFIG_NAME
from generator.content.links import line_of
from generator.model import Site

SCHEMES = ("", "http", "https")
TOP = ("", "top")  # fragments every page has: the page itself, its top
TEXT_FRAGMENT = ":~:"  # `#:~:text=...` points at words, not at an id


class Sources:
    """Which Markdown file an output page was made from, and the line a URL is written on in it."""

    def __init__(self, root: Path, site: Site | None) -> None:
        self.root = root
        posts = (site.posts + site.pages) if site else []
        self.by_page = {post.dest: f"content/{post.source}" for post in posts}
        self._texts: dict[str, str] = {}

    def seen(self, page: str, ref: Ref, url: str) -> Seen:
        """Where `ref` (at `url`) of output page `page` is written: the Markdown file and line when it is
        there, else site.toml's line when the URL is written in the configuration (a theme shows it)."""
        source = self.by_page.get(page, "")
        line = self.line(source, ref) if source else None
        if line is not None:
            return Seen(page, source, line)
        line = self.line(CONFIG_NAME, Ref(ref.tag, url, ref.kind))
        return Seen(page, CONFIG_NAME, line) if line is not None else Seen(page)

    def line(self, source: str, ref: Ref) -> int | None:
        """The line of `source` where `ref` is written: its URL as written, without the fragment, else its text."""
        if source not in self._texts:
            self._texts[source] = (self.root / source).read_text(encoding="utf-8", errors="replace")
        text = self._texts[source]
        for url in dict.fromkeys((ref.url, ref.url.split("#", 1)[0], unquote(ref.url))):
            if url and (line := line_of(text, url)) is not None:
                return line
        if len(ref.text) > 2:
            for number, written in enumerate(text.splitlines(), 1):
                if ref.text in written:
                    return number
        return None


@dataclass
class Found:
    """What one kind of check looked at and found: the tallies and the places of each failing URL."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    failures: dict[tuple[str, str, str], list[Seen]] = field(default_factory=dict)  # (kind, url, message) -> places
    outgoing: dict[str, list[tuple[str, Ref]]] = field(default_factory=dict)  # URLs of other sites -> (page, ref)

    def findings(self) -> list[Finding]:
        """The failures as findings, one per source file."""
        return [
            found
            for (kind, url, message), seen in self.failures.items()
            for found in findings_for(kind, url, message, seen)
        ]


def check_internal(scans: dict[str, PageScan], resolver: Resolver, sources: Sources) -> Found:
    """Check each internal URL of each page (once per target); note URLs to other sites for --external."""
    found = Found(tallies={"links": Tally(), "images": Tally(), "fragments": Tally()})
    answers: dict[str, Answer] = {}
    checked: dict[str, set[str]] = {"links": set(), "images": set(), "fragments": set()}
    joined: dict[tuple[str, str], tuple[str, SplitResult, bool]] = {}  # (page URL or "", URL) -> joined, parts, ours
    for page, scan in scans.items():
        base = resolver.page_url(page)
        for ref in scan.refs:
            key = ("", ref.url) if ref.url.startswith("/") and not ref.url.startswith("//") else (base, ref.url)
            if key not in joined:  # a root-relative URL joins the same on every page
                target = urljoin(base, ref.url)
                joined[key] = (target, urlsplit(target), resolver.is_internal(target))
            target, parts, ours = joined[key]
            if parts.scheme not in SCHEMES:
                continue
            if not ours:
                if ref.tag != "link":
                    found.outgoing.setdefault(target.split("#", 1)[0], []).append((page, ref))
                continue
            answer = answers.get(parts.path)
            if answer is None:
                answer = answers[parts.path] = resolver.answer(parts.path)
            checked[ref.kind].add(parts.path)
            if not answer.answers:
                _fail(found, ref.kind, ref.url, answer.reason, sources.seen(page, ref, target))
                continue
            fragment = unquote(parts.fragment)
            if answer.file in scans and fragment not in TOP and not fragment.startswith(TEXT_FRAGMENT):
                checked["fragments"].add(f"{answer.file}#{fragment}")
                if fragment not in scans[answer.file].ids:
                    message = f"no element with id {fragment!r} on {answer.file}"
                    _fail(found, "fragments", ref.url, message, sources.seen(page, ref, target))
    for kind, urls in checked.items():
        found.tallies[kind].checked = len(urls)
        found.tallies[kind].failed = len({url for k, url, _ in found.failures if k == kind})
    return found


def _fail(found: Found, kind: str, url: str, reason: str, seen: Seen) -> None:
    found.failures.setdefault((kind, url, reason), []).append(seen)
