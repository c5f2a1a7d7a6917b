"""Backfeed: what answered each copy of a post, brought home and shown as one conversation.

`poll` asks each platform (its `responses`, generator.platforms) and merges what it finds into
the data folder; `avatars` keeps small copies of authors' pictures so pages never hotlink them; `threads`
turns a post's stored responses into what its page shows: deduplicated, moderated, threaded.
"""
