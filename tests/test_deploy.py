"""`homepost deploy`: rsync into a local folder, git into a local bare repository, a command of the
site's own; each through the real CLI command and the real programs (rsync, git, sh)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.commands.publish import deploy
from tests.conftest import SiteFactory
from tests.helpers import NOW, SITE_TOML, snapshot, write_files
from tests.sites import BLOG

needs_rsync = pytest.mark.skipif(
    shutil.which("rsync") is None,
    reason="the rsync program is not installed on this machine (.ci/run installs it: apt-get install -y rsync)",
)
OLD = 1_000_000_000  # a moment long past, given to the host's files to see which ones a deploy rewrites
BROKEN = "---\ntitle: [unclosed\ndate: 2026-05-01\n---\nBroken front matter.\n"


def run_deploy(site: Path, *args: str) -> Result:
    """`homepost deploy --site SITE ARGS...`, in-process, as the CLI runs it."""
    env = {"SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    return CliRunner().invoke(deploy, ["--site", str(site), *args], obj={"site": site}, env=env, catch_exceptions=False)


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def commits(bare: Path, branch: str = "gh-pages") -> list[str]:
    """The commit ids on `branch`, newest first (none when the branch does not exist)."""
    done = subprocess.run(
        ["git", "--git-dir", str(bare), "rev-list", f"refs/heads/{branch}"], capture_output=True, text=True
    )
    return done.stdout.split() if done.returncode == 0 else []


def tree(bare: Path, branch: str = "gh-pages") -> set[str]:
    return set(
        git(
            "--git-dir", str(bare), "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", f"refs/heads/{branch}"
        ).split("\n")
    ) - {""}


def with_deploy(section: str) -> str:
    return SITE_TOML + "\n[deploy]\n" + section


# --- rsync -----------------------------------------------------------------------------------------


@needs_rsync
def test_rsync_sends_only_changed_files_and_propagates_deletions(make_site: SiteFactory, tmp_path: Path) -> None:
    host = tmp_path / "host" / "www"
    site = make_site(BLOG, config=with_deploy(f'method = "rsync"\ntarget = "{host}"\n'))
    first = run_deploy(site)
    assert first.exit_code == 0, first.output
    assert snapshot(host) == snapshot(site / "public")
    assert f"rsync to {host}: {len(snapshot(host))} files sent, 0 deleted" in first.output
    for path in host.rglob("*"):
        os.utime(path, (OLD, OLD))
    (host / "stray.html").write_text("left behind by someone")
    before = snapshot(site / "public")

    post = site / "content/posts/2025-12-26-part-two.md"
    post.write_text(post.read_text().replace("Part two of the trilogy.", "Part two, revised."))
    (site / "content/posts/2025-12-24-old-one.md").unlink()
    second = run_deploy(site)
    assert second.exit_code == 0, second.output

    after = snapshot(site / "public")
    assert snapshot(host) == after  # deletions propagated, stray file too
    changed = {name for name, data in after.items() if before.get(name) != data}
    untouched = set(after) - changed
    assert changed and untouched and "2025/12/part-two/index.html" in changed and "images/pixel.png" in untouched
    for name in untouched:
        assert (host / name).stat().st_mtime == OLD, f"{name} was sent again though it did not change"
    for name in changed:
        assert (host / name).stat().st_mtime > OLD
    gone = (set(before) - set(after)) | {"stray.html"}
    assert f"{len(changed)} files sent, {len(gone)} deleted" in second.output


@needs_rsync
def test_rsync_without_delete_keeps_what_the_host_has(make_site: SiteFactory, tmp_path: Path) -> None:
    host = tmp_path / "host"
    site = make_site(BLOG, config=with_deploy(f'method = "rsync"\ntarget = "{host}"\ndelete = false\n'))
    host.mkdir()
    (host / "stats.html").write_text("the host's own page")
    result = run_deploy(site)
    assert result.exit_code == 0, result.output
    assert (host / "stats.html").read_text() == "the host's own page" and (host / "index.html").is_file()


@needs_rsync
def test_a_failed_build_deploys_nothing(make_site: SiteFactory, tmp_path: Path) -> None:
    host = tmp_path / "host"
    site = make_site(BLOG, config=with_deploy('method = "rsync"\ntarget = "../host"\n'))  # relative to the site
    assert run_deploy(site).exit_code == 0
    deployed = snapshot(host)
    write_files(site, {"content/posts/2026-05-01-broken.md": BROKEN})
    post = site / "content/posts/2025-12-26-part-two.md"
    post.write_text(post.read_text().replace("Part two of the trilogy.", "Part two, revised."))
    result = run_deploy(site)
    assert result.exit_code == 1
    assert (
        "2026-05-01-broken.md" in result.output and "Build failed with 1 error; nothing was deployed." in result.output
    )
    assert snapshot(host) == deployed

    fresh = make_site(
        {**BLOG, "content/posts/2026-05-01-broken.md": BROKEN},
        config=with_deploy('method = "rsync"\ntarget = "../never"\n'),
        name="fresh",
    )
    assert run_deploy(fresh).exit_code == 1 and not (tmp_path / "never").exists()


@needs_rsync
def test_rsync_dry_run_lists_what_it_would_send_and_sends_nothing(make_site: SiteFactory, tmp_path: Path) -> None:
    host = tmp_path / "host"
    site = make_site(BLOG, config=with_deploy(f'method = "rsync"\ntarget = "{host}"\n'))
    result = run_deploy(site, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would send {len(snapshot(site / 'public'))} changed files to {host}" in result.output
    assert "    send index.html" in result.output
    assert not host.exists() or not any(host.iterdir())


def test_rsync_missing_says_to_install_it(
    make_site: SiteFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(BLOG, config=with_deploy(f'method = "rsync"\ntarget = "{tmp_path / "host"}"\n'))
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run_deploy(site)
    assert result.exit_code == 1
    assert "error: rsync: rsync is not installed: install rsync" in result.output


def test_an_rsync_target_holding_the_site_is_refused(make_site: SiteFactory) -> None:
    site = make_site(BLOG, config=with_deploy('method = "rsync"\ntarget = ".."\n'))
    result = run_deploy(site)
    assert result.exit_code == 1 and "the rsync target '..' is the site folder, holds it" in result.output


# --- git -------------------------------------------------------------------------------------------


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "pages.git"
    git("init", "--quiet", "--bare", str(path))
    return path


def seed_branch(bare: Path, tmp_path: Path, files: dict[str, str], branch: str = "gh-pages") -> None:
    """Give the bare repository a branch holding `files`, as someone else's earlier deploy would have."""
    clone = tmp_path / "seed"
    git("init", "--quiet", str(clone))
    write_files(clone, files)
    git("add", "--all", cwd=clone)
    git(
        "-c",
        "user.name=Someone",
        "-c",
        "user.email=someone@example.org",
        "commit",
        "--quiet",
        "-m",
        "by hand",
        cwd=clone,
    )
    git("push", "--quiet", str(bare), f"HEAD:refs/heads/{branch}", cwd=clone)


