"""Symbolic links never carry a file from outside the site into it: refused with an error naming the
link and where it points, unless `[build] allow_outside_symlinks` says so; links inside are fine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import SITE_TOML, build

POST = "---\ntitle: Hello\ndate: 2026-05-01\n---\nBody.\n"


def site(make_site, tmp_path: Path, config: str = SITE_TOML) -> tuple[Path, Path]:
    root = make_site({"content/posts/hello.md": POST, "static/robots-extra.txt": "inside\n"}, config=config)
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("the secret\n")
    return root, secret


def link(path: Path, target: Path | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def published(root: Path) -> str:
    return (
        "".join(p.read_text(errors="replace") for p in (root / "public").rglob("*") if p.is_file())
        if (root / "public").exists()
        else ""
    )


@pytest.mark.parametrize("where", ["content/images/x", "content/posts/stolen.md", "static/x.txt"])
def test_a_file_linked_from_outside_the_site_is_refused(make_site, tmp_path: Path, where: str) -> None:
    root, secret = site(make_site, tmp_path)
    link(root / where, secret)
    result = build(root)
    assert result.exit_code == 1
    assert (
        f"{where}: a symbolic link to {secret.resolve()}, outside the site folder: refused; "
        "set [build] allow_outside_symlinks = true to publish it"
    ) in result.output
    assert "the secret" not in published(root)


def test_a_folder_linked_from_outside_the_site_is_refused(make_site, tmp_path: Path) -> None:
    root, secret = site(make_site, tmp_path)
    link(root / "content/images", secret.parent)
    result = build(root)
    assert result.exit_code == 1 and f"content/images: a symbolic link to {secret.parent.resolve()}" in result.output


def test_links_inside_the_site_are_fine(make_site, tmp_path: Path) -> None:
    root, _ = site(make_site, tmp_path)
    link(root / "content/images/copy.txt", Path("../../static/robots-extra.txt"))
    result = build(root)
    assert result.exit_code == 0, result.output
    assert (root / "public/images/copy.txt").read_text() == "inside\n"


def test_the_setting_allows_links_to_outside(make_site, tmp_path: Path) -> None:
    root, secret = site(make_site, tmp_path, SITE_TOML + "allow_outside_symlinks = true\n")
    link(root / "content/images/x.txt", secret)
    result = build(root)
    assert result.exit_code == 0, result.output
    assert (root / "public/images/x.txt").read_text() == "the secret\n"
