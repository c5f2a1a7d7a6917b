"""Backfeed: what answered each copy of a post, brought home and shown as one conversation.

`poll` asks each platform (its `responses`, generator.platforms) and merges what it finds into
the data folder; `avatars` fetches small copies of authors' pictures so pages never hotlink them. What is
stored, and how a page shows it (deduplicated, moderated, threaded), is `generator.sitedata`'s.
"""
