"""A remote string never becomes a path: pulled mentions are filed under the site's own pages only,
one bad entry never stops a pull, and what older versions left behind does not crash one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.config import load_config
from generator.sitedata.responses import page_files, read_responses
from generator.webmention.pull import PullReport, merge_entries
from tests.helpers import SITE_TOML, run_cli
from tests.servers import LoopbackServer, Reply

POST = "content/posts/hello.md"
URL = "https://example.org/2026/05/hello/"
FRONT = "---\ntitle: Hello\ndate: 2026-05-01\naliases: [/old/hello/]\n---\nBody.\n"


def jf2(source: str, target: str = URL, **extra) -> dict:
    return {
        "type": "entry",
        "wm-property": "in-reply-to",
        "wm-source": source,
        "wm-target": target,
        "url": source,
        "author": {"type": "card", "name": "Someone"},
        "content": {"text": "hi"},
        "published": "2026-05-03T00:00:00Z",
        **extra,
    }


@pytest.fixture
def api():
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def site(make_site, api: LoopbackServer) -> Path:
    config = f'\n[webmention]\nendpoint = "{api.url("/webmention")}"\n\n[network]\nallow_private_addresses = true\n'
    return make_site({POST: FRONT}, config=SITE_TOML + config)


def serve(api: LoopbackServer, *entries: dict) -> None:
    feed = {"type": "feed", "children": list(entries)}
    api.route("/api/mentions", lambda r: Reply(200, json.dumps(feed), [("Content-Type", "application/json")]))


def pull(root: Path):
    return run_cli("webmention", "pull", "--site", str(root))


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


def test_a_mention_of_a_path_below_a_post_is_skipped_and_later_pulls_still_work(
    site: Path, api: LoopbackServer
) -> None:
    serve(
        api,
        jf2(
            "https://evil.example/1",
            "https://example.org/2026/05/hello.json/x",
            **{"wm-verified": "2026-05-03T01:00:00Z"},
        ),
    )
    result = pull(site)
    assert result.exit_code == 0, result.output
    assert (
        "skipped https://evil.example/1 -> https://example.org/2026/05/hello.json/x: not a page of this site"
        in result.output
    )
    assert files_under(site / "data/responses") == []
    serve(api, jf2("https://a.example/1", **{"wm-verified": "2026-05-04T01:00:00Z"}))
    result = pull(site)
    assert result.exit_code == 0, result.output
    assert [r.source for r in read_responses(site / "data/responses/2026/05/hello.json")] == ["https://a.example/1"]
    assert json.loads((site / "data/webmention/pull.json").read_text())["since"] == "2026-05-04T01:00:00+00:00"


@pytest.mark.parametrize(
    "target",
    [
        "https://example.org/%2e%2e/%2e%2e/etc/passwd",
        "https://example.org/../../etc/passwd",
        "https://example.org/2026/05/nothing/",
        "https://example.org/" + "a" * 300 + "/",
        "https://example.org/2026/05/hello/\x00/",
        "https://example.org/2026\\05\\hello/",
    ],
)
def test_a_mention_of_a_page_that_does_not_exist_gets_no_file(site: Path, api: LoopbackServer, target: str) -> None:
    serve(api, jf2("https://evil.example/1", target), jf2("https://a.example/1"))
    result = pull(site)
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and ("1 skipped" in result.output or "1 ignored" in result.output)  # NUL: not a URL
    assert files_under(site / "data/responses") == ["2026", "2026/05", "2026/05/hello.json"]


def test_a_mention_of_an_old_url_or_with_a_query_is_filed_under_the_post(site: Path, api: LoopbackServer) -> None:
    serve(
        api,
        jf2("https://a.example/1", "https://example.org/old/hello/"),
        jf2("https://b.example/2", URL + "?utm=x#top"),
    )
    assert pull(site).exit_code == 0
    stored = read_responses(site / "data/responses/2026/05/hello.json")
    assert sorted(r.source for r in stored) == ["https://a.example/1", "https://b.example/2"]
    assert files_under(site / "data/responses") == ["2026", "2026/05", "2026/05/hello.json"]


def test_a_folder_left_by_an_older_version_warns_and_keeps_the_mention_for_later(
    site: Path, api: LoopbackServer
) -> None:
    (site / "data/responses/2026/05/hello.json").mkdir(parents=True)
    serve(api, jf2("https://a.example/1", **{"wm-verified": "2026-05-04T01:00:00Z"}))
    result = pull(site)
    assert result.exit_code == 0, result.output
    assert "data/responses/2026/05/hello.json: is a folder" in result.output
    assert json.loads((site / "data/webmention/pull.json").read_text()).get("since") is None  # asked again next time
    (site / "data/responses/2026/05/hello.json").rmdir()
    assert pull(site).exit_code == 0
    assert [r.source for r in read_responses(site / "data/responses/2026/05/hello.json")] == ["https://a.example/1"]


def test_webmention_io_cursor_stops_before_a_held_mention(make_site, api: LoopbackServer, monkeypatch) -> None:
    config = f'\n[webmention]\napi = "{api.url("/api/mentions.jf2")}"\n\n[network]\nallow_private_addresses = true\n'
    root = make_site({POST: FRONT}, config=SITE_TOML + config)
    monkeypatch.setenv("HOMEPOST_WEBMENTIONIO_TOKEN", "t0ken")
    (root / "data/responses/2026/05/hello.json").mkdir(parents=True)
    home = "https://example.org/"
    feed = {
        "type": "feed",
        "children": [
            jf2("https://a.example/1", home, **{"wm-id": 1}),
            jf2("https://a.example/2", **{"wm-id": 2}),
            jf2("https://a.example/3", home, **{"wm-id": 3}),
        ],
    }
    api.route("/api/mentions.jf2", lambda r: Reply(200, json.dumps(feed), [("Content-Type", "application/json")]))
    result = pull(root)
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "1 mention(s) kept to pull again" in result.output
    assert json.loads((root / "data/webmention/pull.json").read_text())["since_id"] == 1


def test_backfeed_survives_what_an_older_version_left_behind(site: Path, api: LoopbackServer) -> None:
    (site / "data/responses/2026/05/hello.json").mkdir(parents=True)
    (site / "data/responses/2026/05/hello.json/x.json").write_text("[]")
    serve(api)
    result = run_cli("backfeed", "--site", str(site), "--no-build")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


SEGMENTS = st.one_of(
    st.sampled_from(
        [
            "..",
            ".",
            "%2e%2e",
            "%2E%2e",
            "",
            "hello.json",
            "x",
            "2026",
            "05",
            "hello",
            "\x00",
            "\\..\\",
            "a" * 300,
            "index",
            "index.json",
            "~",
            "%00",
            "%2f",
            "..%2f..",
            "\u202e",
            "你好",
            "old",
        ]
    ),
    st.text(min_size=1, max_size=40),
)
TARGETS = st.one_of(
    st.lists(SEGMENTS, max_size=8).map(lambda parts: "https://example.org/" + "/".join(parts)),
    st.lists(SEGMENTS, max_size=8).map(lambda parts: "https://example.org/" + "/".join(parts) + "/"),
    st.text(max_size=80),
)


@pytest.fixture(scope="module")
def prop_site(tmp_path_factory: pytest.TempPathFactory):
    from generator.pipeline.build import read_site
    from tests.helpers import write_files

    root = tmp_path_factory.mktemp("prop") / "site"
    write_files(root, {"site.toml": SITE_TOML, POST: FRONT})
    config = load_config(root)
    return config, page_files(config, read_site(config))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets=st.lists(TARGETS, min_size=1, max_size=5))
def test_no_remote_target_ever_becomes_a_path(prop_site, targets: list[str]) -> None:
    config, pages = prop_site
    before = set(config.root.rglob("*"))
    entries = [jf2(f"https://s.example/{i}", t) for i, t in enumerate(targets)]
    entries += [{**jf2(f"https://s.example/gone{i}", t), "deleted": True} for i, t in enumerate(targets)]
    merge_entries(config, entries, PullReport("test"), pages)
    for path in sorted(_written_since(config, before), reverse=True):  # files before their folders
        path.unlink() if path.is_file() else path.rmdir()


def _written_since(config, before: set[Path]) -> set[Path]:
    written = set(config.root.rglob("*")) - before
    folder = config.data_dir / "responses"
    allowed = {
        config.data_dir,
        folder,
        folder / "index.json",
        folder / "2026",
        folder / "2026/05",
        folder / "2026/05/hello.json",
    }
    assert written <= allowed, sorted(map(str, written - allowed))
    return written


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.one_of(SEGMENTS, TARGETS), min_size=1, max_size=5), photo=st.one_of(TARGETS, SEGMENTS))
def test_no_platform_id_or_picture_url_becomes_a_path(prop_site, ids: list[str], photo: str) -> None:
    from generator.backfeed.poll import merge
    from generator.model import Response, ResponseAuthor
    from generator.sitedata.avatars import avatar_name

    config, _ = prop_site
    assert re.fullmatch(r"[0-9a-f]{20}\.jpg", avatar_name(photo))
    before = set(config.root.rglob("*"))
    found = {i: Response(id=i, type="reply", source=i, target=i, author=ResponseAuthor(photo=photo)) for i in ids}
    merge(config, URL, found, set())
    merge(config, URL, {}, set(ids))
    for path in sorted(_written_since(config, before), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
