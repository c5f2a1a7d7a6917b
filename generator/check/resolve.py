"""Whether a path of the site answers in the built output, as a static host would serve it.

A path answers when the output has the file, or `index.html` in that folder, or when a redirect
leads to one: a redirect page (an alias, `<meta http-equiv="refresh">`) or a host rule in the
files the build writes for hosts (`_redirects`, `_nginx.conf`; pipeline/hosting.py). A forced
rule (`410!` in `_redirects`, an exact nginx `location`) wins over a file, as hosts apply it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

MAX_HOPS = 5
_NGINX_LOCATION = re.compile(r"location\s*=\s*(\S+)\s*\{[^}]*?return\s+(\d{3})(?:\s+([^;\s]+))?\s*;")
_NGINX_REWRITE = re.compile(r"rewrite\s+\^(\S+?)\$\s+(\S+)\s+(permanent|redirect)\s*;")


@dataclass(frozen=True)
class Rule:
    """A host rule: requests for `path` (ending in `*`: every path under it) answer `status`, redirected to `to`."""

    path: str
    to: str
    status: int
    forced: bool

    def match(self, path: str) -> str | None:
        """Where this rule sends `path` ("" when it answers without a redirect); None when it does not apply."""
        if self.path.endswith("*"):
            prefix = self.path[:-1]
            return self.to.replace(":splat", path[len(prefix) :]) if path.startswith(prefix) else None
        return self.to if self.path in (path, path.rstrip("/") or "/") else None


def read_rules(output: Path) -> list[Rule]:
    """The host rules of the output: `_redirects` (Netlify's format) and exact rules of `_nginx.conf`."""
    rules: list[Rule] = []
    redirects = output / "_redirects"
    if redirects.is_file():
        for line in redirects.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 2:
                status = parts[2] if len(parts) > 2 else "301"
                code = status.rstrip("!")
                if code.isdigit():
                    rules.append(Rule(parts[0], parts[1], int(code), status.endswith("!")))
    nginx = output / "_nginx.conf"
    if nginx.is_file():
        text = nginx.read_text(encoding="utf-8", errors="replace")
        for path, code, to in _NGINX_LOCATION.findall(text):
            rules.append(Rule(path, to, int(code), True))
        for path, to, flag in _NGINX_REWRITE.findall(text):
            rules.append(Rule(path, to, 301 if flag == "permanent" else 302, True))
    return rules


@dataclass(frozen=True)
class Answer:
    """How a path answers: the output file it ends at (None: it does not answer), and why not."""

    file: str | None
    reason: str = ""
    redirected: bool = False
    elsewhere: str = ""  # a redirect to another site: not followed

    @property
    def answers(self) -> bool:
        """True when the path answers: a file of the output, or a redirect to another site."""
        return self.file is not None or bool(self.elsewhere)


class Resolver:
    """Answers paths of one site (`origin`, `base` its base path) from its built output."""

    def __init__(self, origin: str, base: str, files: set[str], refresh: dict[str, str], rules: list[Rule]) -> None:
        self.origin, self.base, self.files, self.refresh, self.rules = origin, base, files, refresh, rules
        self.netloc = urlsplit(origin).netloc.lower()

    def page_url(self, rel: str) -> str:
        """The URL an output file is served at (a folder's index.html at the folder)."""
        return f"{self.origin}{self.base}{rel.removesuffix('index.html')}"

    def is_internal(self, url: str) -> bool:
        """True for an absolute http(s) URL on this site's host."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == self.netloc

    def answer(self, path: str, loose: bool = False) -> Answer:
        """How the URL path `path` (percent-encoded, base path included) answers; `loose` also tries `path.html`."""
        redirected = False
        for _ in range(MAX_HOPS):
            path = unquote(path) or "/"
            path = self.base if path + "/" == self.base else path  # a host adds the slash to the base path
            to, status = self._rule(path, forced=True)
            if status is None:
                found = self._file(path, loose)
                if found and found in self.refresh:
                    to, status = urljoin(self.page_url(found), self.refresh[found]), 301
                elif found:
                    return Answer(found, redirected=redirected)
                else:
                    to, status = self._rule(path, forced=False)
            if status is None:
                outside = not path.startswith(self.base)
                why = f"outside the site's base path {self.base}" if outside else "no such file in the output"
                return Answer(None, f"redirects to {path}: {why}" if redirected else why, redirected)
            if not 300 <= status < 400 or not to:
                why = f"a host rule answers {status}"
                return Answer(None, f"redirects to {path}: {why}" if redirected else why, redirected)
            target = urljoin(self.origin + path, to)
            if not self.is_internal(target):
                return Answer(None, redirected=True, elsewhere=target)
            path, redirected = urlsplit(target).path, True
        return Answer(None, f"more than {MAX_HOPS} redirects", redirected)

    def _rule(self, path: str, forced: bool) -> tuple[str, int | None]:
        for rule in self.rules:
            if rule.forced == forced and (to := rule.match(path)) is not None:
                return to, rule.status
        return "", None

    def _file(self, path: str, loose: bool) -> str | None:
        """The output file serving `path`: the file, index.html in the folder (or with `loose`, path.html)."""
        if not path.startswith(self.base):
            return None
        rel = path[len(self.base) :]
        candidates = [f"{rel.rstrip('/')}/index.html" if rel.strip("/") else "index.html"]
        if rel and not rel.endswith("/"):
            candidates.insert(0, rel)
            if loose:
                candidates.append(f"{rel}.html")
        return next((c for c in candidates if c in self.files), None)
