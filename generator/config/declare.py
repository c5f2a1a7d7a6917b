"""How a key of `site.toml` is declared: once, as a field of a settings dataclass.

`setting()` gives a field its description, check and the wording of its errors; `tables()` declares a
table of named tables (`[podcasts.NAME]`); `TableRules` holds what one table checks across its keys.
The loader, the error messages and the README's reference table all read these declarations.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass
from typing import Any, Union, get_args, get_origin, get_type_hints

Check = Callable[[Any], str | None]
KEY = "homepost.key"  # the metadata entry of a declared field
NAME = "homepost.name"  # the metadata entry of the field that receives a named table's name


@dataclass(frozen=True)
class Key:
    """One key: its description and everything the loader needs beyond the field's type and default."""

    doc: str
    check: Check | None = None
    choices: tuple[str, ...] = ()  # the only values allowed
    expected: str = ""  # what errors say was expected; empty: said from the type or the choices
    required: bool = False  # must be written whenever its table is, even though the field has a default
    toml: str = ""  # the name in site.toml, when the attribute's cannot be it (`from`)
    accepts: tuple[type, ...] = ()  # the TOML types, when the field's type does not say them (a date)
    convert: Callable[[Any], Any] | None = None  # the TOML value into the attribute's; None: from the type
    derive: Callable[[str], Any] | None = None  # the default, from the name of the named table
    shown: str = ""  # the README's default, when the value alone would mislead ("derived")


@dataclass(frozen=True)
class Tables:
    """A table whose keys are names, each holding a table of the element type (`[taxonomies.NAME]`)."""

    doc: str
    name: str  # a regular expression every name matches
    rule: str  # the names' rule in words, for the error
    defaults: tuple[str, ...] = ()  # names that exist unless written otherwise
    keep: Callable[[Any], bool] | None = None  # which elements stay (taxonomies: the enabled ones)
    rest: bool = False  # the named tables are the other keys of the enclosing table (`[syndication]`)


Found = Iterable[tuple[str, str]]  # (key, message) problems found by a rule


@dataclass(frozen=True)
class TableRules:
    """What one table checks beyond each key on its own, declared as a class attribute `TOML`."""

    # the message for a credential written in this table (given the table's name and the key), or None
    secret: Callable[[str, str], str | None] | None = None
    # problems across the table's keys, given its checked values, its name and the whole file
    check: Callable[[dict[str, Any], str, dict[str, Any]], Found] | None = None


def setting(default: Any = MISSING, doc: str = "", **options: Any) -> Any:
    """A field of a settings class that is a key of site.toml; without a default the key is required."""
    return dataclasses.field(default=default, metadata={KEY: Key(doc, **options)})


def table(cls: type, doc: str = "", **options: Any) -> Any:
    """A field holding a whole table of keys, its defaults when the table is not written.

    A table that may also be written as a shorter value declares `accepts` (the TOML types, `dict`
    among them) and `convert` (the shorter value into the table's keys).
    """
    return dataclasses.field(default_factory=cls, metadata={KEY: Key(doc, **options)})


def tables(doc: str, name: str, rule: str, **options: Any) -> Any:
    """A field holding the named tables of one kind, as a tuple."""
    return dataclasses.field(default=(), metadata={KEY: Tables(doc, name, rule, **options)})


def named() -> Any:
    """The field of a named table's class that receives its name (not a key of site.toml)."""
    return dataclasses.field(metadata={NAME: True})


@dataclass(frozen=True)
class Declared:
    """One declared field of a settings class, with its TOML name and type."""

    field: dataclasses.Field[Any]
    spec: Key | Tables
    hint: Any

    @functools.cached_property
    def name(self) -> str:
        """The key's name in site.toml."""
        return (self.spec.toml if isinstance(self.spec, Key) else "") or self.field.name

    @property
    def key(self) -> Key:
        """The declaration of a plain key (not a table of named tables)."""
        assert isinstance(self.spec, Key)
        return self.spec

    @functools.cached_property
    def has_default(self) -> bool:
        """Whether the field has a default (else it is required, unless derived from a name)."""
        return self.field.default is not MISSING or self.field.default_factory is not MISSING

    @property
    def default(self) -> Any:
        """The field's default value."""
        if self.field.default_factory is not MISSING:
            return self.field.default_factory()
        return self.field.default

    @functools.cached_property
    def plain(self) -> Any:
        """The field's type without `| None`."""
        return _plain(self.hint)

    @functools.cached_property
    def table(self) -> type | None:
        """The settings class of a key that holds a table (`[site.author]`), or of each named table."""
        hint = self.hint
        if isinstance(self.spec, Tables):
            hint = get_args(hint)[0]
        return hint if dataclasses.is_dataclass(hint) and isinstance(hint, type) else None


@functools.cache
def declared(cls: type) -> tuple[Declared, ...]:
    """The declared fields of a settings class, in their order."""
    hints = get_type_hints(cls)
    fields = dataclasses.fields(cls)
    return tuple(Declared(f, f.metadata[KEY], hints[f.name]) for f in fields if KEY in f.metadata)


def name_field(cls: type) -> str:
    """The field of a named table's class that receives its name."""
    return next(f.name for f in dataclasses.fields(cls) if f.metadata.get(NAME))


def rules(cls: type) -> TableRules:
    """The table's rules beyond each key, declared as `TOML` on its class."""
    found = getattr(cls, "TOML", None)
    return found if isinstance(found, TableRules) else TableRules()


def _plain(hint: Any) -> Any:
    """The type without `| None`."""
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    return hint


def toml_types(item: Declared) -> tuple[type, ...]:
    """The TOML types a key accepts (a boolean is never accepted for a number)."""
    if isinstance(item.spec, Key) and item.spec.accepts:
        return item.spec.accepts
    hint = item.plain
    if get_origin(hint) is tuple:
        return (list,)
    if item.table is not None:
        return (dict,)
    return (int, float) if hint is float else (hint,)


def type_name(item: Declared) -> str:
    """The key's type as the README names it."""
    if isinstance(item.spec, Key) and item.spec.choices:
        *others, last = (f'`"{c}"`' for c in item.spec.choices)
        return ", ".join(others) + f" or {last}"
    if isinstance(item.spec, Key) and dt.date in item.spec.accepts:
        return "date"
    hint = item.plain
    if get_origin(hint) is tuple:
        inner = get_args(hint)[0]
        return "list of tables" if get_origin(inner) is tuple or dataclasses.is_dataclass(inner) else "list of strings"
    if item.table is not None:
        return "table"
    return {str: "string", bool: "boolean", int: "integer", float: "number"}[hint]


def expected(item: Declared) -> str:
    """What the errors for this key say was expected."""
    spec = item.key
    if spec.expected:
        return spec.expected
    if spec.choices:
        return ", ".join(repr(c) for c in spec.choices[:-1]) + f" or {spec.choices[-1]!r}"
    hint = item.plain
    if get_origin(hint) is tuple:
        return "a list"
    if item.table is not None:
        return "a table"
    return {str: "a string", bool: "true or false", int: "a whole number", float: "a number"}[hint]


def convert(item: Declared, value: Any) -> Any:
    """The attribute's value for a checked TOML value."""
    if item.key.convert is not None:
        return item.key.convert(value)
    hint = item.plain
    if get_origin(hint) is tuple:
        return tuple(value)
    return float(value) if hint is float else value
