"""Syndication (POSSE): copies of each post on other platforms, made exactly once, linked home.

`base` defines what every platform module implements (the Platform protocol) and the values that
pass between them; `text` fits text into each platform's limits; `entry` turns a Post into the
platform-neutral Entry; the durable record in the data folder is `generator.sitedata.outbox`; `run` is the
orchestrator behind `homepost syndicate`; `platforms/` holds one module per platform.
"""
