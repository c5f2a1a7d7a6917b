"""Micropub: `client` speaks Micropub and IndieAuth, `syndicate` makes the copies (`MicropubPlatform`,
`authorize`), `backfeed` has nothing to read (replies to a copy arrive as webmentions)."""
