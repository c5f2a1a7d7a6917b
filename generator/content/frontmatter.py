"""Split a Markdown file into front matter (YAML between `---`, TOML between `+++`) and body.

Errors name the file and the line in the whole file, not in the front matter block. Hostile
front matter is refused before it can cost much: a block over MAX_FRONT_MATTER_BYTES, values nested
deeper than MAX_DEPTH, YAML aliases that expand to more than MAX_VALUES values (a "billion laughs")
or refer to themselves, and strings with control characters (which no path, URL or feed can hold).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.config import toml_problem
from generator.content.pelican_headers import is_pelican, read_headers
from generator.errors import ContentError, Problem

MAX_FRONT_MATTER_BYTES = 256 * 1024
MAX_DEPTH = 32  # lists and tables inside each other
MAX_VALUES = 10_000  # values of a YAML block, counting every use of an alias in full
# C0 controls but tab, newline and carriage return; lone surrogates; the non-characters XML refuses.
BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml when built with it
    """Safe YAML without implicit timestamps: dates are parsed by Homepost, one way for all."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class FrontMatter:
    """The metadata of one file, with the line of each top-level key for error messages."""

    data: dict[str, Any]
    body: str
    body_line: int  # 1-based line of the file where the body starts
    lines: dict[str, int] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)  # what was read in a way to tell, for the build to give
    written: dict[str, str] = field(default_factory=dict)  # Homepost key -> the other key it was read from

    def line_of(self, key: str) -> int | None:
        """1-based line in the file where `key` is set, if known."""
        return self.lines.get(key)

    def name_of(self, key: str) -> str:
        """The key as the file writes it (`lastmod` for `updated`, when read from that)."""
        return self.written.get(key, key)


def split(text: str, file: str, kind: str = "post") -> FrontMatter:
    """Separate front matter (or Pelican's `Key: value` headers) from the Markdown body and parse it.

    `kind` ("post" or "page") decides how Pelican's `Status: hidden` is read.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    first, _, rest = text.partition("\n")
    fence = first.rstrip()
    if fence not in ("---", "+++") and is_pelican(text):
        warnings: list[Problem] = []
        data, key_lines, body, body_line = read_headers(text, file, kind, warnings)
        _check_values(data, file, key_lines)
        return FrontMatter(data, body, body_line, key_lines, warnings)
    if fence not in ("---", "+++"):
        return FrontMatter({}, text, 1)
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == fence:
            block = "\n".join(lines[:index])
            body = "\n".join(lines[index + 1 :])
            body_line = index + 3
            break
    else:
        raise ContentError(Problem(file, f"front matter opened with '{fence}' on line 1 is never closed", line=1))
    size = len(block.encode("utf-8", "surrogatepass"))
    if size > MAX_FRONT_MATTER_BYTES:
        raise ContentError(
            Problem(
                file, f"front matter of {size:,} bytes is over the limit of {MAX_FRONT_MATTER_BYTES:,} bytes", line=2
            )
        )
    if fence == "---":
        data, key_lines = _yaml(block, file)
    else:
        data, key_lines = _toml(block, file, closing_line=body_line - 1)
    _check_values(data, file, key_lines)
    return FrontMatter(data, body, body_line, key_lines)


def _yaml(block: str, file: str) -> tuple[dict[str, Any], dict[str, int]]:
    loader = _Loader(block)
    try:
        node = loader.get_single_node()
        if node is not None and ("&" in block or "*" in block):  # anchors and aliases; depth is checked on the values
            _check_nodes(node, file)
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        raise ContentError(_yaml_problem(block, exc, file)) from None
    except yaml.YAMLError as exc:
        raise ContentError(Problem(file, f"invalid YAML front matter: {exc}")) from None
    except RecursionError:  # the pure-Python parser, without libyaml's own limit
        raise ContentError(Problem(file, _too_deep(), line=2)) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ContentError(Problem(file, "front matter must be a mapping of keys to values", line=2))
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return data, key_lines


def _yaml_problem(block: str, exc: yaml.MarkedYAMLError, file: str) -> Problem:
    """A YAML error in a writer's words, with the fix, at the line to look at (PyYAML's words otherwise)."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return Problem(file, f"invalid YAML front matter: {exc.problem or exc.context}")
    lines = block.split("\n")
    text = lines[mark.line] if mark.line < len(lines) else ""
    char = text[mark.column : mark.column + 1]
    line, column = mark.line + 2, mark.column + 1
    key, _, value = text.partition(":")
    quoted = f"{key}: {_quote(value.strip())}"
    if "\t" in text[: len(text) - len(text.lstrip())]:
        return Problem(
            file,
            "a tab is used for indentation; YAML indents with spaces only: replace the tab with spaces",
            line=line,
            column=column,
        )
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        opened = exc.context_mark
        quote = lines[opened.line][opened.column : opened.column + 1]
        message = f"the {quote} that opens this value is never closed: end the value with {quote}"
        return Problem(file, message, line=opened.line + 2, column=opened.column + 1)
    if "mapping values are not allowed" in str(exc.problem) and value.strip():
        return Problem(
            file,
            f"a colon followed by a space inside a value must be quoted, as in  {quoted}",
            line=line,
            column=column,
        )
    if "cannot start any token" in str(exc.problem) and char in ("@", "`", "%"):
        return Problem(
            file,
            f"a value cannot start with {char} in YAML: put it in quotes, as in  {quoted}",
            line=line,
            column=column,
        )
    return Problem(file, f"invalid YAML front matter: {exc.problem or exc.context}", line=line, column=column)


