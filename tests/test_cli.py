"""The command line: init, new, help text, and the README documenting every command."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pytest
import yaml

from generator.cli import main
from generator.config import load_config
from generator.scaffold import new_content
from tests.conftest import SiteFactory
from tests.helpers import build, run_cli
from tests.sites import BLOG

ROOT = Path(__file__).resolve().parent.parent


def test_init_makes_a_site_that_builds_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "my-blog"
    result = run_cli("init", str(folder), "--title", 'My "Blog"', "--timezone", "Asia/Tokyo")
    assert result.exit_code == 0, result.output
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} >= {
        "site.toml",
        ".gitignore",
        "content/pages/about.md",
    }
    assert "/.homepost/" in (folder / ".gitignore").read_text()
    assert load_config(folder).site.title == 'My "Blog"'
    built = run_cli("build", "--site", str(folder), now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    assert built.exit_code == 0, built.output
    assert "Built 1 post and 1 page" in built.output
    assert list((folder / "public").glob("*/*/hello-world/index.html"))


def test_init_refuses_to_overwrite_a_site(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    before = (site / "site.toml").read_text()
    result = run_cli("init", str(site))
    assert result.exit_code == 1 and "a site already exists here; nothing was changed" in result.output
    assert (site / "site.toml").read_text() == before


def test_new_post_writes_dated_front_matter(make_site: SiteFactory) -> None:
    site = make_site()
    now = dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC)
    path = new_content(load_config(site), "post", "Hello, 世界!", now=now)
    assert path == site / "content/posts/2026-05-04-hello-世界.md"
    text = path.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])
    assert front["title"] == "Hello, 世界!"
    assert str(front["date"]).startswith("2026-05-04 12:30:00+02:00") or front["date"] == "2026-05-04T12:30:00+02:00"


def test_new_note_has_no_title_and_builds(make_site: SiteFactory) -> None:
    site = make_site()
    result = run_cli("new", "--site", str(site), "note")
    assert result.exit_code == 0, result.output
    [path] = (site / "content/posts").glob("*.md")
    assert "title:" not in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + "Just a thought.\n", encoding="utf-8")
    assert build(site, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).exit_code == 0


def test_new_refuses_to_overwrite(make_site: SiteFactory) -> None:
    site = make_site()
    assert run_cli("new", "--site", str(site), "page", "Colophon").exit_code == 0
    again = run_cli("new", "--site", str(site), "page", "Colophon")
    assert again.exit_code == 1 and "already exists; nothing was changed" in again.output


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize("name,command", _commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip(), f"homepost {name} has no help text"
    assert run_cli(*name.split(), "--help").exit_code == 0
    assert f"homepost {name}" in (ROOT / "README.md").read_text(encoding="utf-8"), (
        f"README does not mention homepost {name}"
    )


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[:800]
    assert "make demo" in head and "make test" in head
    assert "make test" in (ROOT / ".ci/run").read_text()


@pytest.mark.parametrize("name,command", _commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_is_defined_under_commands(name: str, command: click.Command) -> None:
    module = command.callback.__module__ if command.callback is not None else ""
    assert module.startswith("generator.commands."), (
        f"homepost {name} is defined in {module}, not in generator/commands/"
    )


def test_no_core_module_shares_a_command_modules_name() -> None:
    generator = ROOT / "generator"
    commands = {path.stem for path in (generator / "commands").glob("*.py")} - {"__init__", "common"}
    clashes = sorted(name for name in commands if (generator / f"{name}.py").exists())
    assert not clashes, f"generator/ and generator/commands/ both have: {', '.join(clashes)}"


def test_the_import_command_offers_every_importer() -> None:
    from generator.commands.import_ import SOURCES
    from generator.importers import READERS

    assert SOURCES == tuple(READERS)


def test_building_loads_neither_the_importers_nor_the_fediverse_key_code() -> None:
    """`homepost build` of a site without the fediverse pays for neither on every run (a no-change build is 0.4 s)."""
    import subprocess
    import sys

    code = (
        "import sys, generator.cli, generator.pipeline.build; "
        "print([m for m in ('generator.importers', 'generator.fediverse.keys', 'cryptography') if m in sys.modules])"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert out.strip() == "[]"
