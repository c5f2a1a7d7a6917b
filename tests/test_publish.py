"""`homepost publish` end to end: the real CLI command, a git deploy into a local bare repository
served by a loopback host the way GitHub Pages serves a branch, the Mastodon fake for syndication,
and a loopback page with a Webmention endpoint that records what it receives."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner, Result

from generator.commands.publish import publish
from generator.ratelimit import RATE_LIMITS_FILE, host_key
from generator.release import STEPS
from generator.sitedata.outbox import OUTBOX_FILE
from generator.sitedata.sent import SENT_FILE
from tests.fakes.mastodon import MastodonFake
from tests.helpers import NOW, write_files
from tests.servers import CONTENT_TYPES, LoopbackServer, Received, Reply, static_site

POST = (
    "---\ntitle: Owning your words\ndate: 2026-05-01\n---\nThe original lives at home, as [this page]({target}) says.\n"
)
POST_PATH = "/2026/05/owning/"


def pages_host(bare: Path, branch: str = "gh-pages"):
    """An answer serving the files of `branch` in the bare repository, as GitHub Pages serves a branch."""

    def answer(received: Received) -> Reply:
        path = unquote(urlsplit(received.path).path).lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        shown = subprocess.run(
            ["git", "--git-dir", str(bare), "show", f"refs/heads/{branch}:{path}"], capture_output=True
        )
        if shown.returncode != 0:
            return Reply(404, b"not found", [("Content-Type", "text/plain")])
        kind = CONTENT_TYPES.get(Path(path).suffix, "application/octet-stream")
        return Reply(200, shown.stdout, [("Content-Type", kind)])

    return answer


class World:
    """The site, its host, the bare repository it deploys to, Mastodon, and a page it mentions."""

    def __init__(
        self, root: Path, bare: Path, host: LoopbackServer, mastodon: MastodonFake, other: LoopbackServer
    ) -> None:
        self.root, self.bare, self.host, self.mastodon, self.other = root, bare, host, mastodon, other
        self.target = other.url("/article")

    def config(self, deploy: str | None = None) -> str:
        deploy = f'method = "git"\nrepository = "{self.bare}"\nwait = 5' if deploy is None else deploy
        return f"""[site]
title = "Home"
url = "{self.host.url("/")}"

[network]
allow_private_addresses = true
timeout = 3

[backfeed]
recent_days = 3650  # the post (dated by the tests' clock) is polled on every run

[syndication]
default = ["social"]

