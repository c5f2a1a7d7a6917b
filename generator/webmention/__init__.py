"""Webmention: discovering endpoints, sending, receiving and pulling mentions."""