def _quote(value: str) -> str:
    """`value` in YAML quotes: double, or single when it holds a double quote."""
    return f"'{value}'" if '"' in value else f'"{value}"'


def _toml(block: str, file: str, closing_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(toml_problem(file, exc, line_offset=1, end_line=closing_line)) from None
    except RecursionError:
        raise ContentError(Problem(file, _too_deep(), line=2)) from None
    key_lines: dict[str, int] = {}
    open_quote = None  # the delimiter of a multi-line string we are inside, if any
    for number, line in enumerate(block.split("\n"), start=2):
        if open_quote is None and "=" in line:
            key = line.split("=", 1)[0].strip().strip("\"'")
            if key in data and key not in key_lines:
                key_lines[key] = number
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1 and open_quote in (None, quote):
                open_quote = None if open_quote else quote
    return data, key_lines


def _too_deep() -> str:
    return f"front matter values nested more than {MAX_DEPTH} levels deep"


def _check_nodes(root: yaml.Node, file: str) -> None:
    """Refuse a YAML document whose aliases expand it beyond MAX_VALUES values, nest it beyond
    MAX_DEPTH, or make a value contain itself: checked on the composed nodes (where an alias is
    one shared node), before anything is built from them."""
    shapes: dict[int, tuple[int, int]] = {}  # id of a node -> (values it expands to, levels below it)
    open_nodes: set[int] = set()

    def fail(node: yaml.Node, message: str) -> ContentError:
        return ContentError(Problem(file, message, line=node.start_mark.line + 2, column=node.start_mark.column + 1))

    def shape(node: yaml.Node, depth: int) -> tuple[int, int]:
        known = shapes.get(id(node))
        if known is None:
            if id(node) in open_nodes:
                raise fail(node, "a YAML alias refers to a value that contains it")
            if depth > MAX_DEPTH:
                raise fail(node, _too_deep())
            open_nodes.add(id(node))
            children = node.value if isinstance(node, yaml.SequenceNode) else []
            if isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            values, levels = 1, 0
            for child in children:
                count, below = shape(child, depth + 1)
                values, levels = values + count, max(levels, below + 1)
                if values > MAX_VALUES:
                    raise fail(node, f"YAML aliases expand the front matter to more than {MAX_VALUES:,} values")
            open_nodes.discard(id(node))
            known = shapes[id(node)] = (values, levels)
        if depth + known[1] > MAX_DEPTH:
            raise fail(node, _too_deep())
        return known

    shape(root, 0)


def _check_values(data: dict[str, Any], file: str, lines: dict[str, int]) -> None:
    """Refuse strings with control characters and values nested beyond MAX_DEPTH, naming the key."""
    problems: list[Problem] = []
    reported: set[str] = set()  # one problem per key is enough

    def walk(value: Any, key: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            problems.append(Problem(file, _too_deep(), line=lines.get(key), key=key))
        elif isinstance(value, str):
            bad = BAD_CHARACTER.search(value)
            if bad and key not in reported:
                reported.add(key)
                message = f"control character U+{ord(bad.group()):04X} in a string; remove it"
                problems.append(Problem(file, message, line=lines.get(key), key=key))
        elif isinstance(value, dict):
            for name, item in value.items():
                walk(name, key, depth + 1)
                walk(item, key, depth + 1)
        elif isinstance(value, (list, tuple, set)):
            for item in value:
                walk(item, key, depth + 1)

    for key, value in data.items():
        walk(key, str(key), 0)
        walk(value, str(key), 0)
    if problems:
        raise ContentError(problems)
