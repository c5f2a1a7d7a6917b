"""Bluesky: `client` speaks its API, `syndicate` makes the copies (`BlueskyPlatform`, `authorize`),
`backfeed` reads what answered them."""
