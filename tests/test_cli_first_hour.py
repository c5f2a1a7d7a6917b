"""The writer's first hour: `init` and `new` never surprise, global options go anywhere."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import SiteFactory
from tests.helpers import NOW, run_cli, snapshot


def test_init_with_a_url_without_scheme_leaves_nothing(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "x"), "--url", "example.org")
    assert result.exit_code == 1
    assert "--url: needs a scheme and a host, such as https://example.org" in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_with_a_city_for_timezone_leaves_nothing_and_suggests(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "x"), "--timezone", "Shanghai")
    assert result.exit_code == 1
    assert (
        "--timezone: must be an IANA time zone name like Asia/Shanghai; got 'Shanghai'; did you mean Asia/Shanghai?"
        in result.output
    )
    assert list(tmp_path.iterdir()) == []


def test_init_reports_every_bad_option_at_once(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "x"), "--timezone", "Beijing", "--url", "ftp://example.org")
    assert result.exit_code == 1 and "init failed with 2 errors." in result.output
    assert "did you mean" not in result.output  # nothing close to Beijing
    assert list(tmp_path.iterdir()) == []


def test_init_into_an_existing_folder_leaves_its_files_as_they_were(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    (folder / "content/pages").mkdir(parents=True)
    (folder / "README.md").write_text("mine\n")
    (folder / "content/pages/about.md").write_text("my about\n")
    before = snapshot(folder)
    result = run_cli("init", str(folder))
    assert result.exit_code == 1 and "about.md: already exists; nothing was changed" in result.output
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # no staging folder left beside it


def test_init_into_an_empty_folder_keeps_the_users_gitignore(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / ".gitignore").write_text("*.bak\n")
    assert run_cli("init", str(folder)).exit_code == 0
    assert (folder / ".gitignore").read_text() == "*.bak\n" and (folder / "site.toml").is_file()


def test_init_builds_at_once_and_says_where(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    result = run_cli("init", str(folder))
    assert result.exit_code == 0, result.output
    assert list((folder / "public").glob("*/*/hello-world/index.html"))
    assert "Built 1 post and 1 page" in result.output and f"-> {folder.resolve() / 'public'}" in result.output
    assert result.output.rstrip().endswith(f"Next: cd {folder} && homepost serve")


def test_init_quiet_prints_nothing(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "blog"), "-q")
    assert result.exit_code == 0 and result.output == ""
    assert (tmp_path / "blog/public/index.html").is_file()


def test_two_notes_in_the_same_second_get_two_files(make_site: SiteFactory) -> None:
    site = make_site()
    for _ in range(3):
        result = run_cli("new", "--site", str(site), "note")
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (site / "content/posts").glob("*.md"))
    assert len(names) == 3
    stamp = NOW.astimezone(dt.timezone(dt.timedelta(hours=2)))  # the site is in Europe/Berlin
    assert names == [f"{stamp:%Y-%m-%d-%H%M%S}{suffix}.md" for suffix in ("-2", "-3", "")]


def test_new_post_without_title_is_refused(make_site: SiteFactory) -> None:
    site = make_site()
    result = run_cli("new", "--site", str(site), "post")
    assert result.exit_code == 2
    assert (
        'a post needs a TITLE: homepost new post "My title"; `homepost new note` makes a post without a title'
        in result.output
    )
    assert not (site / "content/posts").exists()


def test_new_quiet_prints_nothing(make_site: SiteFactory) -> None:
    site = make_site()
    result = run_cli("new", "-q", "--site", str(site), "page", "Colophon")
    assert result.exit_code == 0 and result.output == ""
    assert (site / "content/pages/colophon.md").is_file()


@pytest.mark.parametrize("args", [["-q", "build"], ["build", "-q"], ["build", "--quiet"]])
def test_quiet_before_or_after_the_command(make_site: SiteFactory, args: list[str]) -> None:
    site = make_site({"content/posts/2026-05-01-a.md": "---\ntitle: A\n---\nA.\n"})
    result = run_cli("--site", str(site), *args)
    assert result.exit_code == 0 and result.output == ""


@pytest.mark.parametrize("args", [["-v", "build"], ["build", "-v"]])
def test_verbose_before_or_after_the_command(make_site: SiteFactory, args: list[str]) -> None:
    site = make_site({"content/posts/2026-05-01-a.md": "---\ntitle: A\n---\nA.\n"})
    result = run_cli("--site", str(site), *args)
    assert result.exit_code == 0 and "read 1 posts" in result.output


def test_site_given_to_a_group_reaches_its_command(make_site: SiteFactory, tmp_path: Path) -> None:
    site = make_site()
    result = run_cli("--site", str(tmp_path / "nowhere"), "comments", "--site", str(site), "blocks")
    assert result.exit_code == 1 and f"{site}/.homepost/receiver.sqlite3: no receiver database here" in result.output


def test_every_command_takes_the_global_options() -> None:
    from generator.cli import main
    from tests.test_cli import _commands

    for name, command in _commands(main):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {"--site", "-v", "-q", "--quiet", "--verbose"} <= options, name


def test_init_title_with_quotes_and_a_line_break(tmp_path: Path) -> None:
    from generator.config import load_config

    result = run_cli("init", str(tmp_path / "x"), "--title", 'Two\nlines "quoted" \\ back')
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path / "x").site.title == 'Two\nlines "quoted" \\ back'


def test_init_failing_half_way_into_an_existing_folder_takes_back_what_it_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from generator import scaffold

    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    before = snapshot(folder)
    moved = []

    def rename(source: str, target: str) -> None:
        if moved:  # the second file: the disk is full
            raise OSError(28, "No space left on device")
        moved.append(target)
        os.rename(source, target)

    monkeypatch.setattr(scaffold.os, "rename", rename)
    result = run_cli("init", str(folder))
    assert result.exit_code == 1
    assert f"{folder}: cannot be written (No space left on device); nothing was changed" in result.output
    assert moved and snapshot(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"] and sorted(p.name for p in tmp_path.iterdir()) == [
        "repo"
    ]
