"""Reading `site.toml`: every problem in the file is collected and reported at once, each naming
the file, the dotted key and what was expected; a TOML syntax error names its line and column.

The reading is generic: it walks the settings classes (`settings`, `services`) and their
declarations (`declare`), so a key declared there is read, checked and reported without more code.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import MISSING
from pathlib import Path
from typing import Any

from generator.config.declare import Declared, Key, Tables, convert, declared, expected, name_field, rules, toml_types
from generator.config.settings import CONFIG_NAME, Config
from generator.errors import ConfigError, Problem


class _Reader:
    """Walks the parsed TOML along the settings classes, collecting every problem."""

    def __init__(self, file: str, data: dict[str, Any]):
        self.file = file
        self.data = data  # the whole file, for the rules that look beyond their table
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, key=key))

    def section(self, data: Any, key: str) -> dict[str, Any]:
        """A table of the file: nothing written is empty, anything but a table a problem."""
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.problem(key, "expected a table")
            return {}
        return data

    def unknown(self, data: dict[str, Any], known: list[str], prefix: str) -> None:
        for name in data:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; expected one of {', '.join(known)}"
                self.problem(f"{prefix}{name}", f"unknown key{suggestion}")

    def read(self, cls: type, data: dict[str, Any], path: str, name: str = "") -> dict[str, Any] | None:
        """The attributes of `cls` from one table (`name`: a named table's), or None if it has a problem."""
        before = len(self.problems)
        prefix = f"{path}." if path else ""
        data = dict(data)
        secret = rules(cls).secret
        if secret is not None:
            for written in list(data):
                message = secret(name or path, written)
                if message:
                    self.problem(prefix + written, message)
                    del data[written]
        items = declared(cls)
        known = [item.name for item in items]
        rest = {k: v for k, v in data.items() if k not in known}  # the named tables beside the keys
        if not any(isinstance(item.spec, Tables) and item.spec.rest for item in items):
            self.unknown(data, known, prefix)
        values: dict[str, Any] = {}
        for item in items:
            value = self.item(item, data, rest, path)
            if value is not MISSING:
                values[item.field.name] = value
        check = rules(cls).check
        for key, message in check(values, name or path, self.data) if check else ():
            self.problem(prefix + key, message)
        if len(self.problems) > before:
            return None
        attrs = {}
        for item in items:
            field = item.field.name
            if field in values:
                attrs[field] = values[field] if item.table else convert(item, values[field])
            elif isinstance(item.spec, Key) and item.spec.derive:
                attrs[field] = item.spec.derive(name)
        if name:
            attrs[name_field(cls)] = name
        return attrs

    def item(self, item: Declared, data: dict[str, Any], rest: dict[str, Any], path: str) -> Any:
        """One declared field's checked value from its table (`rest`: the keys none declares), or MISSING."""
        dotted = f"{path}.{item.name}" if path else item.name
        if isinstance(item.spec, Tables):
            if item.spec.rest:
                return self.named(item, rest, path)
            return self.named(item, self.section(data.get(item.name), dotted), dotted)
        top = item.table is not None and not path  # a table of the file, not a key holding one
        if item.name not in data:
            if top and not item.has_default:  # a required table: its own keys say what is missing
                return self.nested(item, {}, dotted)
            if item.key.required or (not item.has_default and item.key.derive is None):
                self.problem(dotted, f"required, expected {expected(item)}")
            return MISSING
        value = data[item.name]
        if top:
            return self.nested(item, self.section(value, dotted), dotted)
        types = toml_types(item)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            self.problem(dotted, f"expected {expected(item)}, got {_describe(value)}")
            return MISSING
        choices = item.key.choices
        message = (
            ("expected one of " + ", ".join(repr(c) for c in choices)) if choices and value not in choices else None
        )
        message = message or (item.key.check(value) if item.key.check else None)
        if message:
            self.problem(dotted, message)
            return MISSING
        if item.table is None:
            return value
        table = item.key.convert(value) if item.key.convert else value  # a shorthand as its table
        return self.nested(item, self.section(table, dotted), dotted)

    def nested(self, item: Declared, data: dict[str, Any], path: str) -> Any:
        """The settings object of a table, or MISSING when it has a problem."""
        assert item.table is not None
        attrs = self.read(item.table, data, path)
        return MISSING if attrs is None else item.table(**attrs)

    def named(self, item: Declared, data: dict[str, Any], path: str) -> tuple[Any, ...]:
        """The named tables of one kind: the defaults, then the file's; those with a problem left out."""
        spec, cls = item.spec, item.table
        assert isinstance(spec, Tables) and cls is not None
        read: dict[str, dict[str, Any] | None] = {}
        for name, value in data.items():
            dotted = f"{path}.{name}"
            if re.fullmatch(spec.name, name):
                read[name] = self.read(cls, self.section(value, dotted), dotted, name)
            else:
                self.problem(dotted, f"expected {spec.rule}")
        elements = []
        for name in dict.fromkeys([*spec.defaults, *read]):
            attrs = read[name] if name in read else self.read(cls, {}, f"{path}.{name}", name)
            if attrs is not None:
                elements.append(cls(**attrs))
        return tuple(e for e in elements if spec.keep is None or spec.keep(e))


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
    reader = _Reader(file, data)
    attrs = reader.read(Config, data, "")
    if attrs is None:
        raise ConfigError(reader.problems)
    return Config(root=root, **attrs)


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
        return Problem(
            file, f"invalid TOML: {message[: match.start()]} before the end of the front matter", line=end_line
        )
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
