"""Rate limits held across runs: the one Retry-After reader, the record in .homepost/, and
`homepost syndicate` end to end against the Mastodon and Bluesky fakes answering 429 on cue.

Webmention sending (per host), backfeed (per target) and publish have their own tests in their
test files; time passes there through an injected clock or by editing the record, never by sleeping.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from email.utils import format_datetime
from pathlib import Path

import pytest

from generator.ratelimit import MAX_WAIT, RATE_LIMITS_FILE, RateLimits, Skipped, host_key, retry_after, target_key
from tests.helpers import NOW, build, run_cli, write_files


def post(day: int) -> str:
    return f"---\ntitle: Post {day}\ndate: 2026-05-0{day}\n---\nThe body of post {day}.\n"


# --- reading what a reply asks --------------------------------------------------------------


def test_retry_after_reads_delay_seconds_and_http_dates() -> None:
    assert retry_after({"Retry-After": "120"}, NOW) == 120
    assert retry_after({"retry-after": "Mon, 01 Jun 2026 12:01:00 GMT"}, NOW) == 60
    assert retry_after({"Retry-After": "Mon, 01 Jun 2026 11:00:00 GMT"}, NOW) == 0  # already past
    assert retry_after({"Retry-After": "soon"}, NOW) is None
    assert retry_after({}, NOW) is None


def test_retry_after_is_clamped_to_a_day() -> None:
    assert retry_after({"Retry-After": "999999999"}, NOW) == MAX_WAIT
    assert retry_after({"Retry-After": "Fri, 01 Jan 2027 00:00:00 GMT"}, NOW) == MAX_WAIT


def test_a_used_up_limit_waits_for_its_reset_in_each_platforms_form() -> None:
    mastodon = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-06-01T12:05:00.000000Z"}
    assert retry_after(mastodon, NOW) == 300
    assert retry_after({**mastodon, "X-RateLimit-Remaining": "12"}, NOW) is None  # not used up: the reset says nothing
    bluesky = {"ratelimit-remaining": "0", "ratelimit-reset": str(int(NOW.timestamp()) + 90)}
    assert retry_after(bluesky, NOW) == 90
    tumblr = {
        "X-Ratelimit-Perhour-Remaining": "0",
        "X-Ratelimit-Perhour-Reset": "1800",
        "X-Ratelimit-Perday-Remaining": "0",
        "X-Ratelimit-Perday-Reset": "43200",
    }
    assert retry_after(tumblr, NOW) == 43200  # both used up: the later reset
    assert retry_after({**mastodon, "Retry-After": "30"}, NOW) == 30  # Retry-After first


# --- the record -------------------------------------------------------------------------------


def test_a_limit_is_kept_on_disk_until_its_time_and_the_later_one_wins(tmp_path: Path) -> None:
    limits = RateLimits.load(tmp_path)
    limits.hold(target_key("social"), 600, NOW, "social: rate-limited")
    limits.hold(target_key("social"), 60, NOW)  # a shorter wait does not shorten the known one
    again = RateLimits.load(tmp_path)
    limit = again.get("target:social", NOW + dt.timedelta(seconds=599))
    assert (
        limit is not None and limit.until == NOW + dt.timedelta(seconds=600) and limit.reason == "social: rate-limited"
    )
    assert again.get("target:social", NOW + dt.timedelta(seconds=600)) is None
    assert again.get("target:other", NOW) is None


def test_two_commands_holding_at_once_keep_both_limits(tmp_path: Path) -> None:
    first, second = RateLimits.load(tmp_path), RateLimits.load(tmp_path)
    first.hold("target:social", 600, NOW)
    second.hold(host_key("https://Example.COM/webmention"), 60, NOW)
    saved = json.loads((tmp_path / RATE_LIMITS_FILE).read_text())["limits"]
    assert sorted(saved) == ["host:example.com", "target:social"]


def test_expired_limits_are_dropped_and_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    RateLimits.load(tmp_path).hold("target:old", 60, NOW)
    RateLimits.load(tmp_path).hold("target:new", 60, NOW + dt.timedelta(hours=1))
    assert list(json.loads((tmp_path / RATE_LIMITS_FILE).read_text())["limits"]) == ["target:new"]
    before = (tmp_path / RATE_LIMITS_FILE).read_bytes()
    dry = RateLimits.load(tmp_path, dry_run=True)
    dry.hold("target:dry", 600, NOW + dt.timedelta(hours=1))
    assert dry.get("target:dry", NOW + dt.timedelta(hours=1)) is not None
    assert (tmp_path / RATE_LIMITS_FILE).read_bytes() == before


def test_a_damaged_record_is_a_warning_and_read_as_empty(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / RATE_LIMITS_FILE).write_text('{"format": 1, "limits": {\n  "target:social": {"until": \n')
    with caplog.at_level(logging.WARNING, logger="generator.ratelimit"):
        limits = RateLimits.load(tmp_path)
    assert limits.get("target:social", NOW) is None
    assert ".homepost/ratelimits.json:3: invalid JSON" in caplog.text and "ignoring it" in caplog.text
    limits.hold("target:social", 60, NOW)  # the next limit replaces the damaged file
    assert RateLimits.load(tmp_path).get("target:social", NOW) is not None


def test_a_damaged_entry_is_left_out_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    until = (NOW + dt.timedelta(minutes=5)).isoformat()
    limits = {"target:bad": {"until": "tomorrow"}, "target:worse": ["?"], "target:good": {"until": until}}
    (tmp_path / RATE_LIMITS_FILE).write_text(json.dumps({"format": 1, "limits": limits}))
    with caplog.at_level(logging.WARNING, logger="generator.ratelimit"):
        loaded = RateLimits.load(tmp_path)
    assert list(loaded.limits) == ["target:good"]
    assert "limit 'target:bad': until: expected an ISO 8601 time" in caplog.text and "'target:worse'" in caplog.text


def test_the_skip_line_says_who_until_when_why_and_how_much() -> None:
    limits = RateLimits(Path("unused"), dry_run=True)
    limit = limits.hold("target:mastodon", 610, NOW)
    assert Skipped("target:mastodon", limit, 3, "post", earlier=True).line() == (
        "mastodon: rate limited until 12:10:10 UTC (Retry-After from the last run); skipped 3 posts"
    )
    assert (
        Skipped("host:example.com", limit, 1, "copy", earlier=False)
        .line()
        .endswith("(Retry-After from this run); skipped 1 copy")
    )


# --- homepost syndicate, end to end -----------------------------------------------------------


@pytest.fixture
def world(world):
    """test_syndicate_cli's site (one post, Mastodon as "social", Bluesky as "sky"), with a second post."""
    root, _, mastodon, bluesky = world
    write_files(root, {"content/posts/two.md": post(2)})
    return root, mastodon, bluesky


