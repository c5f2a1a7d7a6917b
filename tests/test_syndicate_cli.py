"""`homepost syndicate` end to end: the real platform modules against loopback fakes of Mastodon and
Bluesky, the real CLI, credentials from the environment, and the built page linking each copy."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import mf2py
import pytest

from generator.sitedata.outbox import OUTBOX_FILE
from tests.helpers import build, run_cli, write_files
from tests.syndication_world import POST


def syndicate(root: Path, *args: str):
    assert build(root).exit_code == 0
    return run_cli("syndicate", "--site", str(root), *args)


def test_each_post_goes_to_each_target_once_and_the_page_links_the_copies(world, caplog) -> None:
    root, host, mastodon, bluesky = world
    caplog.set_level(logging.DEBUG)
    dry = syndicate(root, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would create" in dry.output and "Owning your words" in dry.output
    assert mastodon.posts == [] and bluesky.posts == [] and not (root / "data" / OUTBOX_FILE).exists()

    result = syndicate(root)
    assert result.exit_code == 0, result.output
    assert "2 copies made" in result.output
    assert len(mastodon.posts) == 1 and len(bluesky.posts) == 1
    status = mastodon.posts[0]["text"]
    assert status.startswith("Owning your words\n\nWhy the original lives at home.\n\n" + host.url("/2026/05/owning/"))
    assert "#IndieWeb" in status and "#播客" in status
    record = bluesky.posts[0]["value"]
    assert record["embed"]["$type"] == "app.bsky.embed.external" and record["embed"]["external"]["uri"] == host.url(
        "/2026/05/owning/"
    )

    again = syndicate(root)
    assert again.exit_code == 0 and "0 copies made" in again.output
    assert len(mastodon.posts) == 1 and len(bluesky.posts) == 1

    outbox = json.loads((root / "data" / OUTBOX_FILE).read_text())["copies"][host.url("/2026/05/owning/")]
    assert {name: r["state"] for name, r in outbox.items()} == {"social": "done", "sky": "done"}
    assert build(root).exit_code == 0
    page = (root / "public/2026/05/owning/index.html").read_text()
    entry = next(i for i in mf2py.parse(doc=page, url=host.url("/"))["items"] if "h-entry" in i["type"])
    assert sorted(entry["properties"]["syndication"]) == sorted(r["url"] for r in outbox.values())
    mastodon_host = mastodon.url.split("://", 1)[1]
    assert (
        f">Mastodon (@alice@{mastodon_host})</a>" in page and f">Bluesky (@{bluesky.handle})</a>" in page
    )  # not the host

    secrets = [mastodon.token, bluesky.password, *bluesky.tokens()]
    texts = [dry.output, result.output, again.output, caplog.text]
    texts += [p.read_text(errors="replace") for p in (root / "public").rglob("*") if p.is_file()]
    texts += [p.read_text() for p in (root / "data").rglob("*.json")]
    for secret in secrets:
        assert all(secret not in text for text in texts)


def test_one_platform_down_does_not_stop_the_other_and_the_next_run_finishes(world) -> None:
    root, host, mastodon, bluesky = world
    mastodon.fail_next("statuses", status=503)
    result = syndicate(root)
    assert result.exit_code == 1
    assert "failed" in result.output and "-> social" in result.output
    assert len(bluesky.posts) == 1 and mastodon.posts == []
    outbox = json.loads((root / "data" / OUTBOX_FILE).read_text())["copies"][host.url("/2026/05/owning/")]
    assert outbox["social"]["state"] == "failed"


def test_an_edit_updates_mastodon_and_says_bluesky_cannot_be_edited(world) -> None:
    root, host, mastodon, bluesky = world
    assert syndicate(root).exit_code == 0
    write_files(root, {"content/posts/owning.md": POST.replace("Owning your words", "Owning your words, revised")})
    result = syndicate(root)
    assert "updated " in result.output and "bluesky has no edits" in result.output
    assert mastodon.posts[0]["text"].startswith("Owning your words, revised") and len(mastodon.posts) == 1


def test_unknown_only_target_is_an_error(world) -> None:
    root, *_ = world
    result = run_cli("syndicate", "--site", str(root), "--only", "mastodn")
    assert result.exit_code == 1 and "no target named 'mastodn'" in result.output


def test_auth_stores_credentials_readable_only_by_the_owner(world, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    root, host, mastodon, bluesky = world
    monkeypatch.delenv("HOMEPOST_SKY_PASSWORD")
    result = CliRunner().invoke(main, ["auth", "--site", str(root), "sky"], input=bluesky.password + "\n")
    assert result.exit_code == 0, result.output
    assert f"Authorized @{bluesky.handle}" in result.output and bluesky.password not in result.output
    stored = root / ".homepost" / "credentials.toml"
    assert stored.stat().st_mode & 0o777 == 0o600 and bluesky.password in stored.read_text()
    assert bluesky.password not in (root / "site.toml").read_text()
    unknown = CliRunner().invoke(main, ["auth", "--site", str(root), "nope"])
    assert unknown.exit_code == 1 and "no syndication target named 'nope'; targets: social, sky" in unknown.output


def test_a_dry_run_shows_every_field_it_would_send_per_platform(world) -> None:
    root, host, mastodon, bluesky = world
    write_files(
        root, {"content/posts/owning.md": POST.replace("summary:", "content_warning: Rain, lots of it\nsummary:")}
    )
    dry = syndicate(root, "--dry-run")
    assert dry.exit_code == 0, dry.output
    social, sky = dry.output.split("-> sky")[0].split("-> social")[1], dry.output.split("-> sky")[1]
    assert 'spoiler_text: "Rain, lots of it"' in social and "sensitive: true" in social
    assert 'visibility: "public"' in social and 'language: "en"' in social
    assert 'langs: ["en"]' in sky and "CW: Rain, lots of it" in sky
    assert mastodon.calls_to("statuses") == [] and bluesky.posts == []
    real = syndicate(root)
    assert real.exit_code == 0 and mastodon.calls_to("statuses")[0].json()["spoiler_text"] == "Rain, lots of it"


def test_posts_that_are_not_live_make_the_exit_code_1_and_the_summary_says_what_waits(world) -> None:
    root, host, mastodon, bluesky = world
    assert build(root).exit_code == 0
    host.fallback = None  # deployed nowhere yet: the post answers 404
    result = run_cli("syndicate", "--site", str(root))
    assert result.exit_code == 1
    assert "2 copies wait until the post is live" in result.output
    assert mastodon.posts == [] and bluesky.posts == []


def test_a_refused_token_stops_the_target_in_the_servers_words_and_rejects_nothing(world) -> None:
    root, host, mastodon, bluesky = world
    mastodon.html_auth_errors = True  # as Takahē answers
    mastodon.tokens.clear()
    result = syndicate(root)
    assert result.exit_code == 1
    assert "social: checking the credentials failed (400: Invalid Bearer token)" in result.output
    assert len(bluesky.posts) == 1 and mastodon.calls_to("statuses") == []
    outbox = json.loads((root / "data" / OUTBOX_FILE).read_text())["copies"][host.url("/2026/05/owning/")]
    assert "social" not in outbox  # not rejected: it goes out on the first run with a good token
