"""Tumblr: `client` speaks its API, `syndicate` makes the copies (`TumblrPlatform`, `authorize`),
`backfeed` reads what answered them."""
