"""Feeds of the site: RSS 2.0, Atom 1.0 and JSON Feed 1.1, site-wide and per term; the sitemap."""

FEED_FILES = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
