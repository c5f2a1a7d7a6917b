"""Bad input: every kind gets a clear message naming where, and the previous output survives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.pipeline.writer import OutputPlan, write_output
from tests.conftest import SiteFactory
from tests.helpers import SITE_TOML, build, snapshot
from tests.sites import BLOG


def failed(site: Path) -> str:
    result = build(site)
    assert result.exit_code == 1, result.output
    return result.output


def test_toml_syntax_error_names_line_and_column(make_site: SiteFactory) -> None:
    site = make_site(config='[site]\ntitle = "x"\nurl = https://example.org/\n')
    output = failed(site)
    assert "error: site.toml:3:7: invalid TOML: " in output


def test_unknown_config_key_gets_a_did_you_mean_hint(make_site: SiteFactory) -> None:
    site = make_site(config=SITE_TOML.replace("posts_per_page", "post_per_page"))
    assert "error: site.toml: build.post_per_page: unknown key; did you mean 'posts_per_page'?" in failed(site)


def test_every_config_problem_is_reported_at_once(make_site: SiteFactory) -> None:
    config = SITE_TOML.replace('url = "https://example.org/"\ndesc', 'url = "example.org"\ndesc')
    config = config.replace('timezone = "Europe/Berlin"', 'timezone = "Mars/Olympus"').replace(
        "posts_per_page = 2", "posts_per_page = 0"
    )
    output = failed(make_site(config=config))
    assert "site.toml: site.url: expected an http(s) URL" in output
    assert "site.toml: site.timezone: expected an IANA time zone such as 'Europe/Berlin', got 'Mars/Olympus'" in output
    assert "site.toml: build.posts_per_page: expected a whole number greater than 0" in output
    assert "Build failed with 3 errors." in output


def test_missing_site_toml_says_how_to_start(tmp_path: Path) -> None:
    output = failed(tmp_path)
    assert "no site.toml here; run `homepost init` to create a site" in output


def test_bad_yaml_front_matter_names_the_file_and_line(make_site: SiteFactory) -> None:
    text = "---\ntitle: Fine\ntags: [one, two\ndate: 2026-01-01\n---\n\nBody\n"
    output = failed(make_site({"content/posts/2026-01-01-broken.md": text}))
    assert "error: content/posts/2026-01-01-broken.md:4:" in output
    assert "invalid YAML front matter" in output


def test_bad_toml_front_matter_names_the_file_and_line(make_site: SiteFactory) -> None:
    text = '+++\ntitle = "Fine"\ndate = 2026-01-01\ntags = [oops]\n+++\n\nBody\n'
    output = failed(make_site({"content/posts/2026-01-01-broken.md": text}))
    assert "error: content/posts/2026-01-01-broken.md:4:" in output and "invalid TOML" in output


def test_wrong_value_names_the_key_and_its_line(make_site: SiteFactory) -> None:
    text = "---\ntitle: Fine\ndate: yesterday\ndraft: maybe\n---\n\nBody\n"
    output = failed(make_site({"content/posts/2026-01-01-wrong.md": text}))
    assert "content/posts/2026-01-01-wrong.md:3: date: 'yesterday' is not a date; write it as 2024-12-06," in output
    assert "content/posts/2026-01-01-wrong.md:4: draft: expected true or false" in output


def test_post_without_any_date_is_an_error(make_site: SiteFactory) -> None:
    output = failed(make_site({"content/posts/undated.md": "---\ntitle: When?\n---\n\nBody\n"}))
    assert "content/posts/undated.md: date: required for posts" in output


def test_unclosed_front_matter(make_site: SiteFactory) -> None:
    output = failed(make_site({"content/posts/2026-01-01-open.md": "---\ntitle: Open\n\nBody\n"}))
    assert "content/posts/2026-01-01-open.md:1: front matter opened with '---' on line 1 is never closed" in output


def test_two_posts_with_one_url_name_both_files(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/2026-01-01-same.md": "---\ntitle: A\n---\n\nA\n",
            "content/posts/2026-01-05-other.md": "---\ntitle: B\nslug: same\n---\n\nB\n",
        }
    )
    output = failed(site)
    assert "content/posts/2026-01-01-same.md" in output and "content/posts/2026-01-05-other.md" in output
    assert "writes /2026/01/same/index.html" in output


def test_alias_that_collides_with_a_post_is_an_error(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/2026-01-01-a.md": "---\ntitle: A\n---\n\nA\n",
            "content/posts/2026-01-02-b.md": "---\ntitle: B\naliases: [/2026/01/a/]\n---\n\nB\n",
        }
    )
    output = failed(site)
    assert "content/posts/2026-01-02-b.md (aliases)" in output and "content/posts/2026-01-01-a.md" in output


def test_link_to_a_missing_markdown_file_is_an_error(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/2026-01-01-a.md": "---\ntitle: A\n---\n\nSee [this](nope.md).\n"})
    assert "content/posts/2026-01-01-a.md:5: links to 'nope.md', which is not a published post or page" in failed(site)


def test_template_error_names_the_template_and_line(make_site: SiteFactory) -> None:
    site = make_site(
        {
            **BLOG,
            "templates/page.html": (
                '{% extends "base.html" %}\n{% block content %}\n{{ post.nope.deeper }}\n{% endblock %}\n'
            ),
        }
    )
    output = failed(site)
    assert "templates/page.html:3: UndefinedError: " in output and "(rendering /about/index.html)" in output


def test_template_syntax_error_names_the_template_and_line(make_site: SiteFactory) -> None:
    site = make_site(
        {**BLOG, "templates/page.html": '{% extends "base.html" %}\n{% block content %}\n{% if %}\n{% endblock %}\n'}
    )
    output = failed(site)
    assert "templates/page.html:3: template syntax error: " in output


def test_missing_include_is_reported(make_site: SiteFactory) -> None:
    site = make_site(
        {
            **BLOG,
            "templates/page.html": (
                '{% extends "base.html" %}\n{% block content %}\n'
                '{% include "partials/nothing.html" %}\n{% endblock %}\n'
            ),
        }
    )
    output = failed(site)
    assert "templates/page.html:3: template not found: partials/nothing.html" in output


def test_problems_in_several_files_are_all_reported(make_site: SiteFactory) -> None:
    site = make_site(
        {
            "content/posts/2026-01-01-a.md": "---\ndraft: 3\n---\n\nA\n",
            "content/posts/2026-01-02-b.md": "---\nlang: 'not a tag!'\n---\n\nB\n",
        }
    )
    output = failed(site)
    assert "content/posts/2026-01-01-a.md:2: draft:" in output
    assert "content/posts/2026-01-02-b.md:2: lang:" in output


def test_not_utf8_content_is_named(make_site: SiteFactory) -> None:
    site = make_site({"content/posts/2026-01-01-latin1.md": "---\ntitle: Café\n---\n\nx\n".encode("latin-1")})
    assert "content/posts/2026-01-01-latin1.md: not UTF-8 text" in failed(site)


def test_failed_build_leaves_previous_output_byte_for_byte_intact(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    assert build(site).exit_code == 0
    before = snapshot(site / "public")
    (site / "content/posts/2026-01-10-first-post.md").write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    (site / "content/posts/2026-05-01-new.md").write_text("---\ntitle: New\n---\n\nnew\n", encoding="utf-8")
    assert build(site).exit_code == 1
    assert snapshot(site / "public") == before
    assert sorted(p.name for p in site.iterdir()) == [".homepost", "content", "public", "site.toml"]
    assert not list(site.glob(".public.*")), "a staging folder was left behind"


def test_template_failure_also_leaves_previous_output_intact(make_site: SiteFactory) -> None:
    site = make_site(BLOG)
    assert build(site).exit_code == 0
    before = snapshot(site / "public")
    (site / "templates").mkdir()
    (site / "templates/post.html").write_text("{{ 1 / 0 }}", encoding="utf-8")
    assert build(site).exit_code == 1
    assert snapshot(site / "public") == before


def test_write_interrupted_midway_leaves_output_and_cleans_up(tmp_path: Path) -> None:
    output = tmp_path / "public"
    output.mkdir()
    (output / "index.html").write_text("old")

    def crash() -> bytes:
        raise OSError("disk full")

    plan = OutputPlan()
    plan.add_bytes("a.html", b"a", "test")
    plan.add("b.html", "test", "fingerprint", crash)
    with pytest.raises(BuildError, match="test: cannot be written: disk full"):
        write_output(output, plan, previous=None)
    assert (output / "index.html").read_text() == "old" and not (output / "a.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_staging_folder_of_a_killed_build_is_cleared_by_the_next(tmp_path: Path) -> None:
    output = tmp_path / "public"
    leftover = tmp_path / f".public.building-{os.getpid() + 1}"
    (leftover / "half").mkdir(parents=True)
    plan = OutputPlan()
    plan.add_bytes("index.html", b"new", "test")
    write_output(output, plan, previous=None)
    assert (output / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]
