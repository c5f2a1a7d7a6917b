"""generator.config: every key declared once, and the settings, the loader and the README agreeing on it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generator.config import Config, parse_config
from generator.config.declare import KEY, NAME, Declared, Key, Tables, declared, expected, toml_types
from generator.config.reference import BEGIN, END, main, table
from generator.errors import ConfigError

ROOT = Path("/site")
README = Path(__file__).resolve().parent.parent / "README.md"
MINIMAL = '[site]\ntitle = "My Site"\nurl = "https://ex.com"\n'
# what a table needs besides the key under test, so that the key's problem is the only one
NEEDS = {
    "podcasts.x": 'title = "T"\ndescription = "D"\n',
    "syndication.x": 'platform = "mastodon"\ninstance = "https://m.example"\n',
    "deploy": 'method = "git"\nrepository = "r"\n',
}


def plain_keys(cls: type = Config, path: str = "") -> list[tuple[str, Declared]]:
    """(table, declaration) of every key holding a value, named tables called `x`."""
    found = []
    for item in declared(cls):
        child = f"{path}.{item.name}" if path else item.name
        if isinstance(item.spec, Tables):
            assert item.table is not None
            found += plain_keys(item.table, f"{path if item.spec.rest else child}.x")
        elif item.table is not None:
            found += plain_keys(item.table, child)
        else:
            found.append((path, item))
    return found


KEYS = plain_keys()
IDS = [f"{table}.{item.name}" for table, item in KEYS]


def text_with(table: str, name: str, value: str) -> str:
    """MINIMAL plus `name = value` in `table`, with what the table needs besides."""
    if table == "site":
        kept = "".join(f"{line}\n" for line in MINIMAL.splitlines() if not line.startswith(f"{name} ="))
        return f"{kept}{name} = {value}\n"
    needs = "".join(f"{line}\n" for line in NEEDS.get(table, "").splitlines() if not line.startswith(f"{name} ="))
    return f"{MINIMAL}[{table}]\n{needs}{name} = {value}\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, ROOT)
    return [str(p) for p in caught.value.problems]


# --- the declarations ----------------------------------------------------------------------------


def settings_classes(cls: type = Config) -> set[type]:
    """Every settings class reachable from Config."""
    found = {cls}
    for item in declared(cls):
        if item.table is not None:
            found |= settings_classes(item.table)
    return found


def test_every_field_of_every_settings_class_is_a_declared_key():
    for cls in settings_classes():
        for field in dataclasses.fields(cls):
            if (cls, field.name) == (Config, "root") or field.metadata.get(NAME):
                continue
            assert KEY in field.metadata, f"{cls.__name__}.{field.name} is not declared with setting()"
            spec = field.metadata[KEY]
            assert isinstance(spec, Key | Tables) and spec.doc or cls is Config, f"{cls.__name__}.{field.name}"


# defaults that can be written out: not the empty ones, which mean "unset", nor the port's 0 (the same)
WRITABLE = [(t, i) for t, i in KEYS if i.has_default and i.default not in ("", None, ()) and i.name != "port"]


@pytest.mark.parametrize(("table", "item"), WRITABLE, ids=[f"{t}.{i.name}" for t, i in WRITABLE])
def test_a_default_written_out_reads_as_the_default(table, item):
    """The default passes its own check and reads back as itself."""
    value = item.default
    toml = json.dumps(value) if isinstance(value, bool | str) else str(value)  # JSON's true, false and strings are TOML
    base = f"{MINIMAL}[{table}]\n{NEEDS.get(table, '')}" if table != "site" else MINIMAL
    assert parse_config(text_with(table, item.name, toml), ROOT) == parse_config(base, ROOT)


# --- errors come from the declarations -----------------------------------------------------------


@pytest.mark.parametrize(("table", "item"), KEYS, ids=IDS)
def test_a_wrong_type_names_the_file_the_key_and_the_declared_type(table, item):
    wrong, found = ('"x"', "a string") if bool in toml_types(item) else ("true", "a boolean")
    with pytest.raises(ConfigError) as caught:
        parse_config(text_with(table, item.name, wrong), ROOT)
    (problem,) = caught.value.problems
    assert (problem.file, problem.key) == ("site.toml", f"{table}.{item.name}")
    assert problem.message == f"expected {expected(item)}, got {found}"
    assert problem.line is None  # tomllib places only syntax errors (see test_config.py), not values


def test_the_expected_type_is_the_declaration_s_wording():
    assert problems(MINIMAL + "[network]\nmax_bytes = true\n") == [
        "site.toml: network.max_bytes: expected a number of bytes, got a boolean"
    ]
    assert problems(MINIMAL + '[deploy]\nmethod = "git"\nrepository = "r"\ndelete = "no"\n') == [
        "site.toml: deploy.delete: expected true or false, got a string"
    ]
    assert problems(MINIMAL + "[newsletter]\nmode = 1\n") == [
        "site.toml: newsletter.mode: expected 'full' or 'excerpt', got a number"
    ]


@pytest.mark.parametrize(
    ("table", "item"),
    [(t, i) for t, i in KEYS if t != "syndication"],
    ids=[i for i in IDS if not i.startswith("syndication.default")],
)
def test_an_unknown_key_near_a_declared_one_gets_a_did_you_mean(table, item):
    typo = item.name + item.name[-1]
    message = f"site.toml: {table}.{typo}: unknown key; did you mean '{item.name}'?"
    assert message in problems(text_with(table, typo, "1"))


def test_an_unknown_key_far_from_any_lists_the_declared_ones():
    assert problems(MINIMAL + "[backfeed]\nzzz = 1\n") == [
        "site.toml: backfeed.zzz: unknown key; expected one of recent_days, older_every_hours, max_age_days"
    ]


# --- the README ----------------------------------------------------------------------------------


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "the README lost its markers around the table of keys"
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()


def test_the_readme_table_of_keys_is_current():
    assert readme_table() == table(), "the README's table of keys is out of date: run `make docs`"


def test_every_declared_key_has_a_row_in_the_readme():
    rows = readme_table()
    missing = [f"[{t}] {i.name}" for t, i in KEYS if f"| `[{t.replace('.x', '.NAME')}] {i.name}` |" not in rows]
    assert missing == []


def test_python_m_reference_prints_the_table(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == table() + "\n"


def test_reference_write_replaces_only_the_table(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Site\n\n{BEGIN}\n| stale |\n{END}\n\nmore\n", encoding="utf-8")
    assert main(["--write", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == f"# Site\n\n{BEGIN}\n{table()}\n{END}\n\nmore\n"
    assert main(["--write", str(readme)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{readme}: already current"


def test_reference_write_refuses_a_readme_without_markers(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# Site\n", encoding="utf-8")
    assert main(["--write", str(readme)]) == 1
    assert "the markers are missing" in capsys.readouterr().err
    assert readme.read_text(encoding="utf-8") == "# Site\n"


# --- the rules a table declares beyond its keys --------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "key", "env"),
    [
        ('[webmention]\ntoken = "s"\n', "webmention.token", "HOMEPOST_WEBMENTIONIO_TOKEN"),
        ('[newsletter]\npassword = "s"\n', "newsletter.password", "HOMEPOST_NEWSLETTER_PASSWORD"),
        (
            '[syndication.social]\nplatform = "mastodon"\ninstance = "https://m.example"\naccess_token = "s"\n',
            "syndication.social.access_token",
            "HOMEPOST_SOCIAL_TOKEN",
        ),
        (
            '[syndication.sky]\nplatform = "bluesky"\nhandle = "a.bsky.social"\napp_password = "s"\n',
            "syndication.sky.app_password",
            "HOMEPOST_SKY_PASSWORD",
        ),
    ],
)
def test_credentials_are_refused_and_told_where_they_belong(extra, key, env):
    (only,) = problems(MINIMAL + extra)
    assert only.startswith(f"site.toml: {key}: credentials never go in site.toml (it is published with the site)")
    assert env in only


def test_a_platform_s_needed_key_is_required_once():
    assert problems(MINIMAL + '[syndication.t]\nplatform = "tumblr"\n') == [
        "site.toml: syndication.t.blog: required for platform 'tumblr'"
    ]
    assert problems(MINIMAL + '[syndication.t]\nplatform = "tumblr"\nblog = "a/b"\n') == [
        'site.toml: syndication.t.blog: expected a blog name such as "example"'
    ]


def test_a_deploy_method_s_needed_key_is_required_once():
    assert problems(MINIMAL + '[deploy]\nmethod = "rsync"\n') == [
        "site.toml: deploy.target: required for method 'rsync'"
    ]
    assert problems(MINIMAL + '[deploy]\nmethod = "rsync"\ntarget = 1\n') == [
        "site.toml: deploy.target: expected a folder or host:path for rsync, got a number"
    ]


def test_plain_http_targets_need_private_addresses_allowed():
    target = '[syndication.m]\nplatform = "mastodon"\ninstance = "http://m.example"\n'
    assert problems(MINIMAL + target) == [
        "site.toml: syndication.m.instance: expected an https URL "
        "(plain http only with [network] allow_private_addresses = true)"
    ]
    config = parse_config(MINIMAL + "[network]\nallow_private_addresses = true\n" + target, ROOT)
    assert config.syndication.targets[0].instance == "http://m.example"


def test_default_names_written_targets_only():
    targets = '[syndication.mastodon]\nplatform = "mastodon"\ninstance = "https://m.example"\n'
    assert problems(MINIMAL + '[syndication]\ndefault = ["mastodn"]\n' + targets) == [
        "site.toml: syndication.default: unknown target 'mastodn'; did you mean 'mastodon'?"
    ]
    assert problems(MINIMAL + '[syndication]\ndefault = ["x"]\n') == [
        "site.toml: syndication.default: unknown target 'x'; define it as [syndication.x]"
    ]
    broken = '[syndication.m]\nplatform = "mastodon"\ninstance = "https://m.example"\nvisibility = "all"\n'
    assert problems(MINIMAL + '[syndication]\ndefault = ["m"]\n' + broken) == [
        "site.toml: syndication.m.visibility: expected one of 'public', 'unlisted', 'private'"
    ]


def test_named_tables_read_with_their_names_and_derived_defaults():
    config = parse_config(
        MINIMAL + "[taxonomies.reading_list]\nfeeds = false\n[taxonomies.series]\nenabled = false\n"
        '[syndication.b]\nplatform = "bluesky"\nhandle = "@a.bsky.social"\nsince = 2026-01-02\n',
        ROOT,
    )
    assert [(t.key, t.title, t.path, t.feeds) for t in config.taxonomies] == [
        ("tags", "Tags", "tags", True),
        ("categories", "Categories", "categories", True),
        ("reading_list", "Reading List", "reading_list", False),
    ]
    (target,) = config.syndication.targets
    assert (target.name, target.handle, target.since) == ("b", "a.bsky.social", "2026-01-02")