[syndication.social]
platform = "mastodon"
instance = "{self.mastodon.url}"
""" + (f"\n[deploy]\n{deploy}\n" if deploy else "")

    def publish(self, *args: str, quiet: bool = False) -> Result:
        env = {"SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
        obj = {"site": self.root, "quiet": quiet}
        return CliRunner().invoke(publish, ["--site", str(self.root), *args], obj=obj, env=env, catch_exceptions=False)

    def mentions(self) -> list[tuple[str, str]]:
        return [
            (f["source"][0], f["target"][0])
            for r in self.other.received
            if r.method == "POST"
            for f in [parse_qs(r.body.decode())]
        ]

    def commits(self) -> int:
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), "rev-list", "--count", "refs/heads/gh-pages"],
            capture_output=True,
            text=True,
        )
        return int(done.stdout) if done.returncode == 0 else 0

    def deployed(self, path: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self.bare), "show", f"refs/heads/gh-pages:{path}"], capture_output=True, text=True
        ).stdout


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    bare = tmp_path / "pages.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    with LoopbackServer() as host, MastodonFake() as mastodon, LoopbackServer() as other:
        other.route(
            "/article",
            Reply(200, "<p>an article</p>", [("Content-Type", "text/html"), ("Link", '</endpoint>; rel="webmention"')]),
        )
        other.route("/endpoint", Reply(202, "accepted"))
        host.fallback = pages_host(bare)
        world = World(tmp_path / "site", bare, host, mastodon, other)
        write_files(
            world.root, {"site.toml": world.config(), "content/posts/owning.md": POST.format(target=world.target)}
        )
        monkeypatch.setenv("HOMEPOST_SOCIAL_TOKEN", mastodon.token)
        monkeypatch.setenv("HOME", str(tmp_path))  # no git identity: the deploy brings its own
        yield world


def steps(output: str) -> list[str]:
    """The step names in the order their lines were printed (a line of skipped steps names several)."""
    found = []
    for line in output.splitlines():
        head = line.split(":", 1)[0]
        names = [name.strip() for name in head.split(",")]
        if line and not line.startswith(" ") and all(name in STEPS for name in names):
            found += names
    return found


def test_the_cycle_runs_in_order_and_a_second_run_does_nothing_new(world: World) -> None:
    result = world.publish()
    assert result.exit_code == 0, result.output
    assert steps(result.output) == list(STEPS)
    post_url = world.host.url(POST_PATH)
    assert "wait: 1 new post answers 200" in result.output
    assert "syndicate: 1 copy made" in result.output and "webmention: 1 sent" in result.output
    assert result.output.rstrip().endswith("Published.")

    assert len(world.mastodon.posts) == 1 and post_url in world.mastodon.posts[0]["text"]
    assert world.mentions() == [(post_url, world.target)]
    copy = json.loads((world.root / "data" / OUTBOX_FILE).read_text())["copies"][post_url]["social"]["url"]
    # the rebuild linked the copy from the post, and the second deploy put that on the host
    assert world.commits() == 2 and copy in world.deployed("2026/05/owning/index.html")
    assert "redeploy: git to" in result.output
    gets = [r.path for r in world.host.received if r.method == "GET"]
    assert POST_PATH in gets  # the wait asked the host before the copy was made

    again = world.publish()
    assert again.exit_code == 0, again.output
    assert steps(again.output) == list(STEPS)
    assert "build: nothing changed since the last build" in again.output
    assert "deploy: the host already has this build" in again.output
    for step in ("wait", "syndicate", "webmention"):
        assert f"{step}: done earlier for this build" in again.output
    assert len(world.mastodon.posts) == 1 and len(world.mentions()) == 1 and world.commits() == 2
    assert world.mastodon.token not in result.output + again.output


def test_a_reply_to_a_copy_is_brought_home_and_deployed(world: World) -> None:
    assert world.publish().exit_code == 0
    status = world.mastodon.posts[0]
    world.mastodon.add_reply(status["id"], "What a lovely post!")
    result = world.publish()
    assert result.exit_code == 0, result.output
    assert "backfeed: polled 1 copy (0 not due): 1 new reply" in result.output
    assert "rebuild: 1 file written" in result.output and "redeploy: git to" in result.output
    assert world.commits() == 3 and "What a lovely post!" in world.deployed("2026/05/owning/index.html")
    assert len(world.mastodon.calls_to("statuses")) == 1 and len(world.mentions()) == 1  # nothing posted or sent again


def test_a_failing_deploy_stops_syndication_and_the_next_run_resumes(world: World) -> None:
    hook = world.bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'the host refuses: quota exceeded' >&2\nexit 1\n")
    hook.chmod(0o755)
    failed = world.publish()
    assert failed.exit_code == 1
    assert "deploy: failed" in failed.output and "quota exceeded" in failed.output
    assert "wait, syndicate, webmention, fediverse, newsletter: skipped (the deploy failed)" in failed.output
    assert "redeploy: skipped (the deploy failed)" in failed.output
    assert (
        "Publishing did not finish (deploy failed)" in failed.output and "run `homepost publish` again" in failed.output
    )
    assert world.mastodon.posts == [] and world.mentions() == [] and world.commits() == 0

    hook.unlink()
    resumed = world.publish()
    assert resumed.exit_code == 0, resumed.output
    assert "build: nothing changed since the last build" in resumed.output  # not built again
    assert "deploy: git to" in resumed.output
    assert len(world.mastodon.posts) == 1 and len(world.mentions()) == 1 and world.commits() == 2


def test_a_failing_syndication_stops_neither_webmentions_nor_backfeed(world: World) -> None:
    world.mastodon.fail_next("statuses", status=503)
    result = world.publish()
    assert result.exit_code == 1
    assert "syndicate: failed" in result.output and "-> social" in result.output
    assert "webmention: 1 sent" in result.output and "backfeed:" in result.output
    assert world.mastodon.posts == [] and len(world.mentions()) == 1

    again = world.publish()  # the copy waits for its next try; what succeeded is not repeated
    assert again.exit_code == 1
    assert (
        "webmention: done earlier for this build" in again.output
        and "deploy: the host already has this build" in again.output
    )
    assert "syndicate: failed" in again.output and "waiting" in again.output
    assert len(world.mentions()) == 1


def test_dry_run_uploads_posts_and_sends_nothing(world: World) -> None:
    result = world.publish("--dry-run")
    assert result.exit_code == 0, result.output
    assert steps(result.output) == list(STEPS)
    assert "deploy: would commit" in result.output and f"{world.bare} (gh-pages)" in result.output
    assert "wait: would wait up to 5 s for 1 new post to answer 200" in result.output
    assert (
        "syndicate: would create 1" in result.output
        and f"would create {world.host.url(POST_PATH)} -> social" in result.output
    )
    assert f"would send {world.host.url(POST_PATH)} -> {world.target}" in result.output
    assert "backfeed: would poll up to 0 copies" in result.output
    assert result.output.rstrip().endswith("Dry run: nothing was uploaded, posted or sent.")

    assert world.commits() == 0 and world.mastodon.posts == [] and world.mentions() == []
    assert not (world.root / "data" / OUTBOX_FILE).exists() and not (world.root / "data" / SENT_FILE).exists()
    assert (
        not (world.root / ".homepost" / "publish.json").exists()
        and not (world.root / ".homepost" / "deploy.json").exists()
    )

    real = world.publish()
    assert real.exit_code == 0, real.output
    assert len(world.mastodon.posts) == 1 and len(world.mentions()) == 1


def test_a_post_that_never_goes_live_is_not_syndicated(world: World) -> None:
    write_files(world.root, {"site.toml": world.config("method = \"command\"\ncommand = 'true'")})  # deploys nowhere
    result = world.publish("--wait", "1")
    assert result.exit_code == 1
    assert (
        "wait: failed: not live after 1 s; 0 of 1 new post answered 200 within 1 s" in result.output
        and f"{world.host.url(POST_PATH)}: it answers 404" in result.output
    )
    assert "syndicate, webmention, fediverse, newsletter: skipped (new posts are not live yet)" in result.output
    assert world.mastodon.posts == [] and world.mentions() == []


def test_without_deploy_the_cycle_notes_it_and_goes_on(world: World) -> None:
    world.host.fallback = static_site(world.root / "public")  # the writer's own deploy: the host serves public/
    write_files(world.root, {"site.toml": world.config(deploy="")})
    result = world.publish()
    assert result.exit_code == 0, result.output
    assert "deploy: skipped (no [deploy] in site.toml: deploy the output yourself" in result.output
    assert steps(result.output) == [
        "build",
        "deploy",
        "syndicate",
        "webmention",
        "fediverse",
        "newsletter",
        "backfeed",
        "rebuild",
    ]
    assert len(world.mastodon.posts) == 1 and len(world.mentions()) == 1


def test_a_failed_build_stops_everything(world: World) -> None:
    write_files(world.root, {"content/posts/broken.md": "---\ntitle: [unclosed\n---\nBroken.\n"})
    result = world.publish()
    assert result.exit_code == 1
    assert (
        "build: failed: the build failed; the output was left as it was" in result.output
        and "broken.md" in result.output
    )
    assert (
        "deploy, wait, syndicate, webmention, fediverse, newsletter, backfeed, rebuild, redeploy: "
        "skipped (the build failed)" in result.output
    )
    assert world.commits() == 0 and world.mastodon.posts == [] and world.mentions() == []

    quiet = world.publish(quiet=True)
    assert quiet.exit_code == 1
    assert quiet.output.splitlines()[0] == "build: failed: the build failed; the output was left as it was"
    assert "skipped" not in quiet.output and "Publishing did not finish (build failed)" in quiet.output


def test_two_cycles_at_once_are_refused(world: World) -> None:
    import fcntl

    lock = world.root / ".homepost" / "publish.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a cycle started by cron a moment ago
        result = world.publish()
    assert result.exit_code == 1 and "another `homepost publish` is running for this site" in result.output
    assert world.commits() == 0 and world.mastodon.posts == []


def test_a_rate_limit_from_an_earlier_run_holds_syndication_and_webmentions(world: World) -> None:
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    limits = {"target:social": {"until": until}, host_key(world.target): {"until": until}}
    write_files(world.root, {f".homepost/{RATE_LIMITS_FILE}": json.dumps({"format": 1, "limits": limits})})
    held = world.publish()
    assert held.exit_code == 1
    assert "syndicate: failed" in held.output and "-> social: rate limited until" in held.output
    assert (
        "webmention: failed" in held.output and "(Retry-After from the last run); skipped 1 webmention" in held.output
    )
    assert world.mastodon.calls_to("statuses") == [] and world.mentions() == []

    (world.root / ".homepost" / RATE_LIMITS_FILE).unlink()  # the time has passed (or the writer cleared it)
    resumed = world.publish()
    assert resumed.exit_code == 0, resumed.output
    assert len(world.mastodon.posts) == 1 and len(world.mentions()) == 1
