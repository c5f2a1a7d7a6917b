"""The parts of RFC 8941 structured fields that HTTP Signatures need: dictionaries, inner lists, parameters.

Used for RFC 9421's `Signature-Input` and `Signature` and RFC 9530's `Content-Digest`. A value that
does not parse raises `ValueError` with what was expected at which character.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

Bare = str | int | bool | bytes
Params = tuple[tuple[str, Bare], ...]

_KEY = re.compile(r"[a-z*][a-z0-9_.*-]*")
_TOKEN = re.compile(r"[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")


@dataclass(frozen=True)
class Item:
    """A bare value (or, for an inner list, a tuple of items) with its parameters."""

    value: Bare | tuple[Item, ...]
    params: Params = ()

    def param(self, name: str) -> Bare | None:
        """The value of parameter `name`, or None."""
        return next((value for key, value in self.params if key == name), None)


def parse_dictionary(text: str) -> dict[str, Item]:
    """A structured-field dictionary, its members in order; ValueError when `text` is not one."""
    parser = _Parser(text)
    members: dict[str, Item] = {}
    parser.spaces()
    while not parser.done():
        key = parser.match(_KEY, "a key")
        if parser.peek() == "=":
            parser.pos += 1
            members[key] = parser.inner_list() if parser.peek() == "(" else parser.item()
        else:
            members[key] = Item(True, parser.params())
        parser.spaces(tabs=True)
        if parser.done():
            break
        parser.expect(",")
        parser.spaces(tabs=True)
        if parser.done():
            raise ValueError("a member after the last comma")
    return members


def serialize_inner_list(item: Item) -> str:
    """An inner list with its parameters as RFC 8941 writes it (RFC 9421's `@signature-params` value)."""
    assert isinstance(item.value, tuple)
    inner = " ".join(_bare(member.value) + _params(member.params) for member in item.value)  # type: ignore[arg-type]
    return f"({inner}){_params(item.params)}"


def _params(params: Params) -> str:
    return "".join(f";{key}" if value is True else f";{key}={_bare(value)}" for key, value in params)


def _bare(value: Bare) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at character {self.pos + 1}")
        self.pos += 1

    def spaces(self, tabs: bool = False) -> None:
        while self.peek() == " " or (tabs and self.peek() == "\t"):
            self.pos += 1

    def match(self, pattern: re.Pattern[str], what: str) -> str:
        found = pattern.match(self.text, self.pos)
        if not found:
            raise ValueError(f"expected {what} at character {self.pos + 1}")
        self.pos = found.end()
        return found.group()

    def inner_list(self) -> Item:
        self.expect("(")
        members: list[Item] = []
        while True:
            self.spaces()
            if self.peek() == ")":
                self.pos += 1
                return Item(tuple(members), self.params())
            members.append(self.item())
            if self.peek() not in (" ", ")"):
                raise ValueError(f"expected a space or ')' at character {self.pos + 1}")

    def item(self) -> Item:
        return Item(self.bare(), self.params())

    def params(self) -> Params:
        found: list[tuple[str, Bare]] = []
        while self.peek() == ";":
            self.pos += 1
            self.spaces()
            key = self.match(_KEY, "a parameter name")
            value: Bare = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare()
            found = [pair for pair in found if pair[0] != key] + [(key, value)]
        return tuple(found)

    def bare(self) -> Bare:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == ":":
            end = self.text.find(":", self.pos + 1)
            if end < 0:
                raise ValueError(f"an unterminated byte sequence at character {self.pos + 1}")
            raw, self.pos = self.text[self.pos + 1 : end], end + 1
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"invalid base64 before character {self.pos}") from None
        if char == "?":
            self.pos += 1
            flag = self.match(re.compile("[01]"), "?0 or ?1")
            return flag == "1"
        if char == "-" or char.isdigit():
            number = self.match(_INTEGER, "an integer")
            if self.peek() == ".":
                raise ValueError(f"a decimal at character {self.pos + 1} (not used in signatures)")
            return int(number)
        return self.match(_TOKEN, "a value")

    def string(self) -> str:
        self.pos += 1
        chars: list[str] = []
        while not self.done():
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\"):
                    raise ValueError(f"an invalid escape at character {self.pos}")
                chars.append(escaped)
                self.pos += 1
            elif char == '"':
                return "".join(chars)
            elif not " " <= char <= "~":
                raise ValueError(f"a character strings may not hold at character {self.pos}")
            else:
                chars.append(char)
        raise ValueError("an unterminated string")
