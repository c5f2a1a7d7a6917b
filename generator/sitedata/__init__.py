"""The site's data: what the network commands store in the data folder and the build only reads.

Responses (`responses.py`), the syndication outbox (`outbox.py`), the webmention send record
(`sent.py`), responders' pictures (`avatars.py`), how a post's responses are shown
(`conversations.py`) and how its copies are named (`labels.py`). The network features
(syndication, backfeed, webmention) import this package to read and write their files; this
package imports none of them, nor does the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from generator.config import Config
from generator.errors import ContentError, Problem
from generator.model import Response
from generator.sitedata.avatars import stored_avatars
from generator.sitedata.outbox import Outbox
from generator.sitedata.responses import load_responses
from generator.sitedata.sent import SentState
from generator.state import read_json


@dataclass(frozen=True)
class SiteData:
    """Everything in the data folder the build shows, as one value."""

    responses: Mapping[str, tuple[Response, ...]] = field(
        default_factory=dict
    )  # by the absolute URL of the page answered
    copies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # URLs of a post's copies, by its public URL
    sent: tuple[str, ...] = ()  # URL of every post the webmention sender knows (deleted ones too)
    avatars: frozenset[str] = frozenset()  # names of the pictures stored under data/avatars/
    followers: int = 0  # the site's fediverse followers, as the receiver counted them (never who)


def load_site_data(config: Config) -> SiteData:
    """The site's data as the files in its data folder hold it; ContentError naming a damaged file."""
    outbox = Outbox.load(config.data_dir)
    copies = {url: tuple(record.url for _, record in outbox.copies(url)) for url in outbox.records}
    return SiteData(
        responses=load_responses(config),
        copies={url: found for url, found in copies.items() if found},
        sent=tuple(SentState.load(config.data_dir).sources),
        avatars=stored_avatars(config.data_dir),
        followers=_followers(config),
    )


FEDIVERSE_STATS = "fediverse/stats.json"  # under data/: {"followers": N}, written by the receiver's worker


def _followers(config: Config) -> int:
    """How many follow the site on the fediverse (0 until the receiver has counted them)."""
    path = config.data_dir / FEDIVERSE_STATS
    count = read_json(path, {}, label=f"data/{FEDIVERSE_STATS}").get("followers", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ContentError(Problem(f"data/{FEDIVERSE_STATS}", "followers: expected a count (a whole number)"))
    return count
