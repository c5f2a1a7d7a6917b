"""The README's table of site.toml's keys, made from their declarations.

`python -m generator.config.reference` prints it; `--write README.md` (what `make docs` runs)
puts it between the README's two markers. A test fails when the README's table is not current.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from generator.config.declare import Declared, Key, Tables, declared, type_name
from generator.config.settings import Config

BEGIN = "<!-- site.toml keys: made by `make docs` from generator/config; edit the declarations, not this table -->"
END = "<!-- end of site.toml keys -->"
HEADER = "| key | type | default | meaning |\n|---|---|---|---|"


def rows(cls: type = Config, table: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, meaning) for every key of site.toml, in the order of the declarations."""
    for item in declared(cls):
        child = f"{table}.{item.name}" if table else item.name
        if isinstance(item.spec, Tables):
            label = table if item.spec.rest else child
            defaults = ", ".join(f"`{name}`" for name in item.spec.defaults) or "none"
            yield f"[{label}.NAME]", "table", defaults, item.spec.doc
            assert item.table is not None
            yield from rows(item.table, f"{label}.NAME")
        elif item.table is not None:
            if table:
                yield f"[{child}]", "table", "", item.spec.doc
            yield from rows(item.table, child)
        else:
            yield f"[{table}] {item.name}", type_name(item), _default(item), item.spec.doc


def _default(item: Declared) -> str:
    """The default as the README shows it."""
    spec = item.spec
    assert isinstance(spec, Key)
    if spec.shown:
        return spec.shown
    if spec.required or not item.has_default:
        return "derived" if spec.derive else "required"
    value = item.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return "`[]`" if value == () else f"`{value}`"


def table() -> str:
    """The Markdown table of every key."""
    lines = [HEADER]
    for key, kind, default, meaning in rows():
        cells = (f"`{key}`", kind, default, meaning)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def rewrite(text: str) -> str:
    """`text` (the README) with the table between the markers made anew."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the markers are missing: {BEGIN} ... {END}")
    return text[: start + len(BEGIN)] + "\n" + table() + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a README."""
    parser = argparse.ArgumentParser(prog="python -m generator.config.reference", description=__doc__)
    parser.add_argument("--write", type=Path, metavar="README", help="replace the table between the markers")
    args = parser.parse_args(argv)
    if args.write is None:
        print(table())
        return 0
    text = args.write.read_text(encoding="utf-8")
    try:
        new = rewrite(text)
    except ValueError as exc:
        print(f"{args.write}: {exc}", file=sys.stderr)
        return 1
    if new != text:
        args.write.write_text(new, encoding="utf-8")
    print(f"{args.write}: {'rewritten' if new != text else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
