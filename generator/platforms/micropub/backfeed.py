"""Backfeed from Micropub: nothing to read, since replies to a Micropub copy arrive as webmentions.

Micropub (W3C Recommendation, 2017) has no way to ask what answered a post; the copy's site sends
webmentions home instead, which `homepost backfeed` pulls with the rest. The harvest is empty and
keeps the state it was given, so the platform has the same three sides as the others.
"""

from __future__ import annotations

from generator.platforms.base import Harvest


def harvest(state: dict[str, str]) -> Harvest:
    """An empty harvest that keeps `state`: Micropub has nothing that answers a copy to read."""
    return Harvest(state=state)
