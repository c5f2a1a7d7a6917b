"""Hugo shortcodes and Jekyll Liquid tags turned into Markdown or plain HTML.

`ref`/`relref`/`post_url`/`link` become relative `.md` links (Homepost resolves them), `highlight`
fenced code, `figure`/`img` an image, `youtube`/`vimeo`/`gist`/`tweet` a link. Anything else is
left as it is and noted with its file and line, for the report.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from generator.importers.model import Note

Resolve = Callable[[str], "str | None"]  # a reference (a path or a post's name) -> a relative .md link, or None

_HUGO = re.compile(r"\{\{([<%])(/\*)?\s*(/?)([\w./-]+)(.*?)\s*(\*/)?[>%]\}\}", re.S)
_HUGO_CLOSE = r"\{{\{{[<%]\s*/{name}\s*[>%]\}}\}}"
_LIQUID = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}", re.S)
_LIQUID_VAR = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_URL_FILTER = re.compile(r"""^(["'])(.*?)\1\s*\|\s*(relative_url|absolute_url)$""")
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)


def line_of(text: str, index: int, first_line: int) -> int:
    """The line number of `text[index]` when `text` starts at line `first_line`."""
    return first_line + text.count("\n", 0, index)


def arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """A shortcode's or tag's arguments: positional ones and `key="value"` ones."""
    try:
        words = shlex.split(text.strip())
    except ValueError:
        words = text.split()
    positional, named = [], {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and re.fullmatch(r"[\w-]+", key):
            named[key] = value
        else:
            positional.append(word)
    return positional, named


def embed(name: str, positional: list[str], named: Mapping[str, str]) -> str | None:
    """A link (or image) for the common embeds, None for a name that is not one."""
    first = named.get("id") or (positional[0] if positional else "")
    if name == "youtube" and first:
        return f"[YouTube video](https://www.youtube.com/watch?v={first})"
    if name == "vimeo" and first:
        return f"[Vimeo video](https://vimeo.com/{first})"
    if name == "gist" and first:
        path = "/".join(positional[:2]) if len(positional) >= 2 and "/" not in first else first
        return f"[Gist {path}](https://gist.github.com/{path})"
    if name in ("tweet", "x") and first:
        user = named.get("user") or (positional[0] if len(positional) > 1 else "i")
        status = named.get("id") or positional[-1]
        return f"[Post on X](https://x.com/{user}/status/{status})"
    if name in ("figure", "img"):
        return figure(positional, named)
    return None


def figure(positional: list[str], named: Mapping[str, str]) -> str | None:
    """An image: Markdown when it has no caption, else an HTML figure."""
    words = [w for w in positional if not re.fullmatch(r"\d+|left|right|center", w)]
    src = named.get("src") or next((w for w in words if "/" in w or "." in w), "")
    if not src:
        return None
    alt = named.get("alt") or named.get("title") or " ".join(w for w in words if w != src).strip("\"'")
    caption = named.get("caption", "")
    if not caption:
        return f"![{alt}]({src})"
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def fenced(lang: str, code: str) -> str:
    """Fenced code, with a fence longer than any run of backticks inside."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code.strip(chr(10))}\n{fence}"


def convert_hugo(text: str, file: str, first_line: int, resolve: Resolve, notes: list[Note]) -> str:
    """Hugo shortcodes in `text` turned into Markdown; the rest left and noted."""
    out: list[str] = []
    pos = 0
    while (match := _HUGO.search(text, pos)) is not None:
        out.append(text[pos : match.start()])
        pos = match.end()
        _, escaped, closing, name, rest, _ = match.groups()
        line = line_of(text, match.start(), first_line)
        if escaped:  # {{</* x */>}} is Hugo's way to write a shortcode literally
            literal = re.sub(r"\{\{([<%])/\*", r"{{\1", match.group(0))
            out.append(re.sub(r"\*/([>%])\}\}", r"\1}}", literal))
            continue
        positional, named = arguments(rest)
        if name == "highlight" and not closing:
            end = re.compile(_HUGO_CLOSE.format(name=name)).search(text, pos)
            if end:
                out.append(fenced(positional[0] if positional else "", text[pos : end.start()]))
                pos = end.end()
                continue
        if name in ("ref", "relref") and positional:
            target = resolve(positional[0])
            if target is not None:
                out.append(target)
                continue
            notes.append(Note(file, line, f"{name} to {positional[0]!r}: no such post; left as it is"))
            out.append(match.group(0))
            continue
        made = None if closing else embed(name, positional, named)
        if made is None:
            notes.append(Note(file, line, f"shortcode {{{{{match.group(1)} {closing}{name} …}}}} not converted"))
            out.append(match.group(0))
        else:
            out.append(made)
    out.append(text[pos:])
    return "".join(out)


def convert_liquid(
    text: str, file: str, first_line: int, resolve: Resolve, site: Mapping[str, Any], notes: list[Note]
) -> str:
    """Jekyll Liquid tags and `{{ site.x }}` in `text` turned into Markdown; the rest left and noted."""
    raws: list[str] = []

    def keep_raw(match: re.Match[str]) -> str:
        raws.append(match.group(1))
        return f"\0raw{len(raws) - 1}\0"

    text = _RAW.sub(keep_raw, text)
    out: list[str] = []
    pos = 0
    while (match := _LIQUID.search(text, pos)) is not None:
        out.append(text[pos : match.start()])
        pos = match.end()
        name, rest = match.group(1), match.group(2)
        line = line_of(text, match.start(), first_line)
        positional, named = arguments(rest)
        if name == "highlight":
            end = re.compile(r"\{%-?\s*endhighlight\s*-?%\}").search(text, pos)
            if end:
                out.append(fenced(positional[0] if positional else "", text[pos : end.start()]))
                pos = end.end()
                continue
        if name in ("post_url", "link") and positional:
            target = resolve(positional[0])
            if target is not None:
                out.append(target)
                continue
            notes.append(Note(file, line, f"{name} to {positional[0]!r}: no such post or file; left as it is"))
            out.append(match.group(0))
            continue
        made = embed(name, positional, named)
        if made is None:
            notes.append(Note(file, line, f"Liquid tag {{% {name} %}} not converted"))
            out.append(match.group(0))
        else:
            out.append(made)
    out.append(text[pos:])
    converted = _LIQUID_VAR.sub(lambda m: _variable(m, site, file, first_line, notes), "".join(out))
    return re.sub(r"\0raw(\d+)\0", lambda m: raws[int(m.group(1))], converted)


def _variable(match: re.Match[str], site: Mapping[str, Any], file: str, first_line: int, notes: list[Note]) -> str:
    """`{{ site.x }}` as the value _config.yml gives it, `{{ "/x" | relative_url }}` as the path; the rest noted."""
    expression = match.group(1)
    if url := _URL_FILTER.match(expression):
        base = str(site.get("baseurl") or "").rstrip("/")
        path = base + "/" + url.group(2).lstrip("/")
        return str(site.get("url") or "").rstrip("/") + path if url.group(3) == "absolute_url" else path
    value: Any = {"site": site}
    for part in expression.split("."):
        value = value.get(part) if isinstance(value, Mapping) and re.fullmatch(r"\w+", part) else None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    line = line_of(match.string, match.start(), first_line)
    notes.append(Note(file, line, f"Liquid variable {{{{ {expression[:80]} }}}} not converted"))
    return match.group(0)
