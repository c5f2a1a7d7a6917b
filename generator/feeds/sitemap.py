"""sitemap.xml and robots.txt."""

from __future__ import annotations

import datetime as dt
from html import escape


def sitemap_xml(entries: list[tuple[str, dt.datetime | None]]) -> bytes:
    """A sitemap of absolute URLs, each with its last modification time when known."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, lastmod in entries:
        when = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{escape(url, quote=False)}</loc>{when}</url>")
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def robots_txt(sitemap_url: str) -> bytes:
    """A robots.txt that allows everything and points at the sitemap."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n".encode()