def test_git_commits_the_output_only_when_it_changed_and_keeps_the_cname(
    make_site: SiteFactory, bare: Path, tmp_path: Path
) -> None:
    seed_branch(bare, tmp_path, {"CNAME": "blog.example.org\n", "old.html": "from before"})
    site = make_site(BLOG, config=with_deploy(f'method = "git"\nrepository = "{bare}"\nmessage = "Site at {{date}}"\n'))
    first = run_deploy(site)
    assert first.exit_code == 0, first.output
    assert len(commits(bare)) == 2
    files = tree(bare)
    assert files == set(snapshot(site / "public")) | {"CNAME", ".nojekyll"}  # old.html gone, CNAME kept
    assert git("--git-dir", str(bare), "show", "gh-pages:CNAME") == "blog.example.org\n"
    assert git("--git-dir", str(bare), "log", "-1", "--format=%s", "gh-pages").startswith("Site at 20")
    assert f"commit {commits(bare)[0][:12]}" in first.output

    again = run_deploy(site)
    assert again.exit_code == 0, again.output
    assert len(commits(bare)) == 2 and "already has this build; nothing committed" in again.output

    post = site / "content/posts/2025-12-26-part-two.md"
    post.write_text(post.read_text().replace("Part two of the trilogy.", "Part two, revised."))
    third = run_deploy(site)
    assert third.exit_code == 0, third.output
    assert len(commits(bare)) == 3
    page = git("--git-dir", str(bare), "show", "gh-pages:2025/12/part-two/index.html")
    assert "Part two, revised." in page
    changed = git("--git-dir", str(bare), "diff", "--name-only", "gh-pages~1", "gh-pages").split()
    assert "2025/12/part-two/index.html" in changed and "CNAME" not in changed and "images/pixel.png" not in changed