def syndicate(root: Path, *args: str):
    assert build(root).exit_code == 0
    return run_cli("syndicate", "--site", str(root), *args)


def record(root: Path) -> dict:
    return json.loads((root / ".homepost" / RATE_LIMITS_FILE).read_text())["limits"]


def move_limits(root: Path, by: dt.timedelta) -> None:
    """Edit the record as if `by` had passed."""
    limits = record(root)
    for item in limits.values():
        item["until"] = (dt.datetime.fromisoformat(item["until"]) - by).isoformat()
    (root / ".homepost" / RATE_LIMITS_FILE).write_text(json.dumps({"format": 1, "limits": limits}))


def test_a_429_holds_that_target_for_every_post_in_the_next_run_while_the_other_target_proceeds(world) -> None:
    root, mastodon, bluesky = world
    mastodon.fail_next("statuses", status=429, retry_after=120)
    first = syndicate(root)
    assert first.exit_code == 1
    assert (
        "social: rate limited until" in first.output and "(Retry-After from this run); skipped 1 post" in first.output
    )
    assert mastodon.posts == [] and len(bluesky.posts) == 2
    assert list(record(root)) == ["target:social"] and not (root / "data" / RATE_LIMITS_FILE).exists()

    calls = len(mastodon.calls)
    dry = syndicate(root, "--dry-run")  # the dry run shows the same skip
    assert "(Retry-After from the last run); skipped 1 post" in dry.output and len(mastodon.calls) == calls
    (root / "content/posts/three.md").write_text(post(3))
    second = syndicate(root)  # seconds later: nothing at all goes to Mastodon, for any post
    assert second.exit_code == 1, second.output
    assert (
        "social: rate limited until" in second.output
        and "(Retry-After from the last run); skipped 2 posts" in second.output
    )
    assert len(mastodon.calls) == calls and mastodon.posts == []
    assert len(bluesky.posts) == 3  # the other target goes on

    move_limits(root, dt.timedelta(seconds=121))  # the time has passed
    third = syndicate(root)
    assert third.exit_code == 0, third.output  # the post that met the 429 waits for its own retry time
    assert "rate limited" not in third.output and len(mastodon.posts) == 2
    outbox = json.loads((root / "data/syndication/outbox.json").read_text())["copies"]
    waiting = [url for url, targets in outbox.items() if targets["social"]["state"] == "failed"]
    assert len(waiting) == 1


def test_an_http_date_retry_after_holds_until_that_date(world) -> None:
    root, mastodon, _ = world
    until = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=5)
    mastodon.fail_next("statuses", status=429, retry_after=format_datetime(until, usegmt=True))
    assert syndicate(root).exit_code == 1
    held = dt.datetime.fromisoformat(record(root)["target:social"]["until"])
    assert abs(held - until) < dt.timedelta(seconds=5)
    assert f"social: rate limited until {held:%H:%M:%S} UTC (Retry-After from the last run)" in syndicate(root).output


def test_a_damaged_record_warns_and_syndication_proceeds(world) -> None:
    root, mastodon, bluesky = world
    write_files(root, {".homepost/ratelimits.json": "{not json"})
    result = syndicate(root)
    assert result.exit_code == 0, result.output
    assert "ratelimits.json:1: invalid JSON" in result.output and "ignoring it" in result.output
    assert "Traceback" not in result.output and len(mastodon.posts) == 2 and len(bluesky.posts) == 2


def test_a_mastodon_reset_without_retry_after_is_honoured_too(world) -> None:
    root, mastodon, _ = world
    mastodon.fail_next("statuses", status=429, reset_after=900)  # X-RateLimit-Remaining: 0 and its reset only
    assert syndicate(root).exit_code == 1
    held = dt.datetime.fromisoformat(record(root)["target:social"]["until"])
    assert dt.timedelta(seconds=880) < held - dt.datetime.now(dt.UTC) <= dt.timedelta(seconds=900)
