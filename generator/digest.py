"""Stable short hashes, for cache keys and fingerprints."""

from __future__ import annotations

import hashlib


def digest(*parts: object) -> str:
    """A short, stable hash: of raw bytes when given one bytes value, else of the parts' repr.

    The repr of a tuple delimits its members, so ("ab", "c") and ("a", "bc") differ.
    """
    if len(parts) == 1 and isinstance(parts[0], bytes):
        data = parts[0]
    else:
        data = repr(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def quick_digest(*parts: object) -> str:
    """A faster hash of parts, for fingerprints that live only in the build cache.

    Each part is hashed with its kind and length in front, so ("ab", "c") and ("a", "bc") differ,
    and so do "None" and None; a part that is neither text nor bytes is hashed by its repr. Its
    values are not those of `digest`: never use it for anything kept outside `.homepost/cache/`.
    """
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        if type(part) is str:
            data, mark = part.encode("utf-8", "surrogatepass"), b"s"
        elif type(part) is bytes:
            data, mark = part, b"b"
        else:
            data, mark = repr(part).encode("utf-8", "surrogatepass"), b"r"
        hasher.update(mark + len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()
