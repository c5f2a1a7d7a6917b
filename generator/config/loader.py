"""Reading `site.toml`: every problem in the file is collected and reported at once, each naming
the file, the dotted key and what was expected; a TOML syntax error names its line and column.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.config.checks import CREDENTIAL_KEYS, PLATFORM_NEEDS, SCHEMA, TOP_LEVEL, secret_message
from generator.config.settings import (
    CONFIG_NAME,
    DEFAULT_TAXONOMIES,
    Author,
    BackfeedSettings,
    BuildSettings,
    CommentSettings,
    DeploySettings,
    ModerationSettings,
    NewsletterSettings,
    Config,
    NetworkSettings,
    PodcastSettings,
    SiteSettings,
    SyndicationSettings,
    TargetSettings,
    TaxonomySettings,
    ThemeSettings,
    WebmentionSettings,
)
from generator.errors import ConfigError, Problem


class _Reader:
    """Walks the parsed TOML against SCHEMA, collecting every problem."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, key=key))

    def table(self, data: Any, key: str) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problem(key, "expected a table")
            return {}
        return data

    def unknown(self, data: dict[str, Any], known: tuple[str, ...] | list[str], prefix: str) -> None:
        for name in data:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; expected one of {', '.join(known)}"
                self.problem(f"{prefix}{name}", f"unknown key{suggestion}")

    def section(self, data: Any, schema_name: str, key: str) -> dict[str, Any]:
        """Check one table against its schema; return only the keys that passed."""
        table = self.table(data, key)
        schema = SCHEMA[schema_name]
        self.unknown(table, list(schema), f"{key}.")
        good: dict[str, Any] = {}
        for name, option in schema.items():
            dotted = f"{key}.{name}"
            if name not in table:
                if option.required:
                    self.problem(dotted, f"required, expected {option.expected}")
                continue
            value = table[name]
            wrong_type = not isinstance(value, option.types) or (
                isinstance(value, bool) and bool not in option.types
            )
            if wrong_type:
                self.problem(dotted, f"expected {option.expected}, got {_describe(value)}")
                continue
            message = option.check(value) if option.check else None
            if message:
                self.problem(dotted, message)
                continue
            good[name] = value
        return good


