"""Stable short hashes, for cache keys and fingerprints."""

from __future__ import annotations

import hashlib


def digest(*parts: str | bytes) -> str:
    """A short, stable hash: of raw bytes when given one bytes value, else of the parts' repr.

    The repr of a tuple delimits its members, so ("ab", "c") and ("a", "bc") differ.
    """
    if len(parts) == 1 and isinstance(parts[0], bytes):
        data = parts[0]
    else:
        data = repr(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()
