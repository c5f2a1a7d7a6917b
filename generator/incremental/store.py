"""The build cache in `.homepost/cache/`: what was read and what was written last time.

A cache is an optimisation, never a source of truth: a missing, corrupt or version-mismatched
file is ignored (and rebuilt), and files are replaced atomically (temporary file, then rename).
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import zlib
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypeGuard

from generator.digest import digest
from generator.incremental.versions import versions
from generator.model import LeftOut

if TYPE_CHECKING:
    from generator.content.sources import CachedFile
    from generator.incremental.fragments import Kept

    ContentCache: TypeAlias = dict[str, CachedFile]  # content file -> what the reader keeps of it
    Fragments: TypeAlias = dict[str, Kept]  # content file -> its post's rendered fragments

log = logging.getLogger(__name__)

CACHE_DIR = ".homepost/cache"
SERVE_OUTPUT = ".homepost/serve"  # where `homepost serve` builds (kept here, light to import, for the CLI's help)
SHARDS = 32  # the content cache is split so that an edit re-saves one part of it, not all
HTML_SHARDS = 256  # finer: a build reads the shards of the few posts whose HTML it shows


def load(path: Path, key: str) -> Any | None:
    """What was stored at `path` under `key`, or None when absent, stale or unreadable."""
    try:
        with path.open("rb") as file:
            stored_key, value = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged cache is discarded, whatever the damage
        log.warning("ignoring damaged cache %s (%s)", path, type(exc).__name__)
        return None
    if stored_key != key:
        log.debug("cache %s is from another version or configuration; ignoring it", path)
        return None
    return value


def save(path: Path, key: str, value: Any) -> None:
    """Store `value` under `key` at `path`, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            pickle.dump((key, value), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class OutputRecord(NamedTuple):
    """What one output file was made from, and what it contains (a tuple: quick to unpickle)."""

    fingerprint: object  # a digest of what the file is made from (None: make it again next time)
    content: str  # digest of the bytes written


@dataclass
class Dependencies:
    """What the pages of a manifest were made from (see dependencies.py): the site's structure,
    the digest of each post as the pages show it, and the posts each page shows."""

    structure: str
    digests: dict[str, str | None]  # content file -> the post's digest (None: unknown, treat as changed)
    covers: dict[str, tuple[str, ...]]  # page (output path) -> content files of the posts it shows


@dataclass
class Manifest:
    """Every file the last successful build wrote into one output folder."""

    output: str  # the folder, resolved
    files: dict[str, OutputRecord] = field(default_factory=dict)
    dependencies: Dependencies | None = None  # of its pages; saved with it, crash-safely


@dataclass
class LastBuild:
    """The inputs of the last successful build, to recognise a build with nothing to do."""

    signature: str  # digest of every input file's name, size and mtime, the configuration and the options
    next_change: object  # the earliest post date still in the future then (a datetime), or None
    output: str
    files: list[str]  # every file in the output
    posts: int
    pages: int
    left_out: LeftOut = LeftOut()  # drafts and scheduled posts, to report again when nothing changed
    warned: bool = False  # it logged warnings: the next build is not skipped, and gives them again


class BuildCache:
    """Where one output folder's cache lives between builds: files in `.homepost/cache/`.

    Each output folder has its own files (a preview and the public build do not evict each
    other). Only what changed is saved: the content cache (an entry per source file), the
    fragments (an entry per post) and the manifest (an entry per output file) are kept in shards,
    and a shard is written again only when one of its entries is new.
    """

    SHARDED = ("content", "fragments", "output")
    HTML = "html"  # each post's HTML, by content file: loaded by shard when a post's HTML is first used

    def __init__(self, folder: Path, output: Path, key: str):
        self.key = key  # the configuration and versions the content cache is valid for
        self.folder = folder
        self.output = str(output)
        self.name = digest(str(output))[:16]
        self.paths = {
            part: folder / f"{part}-{self.name}.pickle" for part in ("last-build", "digests", "covers", "changing")
        }
        self._shards: dict[str, dict[int, dict[str, Any]]] = {}  # each sharded part as last loaded or saved
        self._deps: Any = None  # the manifest's dependencies as on disk, once loaded or saved
        self._changing: Any = None  # the note left by a save of the manifest that did not finish
        self._html: dict[int, dict[str, tuple[str, str]]] = {}  # HTML shards loaded: rel -> (file digest, HTML)

    def load_content(self) -> ContentCache | None:
        """What the reader kept of each content file, or None."""
        return self._load("content")

    def save_content(self, content: ContentCache) -> None:
        """Keep the reader's entries (each changed shard atomically)."""
        self._save("content", content)

    def load_fragments(self) -> Fragments | None:
        """The rendered fragments of each post, or None."""
        return self._load("fragments")

    def save_fragments(self, fragments: Fragments) -> None:
        """Keep the fragments of the posts as they are now."""
        self._save("fragments", fragments)

    def load_output(self) -> Manifest | None:
        """The manifest of the output folder as the last build left it, or None."""
        return self._load("output")

    def save_output(self, manifest: Manifest) -> None:
        """Keep the manifest: its records, then their dependencies (see `_save_manifest`)."""
        self._save("output", manifest)

    def load_last_build(self) -> LastBuild | None:
        """The record of the last successful build, or None."""
        found = self._load("last-build")
        return found if isinstance(found, LastBuild) else None

    def save_last_build(self, record: LastBuild) -> None:
        """Keep the record of this build."""
        self._save("last-build", record)

    def _load(self, part: str) -> Any | None:
        """The stored `part` ("content", "fragments", "output" or "last-build"), or None."""
        if part == "output":  # the manifest: its records are sharded, its dependencies apart
            files = self._load_sharded(part)
            return Manifest(self.output, files, self._load_dependencies()) if files is not None else None
        if part in self.SHARDED:
            return self._load_sharded(part)
        return load(self.paths[part], self.key)

    def _save(self, part: str, value: Any) -> None:
        """Store `part` atomically (a sharded part: each changed shard atomically)."""
        if part == "output":
            self._save_manifest(value)
        elif part in self.SHARDED:
            self._save_sharded(part, value)
        else:
            save(self.paths[part], self.key, value)

    def html(self, rel: str, content: str) -> str | None:
        """The HTML stored for content file `rel` rendered from bytes of digest `content`, or None."""
        found = self._html_shard(_shard_of(rel, HTML_SHARDS)).get(rel)
        return found[1] if found is not None and found[0] == content else None

    def save_html(self, new: dict[str, tuple[str, str]], keep: Container[str], write: bool = True) -> list[int]:
        """Store the (file digest, HTML) of files rendered anew, dropping files not in `keep` from
        each shard written again; the shards changed (on disk too unless `write` is False)."""
        changed: dict[int, dict[str, tuple[str, str]]] = {}
        for rel, value in new.items():
            changed.setdefault(_shard_of(rel, HTML_SHARDS), {})[rel] = value
        for index, entries in changed.items():
            shard = {rel: value for rel, value in self._html_shard(index).items() if rel in keep}
            shard.update(entries)
            self._html[index] = shard
            if write:
                self.write_html(index)
        return list(changed)

    def write_html(self, index: int) -> None:
        """Write one HTML shard as held."""
        save(self._html_path(index), self.key, self._html[index])

    def _html_shard(self, index: int) -> dict[str, tuple[str, str]]:
        shard = self._html.get(index)
        if shard is None:
            loaded = load(self._html_path(index), self.key)
            shard = self._html[index] = loaded if isinstance(loaded, dict) else {}
        return shard

    def _html_path(self, index: int) -> Path:
        return self.folder / f"{self.HTML}-{self.name}-{index:03d}.pickle"

    def _load_dependencies(self) -> Dependencies | None:
        """The manifest's dependencies, less what a save that did not finish may have changed."""
        digests, covers = load(self.paths["digests"], self.key), load(self.paths["covers"], self.key)
        found = None
        if _pair(digests) and _pair(covers) and digests[0] == covers[0]:  # both of one structure
            found = Dependencies(digests[0], digests[1], covers[1])
        self._deps = found
        changing = self._changing = load(self.paths["changing"], self.key)
        if found is None or changing == "all":
            return None
        if changing:  # the posts whose pages were being written again: their records may be newer
            return Dependencies(found.structure, {**found.digests, **dict.fromkeys(changing)}, found.covers)
        return found

    def _save_manifest(self, manifest: Manifest) -> None:
        """Save the records, then their dependencies; a crash in between leaves a note of which
        posts' records may no longer match the dependencies on disk (all, if the structure changed)."""
        old, new = self._deps, manifest.dependencies
        if new == old and self._changing is None:
            self._save_sharded("output", manifest.files)
            return
        same_pages = old is not None and new is not None and old.structure == new.structure and old.covers == new.covers
        if not same_pages or self._changing == "all":
            changing: object = "all"
        else:  # and those a save that did not finish was changing: its records may still be on disk
            assert old is not None and new is not None
            changed = {s for s in old.digests.keys() | new.digests.keys() if old.digests.get(s) != new.digests.get(s)}
            changing = sorted(changed.union(self._changing or ()))
        save(self.paths["changing"], self.key, changing)
        self._save_sharded("output", manifest.files)
        if new is None:
            self.paths["digests"].unlink(missing_ok=True)
        else:  # the digests change with every edit; the posts each page shows, with the structure only
            save(self.paths["digests"], self.key, (new.structure, new.digests))
            if not same_pages:
                save(self.paths["covers"], self.key, (new.structure, new.covers))
        self._deps, self._changing = new, None
        self.paths["changing"].unlink(missing_ok=True)

    def _shard_path(self, part: str, index: int) -> Path:
        return self.folder / f"{part}-{self.name}-{index:02d}.pickle"

    def _load_sharded(self, part: str) -> dict[str, Any] | None:
        entries: dict[str, Any] = {}
        shards = self._shards[part] = {}
        for index in range(SHARDS):
            shard = load(self._shard_path(part, index), self.key)
            if isinstance(shard, dict):  # a missing or damaged shard: its entries are made again
                shards[index] = shard
                entries.update(shard)
        return entries if shards else None

    def _save_sharded(self, part: str, entries: dict[str, Any]) -> None:
        split: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
        for name, entry in entries.items():
            split[_shard_of(name, SHARDS)][name] = entry
        shards = self._shards.setdefault(part, {})
        for index, shard in enumerate(split):
            before = shards.get(index)
            if before is not None and before.keys() == shard.keys() and all(before[k] is v for k, v in shard.items()):
                continue
            save(self._shard_path(part, index), self.key, shard)
            shards[index] = shard


def _pair(value: Any) -> TypeGuard[tuple[Any, Any]]:
    return isinstance(value, tuple) and len(value) == 2


def _shard_of(name: str, shards: int) -> int:
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % shards


class MemoryCache(BuildCache):
    """The same cache kept in memory by a long-running process (the dev server).

    It starts from the files on disk, then saves to memory only; `flush()` writes it back.
    """

    def __init__(self) -> None:
        self.key = ""
        self.parts: dict[str, Any] = {}
        self.disk: BuildCache | None = None
        self._unwritten: set[int] = set()  # HTML shards changed in memory only

    def bind(self, disk: BuildCache) -> None:
        """Use `disk` as the starting point; forget what is held if the configuration or versions changed."""
        if disk.key != self.key or self.disk is None or disk.name != self.disk.name:
            self.key, self.parts, self.disk, self._unwritten = disk.key, {}, disk, set()

    def _load(self, part: str) -> Any | None:
        if part not in self.parts and self.disk is not None:
            self.parts[part] = self.disk._load(part)
        return self.parts.get(part)

    def _save(self, part: str, value: Any) -> None:
        self.parts[part] = value

    def html(self, rel: str, content: str) -> str | None:
        return self.disk.html(rel, content) if self.disk is not None else None

    def save_html(self, new: dict[str, tuple[str, str]], keep: Container[str], write: bool = False) -> list[int]:
        if self.disk is None:
            return []
        changed = self.disk.save_html(new, keep, write=False)
        self._unwritten.update(changed)
        return changed

    def flush(self) -> None:
        """Write what is held to disk, for the next process."""
        if self.disk is not None:
            for index in sorted(self._unwritten):  # the HTML first: a post whose HTML is missing is rendered again
                self.disk.write_html(index)
            self._unwritten.clear()
            for part, value in self.parts.items():
                if value is not None:
                    self.disk._save(part, value)


def disk_store(root: Path, output: Path, config_text: str, url: str) -> BuildCache:
    """The cache in `root`'s .homepost/cache/ of output folder `output`, for a site.toml reading `config_text`."""
    return BuildCache(root / CACHE_DIR, output, digest(versions(), config_text, url))
