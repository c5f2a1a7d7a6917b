"""`homepost theme path` and `homepost theme copy TEMPLATE`."""

from __future__ import annotations

from pathlib import Path

from generator.render import bundled_themes_dir
from tests.conftest import SiteFactory
from tests.helpers import run_cli

DEFAULT = bundled_themes_dir() / "default"


def test_theme_path_prints_the_bundled_theme(make_site: SiteFactory) -> None:
    result = run_cli("theme", "path", "--site", str(make_site()))
    assert result.exit_code == 0 and result.output == f"{DEFAULT}\n"


def test_theme_path_prints_the_sites_own_theme(make_site: SiteFactory) -> None:
    site = make_site({"themes/mine/templates/base.html": "x"})
    (site / "site.toml").write_text((site / "site.toml").read_text() + 'theme = "mine"\n')
    result = run_cli("theme", "path", "--site", str(site))
    assert result.exit_code == 0 and Path(result.output.strip()) == site / "themes/mine"


def test_theme_copy_copies_one_template_to_edit(make_site: SiteFactory) -> None:
    site = make_site()
    result = run_cli("theme", "copy", "partials/footer.html", "--site", str(site))
    assert result.exit_code == 0, result.output
    copied = site / "templates/partials/footer.html"
    assert copied.read_bytes() == (DEFAULT / "templates/partials/footer.html").read_bytes()
    assert f"created {copied}" in result.output


def test_theme_copy_refuses_to_overwrite(make_site: SiteFactory) -> None:
    site = make_site({"templates/post.html": "mine"})
    result = run_cli("theme", "copy", "post.html", "--site", str(site))
    assert result.exit_code == 1 and "templates/post.html: already exists; nothing was changed" in result.output
    assert (site / "templates/post.html").read_text() == "mine"


def test_theme_copy_of_an_unknown_name_lists_the_templates(make_site: SiteFactory) -> None:
    site = make_site()
    result = run_cli("theme", "copy", "../site.toml", "--site", str(site))
    assert result.exit_code == 1
    assert "../site.toml: the theme has no such template; it has: 404.html, " in result.output
    assert "partials/footer.html" in result.output and "post.html" in result.output
    assert not (site / "templates").exists()
