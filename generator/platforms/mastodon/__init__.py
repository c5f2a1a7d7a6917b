"""Mastodon: `client` speaks its API, `syndicate` makes the copies (`MastodonPlatform`, `authorize`),
`backfeed` reads what answered them."""