def test_git_creates_the_branch_and_a_cname_from_the_build_wins(
    make_site: SiteFactory, bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # a fresh CI runner: git knows no user
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    site = make_site(
        {**BLOG, "static/CNAME": "www.example.org\n"},
        config=with_deploy(f'method = "git"\nrepository = "{bare}"\nbranch = "pages"\n'),
    )
    result = run_deploy(site)
    assert result.exit_code == 0, result.output
    assert len(commits(bare, "pages")) == 1 and commits(bare, "gh-pages") == []
    assert git("--git-dir", str(bare), "show", "pages:CNAME") == "www.example.org\n"
    assert ".nojekyll" in tree(bare, "pages")
    assert (
        git("--git-dir", str(bare), "log", "-1", "--format=%an <%ae>", "pages").strip()
        == "Homepost <homepost@localhost>"
    )


def test_git_never_touches_the_site_repository(make_site: SiteFactory, bare: Path) -> None:
    site = make_site(BLOG, config=with_deploy(f'method = "git"\nrepository = "{bare}"\n'))
    write_files(site, {".gitignore": "/public/\n/.homepost/\n"})
    git("init", "--quiet", "--initial-branch=main", cwd=site)
    git("add", "--all", cwd=site)
    git("-c", "user.name=Writer", "-c", "user.email=writer@example.org", "commit", "--quiet", "-m", "my site", cwd=site)

    def repository_state() -> tuple[str, str, str, str]:
        return (
            git("rev-parse", "HEAD", cwd=site),
            git("branch", "--all", cwd=site),
            git("status", "--porcelain", cwd=site),
            git("remote", "-v", cwd=site),
        )

    before = repository_state()
    result = run_deploy(site)
    assert result.exit_code == 0, result.output
    assert repository_state() == before
    assert len(commits(bare)) == 1 and "index.html" in tree(bare)


def test_an_unreachable_repository_is_reported_without_the_credentials_in_its_url(make_site: SiteFactory) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = make_site(
        BLOG,
        config=with_deploy(f'method = "git"\nrepository = "http://deployer:s3cret-token@127.0.0.1:{port}/site.git"\n'),
    )
    result = run_deploy(site)
    assert result.exit_code == 1
    assert f"error: git: git ls-remote (http://127.0.0.1:{port}/site.git (gh-pages)) failed" in result.output
    assert "s3cret-token" not in result.output and "deployer" not in result.output


def test_git_dry_run_counts_the_changes_and_commits_nothing(make_site: SiteFactory, bare: Path) -> None:
    site = make_site(BLOG, config=with_deploy(f'method = "git"\nrepository = "{bare}"\n'))
    result = run_deploy(site, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would commit {len(snapshot(site / 'public')) + 1} changed files to {bare} (gh-pages)" in result.output
    assert "    A  index.html" in result.output
    assert commits(bare) == []
    assert run_deploy(site).exit_code == 0 and len(commits(bare)) == 1


# --- command ---------------------------------------------------------------------------------------


def test_command_gets_the_output_folder_quoted_and_runs_in_the_site_folder(
    make_site: SiteFactory, tmp_path: Path
) -> None:
    command = 'mkdir -p ../uploaded && cp -R {output}/. ../uploaded/ && echo "uploaded from $(basename "$PWD")"'
    site = make_site(
        BLOG, config=with_deploy(f"method = \"command\"\ncommand = '{command}'\n"), name="my site"
    )  # a space to quote
    result = run_deploy(site)
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path / "uploaded") == snapshot(site / "public")
    assert "ran mkdir -p ../uploaded && cp -R '" in result.output and "/my site/public'/." in result.output

    dry = run_deploy(site, "--dry-run", "--no-build")
    assert dry.exit_code == 0 and "would run mkdir -p ../uploaded" in dry.output


def test_a_failing_command_reports_its_exit_code_and_error_output(make_site: SiteFactory) -> None:
    site = make_site(
        BLOG,
        config=with_deploy('method = "command"\ncommand = \'echo uploading; echo "bucket not found" >&2; exit 3\'\n'),
    )
    result = run_deploy(site)
    assert result.exit_code == 1
    assert "failed (exit code 3): bucket not found" in result.output and "Deploy failed with 1 error." in result.output


def test_no_deploy_section_and_no_build_yet_are_explained(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    result = run_deploy(site)
    assert result.exit_code == 1
    assert 'site.toml: deploy: no [deploy] section: add one with method = "rsync", "git" or "command"' in result.output
    unbuilt = make_site(BLOG, config=with_deploy("method = \"command\"\ncommand = 'true'\n"), name="unbuilt")
    result = run_deploy(unbuilt, "--no-build")
    assert (
        result.exit_code == 1 and "public/: nothing built here to deploy; run `homepost build` first" in result.output
    )


def test_build_and_deploy_returns_the_build_even_when_the_deploy_fails(make_site: SiteFactory) -> None:
    from generator.deploy.base import DeployOptions
    from generator.deploy.site import build_and_deploy

    site = make_site(BLOG, config=with_deploy("method = \"command\"\ncommand = 'exit 3'\n"))
    run = build_and_deploy(site, DeployOptions(), now=NOW)
    assert run.failed == "deploy" and run.deployed is None
    assert run.built is not None and run.built.written > 0
    assert [p.file for p in run.problems] == ["command"] and "failed (exit code 3)" in run.problems[0].message
    again = build_and_deploy(site, DeployOptions(), build=False, now=NOW)
    assert again.built is None and again.failed == "deploy"
