"""Syndication (POSSE): copies of each post on other platforms, made exactly once, linked home.

The platform-independent engine: `copies` is behind `homepost syndicate` (each target's copies
made, updated and deleted exactly once against the outbox); `entry` turns a Post into the
platform-neutral Entry; `fitting` fits text into each platform's limits; `loopback` receives an
authorization's browser redirect. The durable record in the data folder (the outbox) and the labels of
copies on pages are `generator.sitedata`'s; the platforms themselves (their protocol, and one folder
each) are in generator.platforms.
"""
