"""Files for the web host: 410 Gone for deleted posts, 301 for data/aliases.txt's old URLs, the Webmention Link header.

A static host cannot be told by a page what status to answer with, so the build writes the rules
in the forms common hosts read: `_redirects` and `_headers` (Netlify, Cloudflare Pages and others
that copied the format) and `_nginx.conf`, a snippet to include in an nginx server block. A file
of the same name in the site's static/ folder wins (and then the rules are yours to add).
"""

from __future__ import annotations

from urllib.parse import quote

from generator.config import Config
from generator.content.paths import is_file_path
from generator.model import Post


def host_files(config: Config, gone: tuple[str, ...], moved: tuple[tuple[str, Post], ...] = ()) -> dict[str, bytes]:
    """The host rule files this site needs (none when it has no deleted posts, no moved ones and no endpoint).

    `moved` (the list of old URLs, data/aliases.txt) answer 301 with the post's URL."""
    base = config.site.base_path
    endpoint = config.webmention.endpoint
    files: dict[str, bytes] = {}
    redirects = [f"{base}{rel} {base}{rel} 410!" for rel in gone]
    headers = [f"{base}*", f'  Link: <{endpoint}>; rel="webmention"'] if endpoint else []
    redirects += [f"{base}{quote(old.lstrip('/'))} {post.path} 301" for old, post in moved]
    nginx = [f"location = {base}{rel} {{ error_page 410 {base}{_page_file(rel)}; return 410; }}" for rel in gone]
    nginx += [f"location = {base}{quote(old.lstrip('/'))} {{ return 301 {post.path}; }}" for old, post in moved]
    if endpoint:
        nginx.append(f"add_header Link '<{endpoint}>; rel=\"webmention\"' always;")
    if redirects:
        comment = "# Homepost: pages of deleted posts answer 410 Gone" + (
            "; old URLs (data/aliases.txt) 301" if moved else ""
        )
        files["_redirects"] = _lines(comment, redirects)
    if headers:
        files["_headers"] = _lines("# Homepost: advertise the Webmention endpoint on every page", headers)
    if nginx:
        files["_nginx.conf"] = _lines("# Homepost: include this file in the site's nginx server block", nginx)
    return files


def _page_file(rel: str) -> str:
    """The file the host serves for a site path: itself for "x.html", its index.html for "x/"."""
    return rel if is_file_path(rel) else rel + "index.html"


def _lines(comment: str, lines: list[str]) -> bytes:
    return ("\n".join([comment, *lines]) + "\n").encode("utf-8")
