"""Files for the web host: 410 Gone for deleted posts, 301 for data/aliases.txt's old URLs, the Webmention Link
header, the fediverse documents' types.

A static host cannot be told by a page what status to answer with, so the build writes the rules
in the forms common hosts read: `_redirects` and `_headers` (Netlify, Cloudflare Pages and others
that copied the format) and `_nginx.conf`, a snippet to include in an nginx server block. A file
of the same name in the site's static/ folder wins (and then the rules are yours to add).
"""

from __future__ import annotations

import re
from urllib.parse import quote

from generator.config import Config
from generator.content.paths import is_file_path
from generator.fediverse import urls
from generator.model import Post

# The fediverse documents' content types (each also answers any origin: Access-Control-Allow-Origin *).
ACTIVITY_JSON = "application/activity+json"
FEDIVERSE_TYPES = (
    (urls.WEBFINGER_FILE, "application/jrd+json"),
    (urls.HOST_META_FILE, "application/xrd+xml"),
    (urls.NODEINFO_LINKS_FILE, "application/json"),
    (urls.NODEINFO_FILE, 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'),
)


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
    if config.fediverse.enabled:
        more_headers, more_nginx = fediverse_rules(base)
        headers += more_headers
        nginx += more_nginx
    if redirects:
        comment = "# Homepost: pages of deleted posts answer 410 Gone" + (
            "; old URLs (data/aliases.txt) 301" if moved else ""
        )
        files["_redirects"] = _lines(comment, redirects)
    if headers:
        files["_headers"] = _lines(
            "# Homepost: the Webmention endpoint on every page, the fediverse documents' types", headers
        )
    if nginx:
        files["_nginx.conf"] = _lines("# Homepost: include this file in the site's nginx server block", nginx)
    return files


def fediverse_rules(base: str) -> tuple[list[str], list[str]]:
    """`_headers` and nginx rules serving WebFinger, host-meta and the ActivityPub documents: types and CORS."""
    cors = "Access-Control-Allow-Origin: *"
    headers: list[str] = []
    nginx: list[str] = []
    for file, media_type in FEDIVERSE_TYPES:
        headers += [f"{base}{file}", f"  Content-Type: {media_type}", f"  {cors}"]
        nginx.append(_nginx_location(f"= {base}{file}", media_type))
    for pattern in (f"{base}{urls.DOCUMENTS}*", f"{base}*{urls.OBJECT_NAME}"):
        headers += [pattern, f"  Content-Type: {ACTIVITY_JSON}", f"  {cors}"]
    documents = re.escape(urls.DOCUMENTS) + r".*\.json|.*" + re.escape(urls.OBJECT_NAME)
    nginx.append(_nginx_location(f"~ ^{re.escape(base)}({documents})$", ACTIVITY_JSON))
    return headers, nginx


def _nginx_location(match: str, media_type: str) -> str:
    """An nginx location serving its files as `media_type` to any origin."""
    if " " in media_type:
        media_type = f"'{media_type}'"
    return (
        f"location {match} {{ types {{ }} default_type {media_type}; "
        'add_header Access-Control-Allow-Origin "*" always; }'
    )


def _page_file(rel: str) -> str:
    """The file the host serves for a site path: itself for "x.html", its index.html for "x/"."""
    return rel if is_file_path(rel) else rel + "index.html"


def _lines(comment: str, lines: list[str]) -> bytes:
    return ("\n".join([comment, *lines]) + "\n").encode("utf-8")