def _describe(value: Any) -> str:
    if isinstance(value, float):
        return f"a fraction ({value})"
    names = {bool: "a boolean", int: "a number", str: "a string", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def parse_config(text: str, root: Path, file: str = CONFIG_NAME) -> Config:
    """Parse the text of a site.toml into a Config, or raise ConfigError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(toml_problem(file, exc, line_offset=0)) from None
    reader = _Reader(file)
    reader.unknown(data, TOP_LEVEL, "")
    site = reader.section(data.get("site"), "site", "site")
    author = reader.section(site.pop("author", None), "site.author", "site.author")
    build = reader.section(data.get("build"), "build", "build")
    theme = reader.section(data.get("theme"), "theme", "theme")
    network = reader.section(data.get("network"), "network", "network")
    taxonomies = _taxonomies(reader, reader.table(data.get("taxonomies"), "taxonomies"))
    podcasts = _podcasts(reader, reader.table(data.get("podcasts"), "podcasts"))
    webmention = reader.section(data.get("webmention"), "webmention", "webmention")
    comments = reader.section(data.get("comments"), "comments", "comments")
    newsletter = reader.section(data.get("newsletter"), "newsletter", "newsletter")
    moderation = reader.section(data.get("moderation"), "moderation", "moderation")
    backfeed = reader.section(data.get("backfeed"), "backfeed", "backfeed")
    deploy = _deploy(reader, data.get("deploy"))
    syndication = _syndication(reader, reader.table(data.get("syndication"), "syndication"), network.get("allow_private_addresses", False))
    if reader.problems:
        raise ConfigError(reader.problems)
    url = site.pop("url")
    if not url.endswith("/"):
        url += "/"
    author["me"] = tuple(author.get("me", ()))
    return Config(
        root=root,
        site=SiteSettings(url=url, author=Author(**author), **site),
        build=BuildSettings(**build),
        theme=ThemeSettings(**theme),
        taxonomies=taxonomies,
        network=NetworkSettings(**{k: (float(v) if k == "timeout" else v) for k, v in network.items()}),
        podcasts=podcasts,
        webmention=WebmentionSettings(**{
            **webmention, "blocklist": tuple(d.lower().strip(".") for d in webmention.get("blocklist", ()))
        }),
        syndication=syndication,
        comments=CommentSettings(**comments),
        newsletter=_newsletter(newsletter),
        moderation=ModerationSettings(**{k: tuple(v.strip() for v in vs) for k, vs in moderation.items()}),
        backfeed=BackfeedSettings(**backfeed),
        deploy=deploy,
    )


def _newsletter(options: dict[str, Any]) -> NewsletterSettings:
    """`[newsletter]`, its `from` key renamed (a Python keyword) and `since` a date string."""
    options = {("sender" if k == "from" else k): v for k, v in options.items()}
    if "since" in options:
        options["since"] = str(options["since"])[:10]
    return NewsletterSettings(**options)


def _deploy(reader: _Reader, data: Any) -> DeploySettings:
    """`[deploy]`: the method and the key it needs."""
    if data is None:
        return DeploySettings()
    options = reader.section(data, "deploy", "deploy")
    needs = {"rsync": "target", "git": "repository", "command": "command"}.get(options.get("method", ""))
    if needs and not options.get(needs):
        reader.problem(f"deploy.{needs}", f"required for method {options['method']!r}")
    return DeploySettings(**options)


def _syndication(reader: _Reader, data: dict[str, Any], allow_http: bool) -> SyndicationSettings:
    """`[syndication]`: `default` and one `[syndication.<name>]` table per target."""
    targets = []
    for name, value in data.items():
        if name == "default":
            continue
        key = f"syndication.{name}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            reader.problem(key, "expected a lower-case name of letters, digits, '-' and '_'")
            continue
        table = dict(reader.table(value, key))
        for secret in [k for k in table if k in CREDENTIAL_KEYS]:
            reader.problem(f"{key}.{secret}", secret_message(name, "password" if "password" in secret else "token"))
            del table[secret]
        before = len(reader.problems)
        options = reader.section(table, "syndication.*", key)
        if len(reader.problems) > before:
            continue
        needed = PLATFORM_NEEDS[options["platform"]]
        if needed not in options:
            reader.problem(f"{key}.{needed}", f"required for platform {options['platform']!r}")
            continue
        if not allow_http:
            for url_key in ("instance", "service", "appview", "endpoint", "api"):
                if str(options.get(url_key, "")).startswith("http://"):
                    reader.problem(f"{key}.{url_key}", "expected an https URL (plain http only with [network] allow_private_addresses = true)")
        options["since"] = str(options.get("since", ""))[:10]  # a TOML date or a string
        options["handle"] = options.get("handle", "").lstrip("@")
        options["blog"] = options.get("blog", "").removesuffix(".tumblr.com")
        options = {k: (v.rstrip("/") if k in ("instance", "service", "appview", "api") else v) for k, v in options.items()}
        targets.append(TargetSettings(name=name, **options))
    default = data.get("default", [])
    names = [t.name for t in targets]
    if not isinstance(default, list) or not all(isinstance(d, str) for d in default):
        reader.problem("syndication.default", "expected a list of target names")
        default = []
    for unknown in [d for d in default if d not in names]:
        hint = difflib.get_close_matches(unknown, names, n=1)
        more = f"; did you mean '{hint[0]}'?" if hint else (f"; expected one of {', '.join(names)}" if names else "; define it as [syndication." + unknown + "]")
        reader.problem("syndication.default", f"unknown target {unknown!r}{more}")
    return SyndicationSettings(tuple(targets), tuple(default))


def _taxonomies(reader: _Reader, data: dict[str, Any]) -> tuple[TaxonomySettings, ...]:
    """Defaults (tags, categories, series) overlaid with the site's `[taxonomies.<key>]` tables."""
    result: dict[str, TaxonomySettings] = {
        key: TaxonomySettings(key=key, title=key.title(), path=key) for key in DEFAULT_TAXONOMIES
    }
    for key, value in data.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            reader.problem(f"taxonomies.{key}", "expected a lower-case name of letters, digits and '_'")
            continue
        options = reader.section(value, "taxonomies.*", f"taxonomies.{key}")
        if options.pop("enabled", True) is False:
            result.pop(key, None)
            continue
        base = result.get(key) or TaxonomySettings(key=key, title=key.replace("_", " ").title(), path=key)
        if "path" in options:
            options["path"] = options["path"].strip("/")
        result[key] = replace(base, **options)
    return tuple(result.values())


def _podcasts(reader: _Reader, data: dict[str, Any]) -> tuple[PodcastSettings, ...]:
    """The shows of `[podcasts.<key>]`."""
    shows = []
    for key, value in data.items():
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", key):
            reader.problem(f"podcasts.{key}", "expected a lower-case name of letters, digits, '-' and '_' (it is used in URLs)")
            continue
        before = len(reader.problems)
        options = reader.section(value, "podcasts.*", f"podcasts.{key}")
        if len(reader.problems) > before:
            continue
        options["categories"] = tuple(c.strip() for c in options.get("categories", ()))
        options["funding"] = tuple((f["url"], f.get("text", "")) for f in options.get("funding", ()))
        shows.append(PodcastSettings(key=key, **options))
    return tuple(shows)


def toml_problem(file: str, exc: tomllib.TOMLDecodeError, line_offset: int, end_line: int | None = None) -> Problem:
    """A Problem for a TOML syntax error, with the line and column tomllib reports.

    `end_line` is the line where the TOML ends, for errors tomllib places at the end of the text.
    """
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        line, column = int(match.group(1)) + line_offset, int(match.group(2))
        return Problem(file, f"invalid TOML: {message[: match.start()]}", line=line, column=column)
    match = re.search(r"\s*\(at end of document\)$", message)
    if match and end_line is not None:
        return Problem(file, f"invalid TOML: {message[: match.start()]} before the end of the front matter", line=end_line)
    if match:
        return Problem(file, f"invalid TOML: {message[: match.start()]} at the end of the file")
    return Problem(file, f"invalid TOML: {message}")




def load_config(root: Path) -> Config:
    """Read `<root>/site.toml` into a Config."""
    path = root / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Problem(str(path), "no site.toml here; run `homepost init` to create a site")) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(Problem(str(path), f"not UTF-8 text ({exc.reason})")) from None
    return parse_config(text, root.resolve(), file=CONFIG_NAME)
