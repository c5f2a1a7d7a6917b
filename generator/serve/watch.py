"""What the dev server watches: the site's sources, and which file events are worth a rebuild.

Watched: site.toml and the folders content/, templates/, static/ and themes/ (each recursively,
and each picked up when it is created later), plus any folder added with `watch_folder` (a theme
outside the site). Not watched: the rest of the site folder, so public/, .homepost/, .git/ or a
virtualenv beside site.toml cost nothing. Ignored: opening and reading files (the build itself
does that), hidden files and folders, editors' swap and backup files, and the output folder.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

log = logging.getLogger(__name__)

WATCHED_FOLDERS = ("content", "templates", "static", "themes")
WATCHED_FILES = ("site.toml",)
CHANGES = frozenset({"created", "modified", "deleted", "moved", "attrib"})  # not opened/closed: reads
EDITOR_LITTER = (".swp", ".swx", ".swo", ".tmp", ".bak")


class SiteWatcher:
    """Calls `on_change(path)` from watchdog's thread for every change to the site's sources."""

    def __init__(self, root: Path, on_change: Callable[[str], None], ignore: Iterable[Path] = ()):
        self.root = root.resolve()
        self.on_change = on_change
        self.ignore = tuple(p.resolve() for p in ignore)
        self._observer = Observer()
        self._observer.daemon = True
        self._handler = _Handler(self)
        self._watches: dict[Path, ObservedWatch] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start watching; the watches are in place when this returns."""
        self._observer.start()  # first, so that a watch that cannot be set up fails alone
        try:
            self._observer.schedule(self._handler, str(self.root), recursive=False)
        except OSError as exc:
            log.warning("cannot watch %s: %s", self.root / WATCHED_FILES[0], exc)
        for name in WATCHED_FOLDERS:
            self.watch_folder(self.root / name)

    def stop(self) -> None:
        self._observer.stop()
        if self._observer.is_alive():
            self._observer.join(timeout=5)

    def watch_folder(self, folder: Path) -> None:
        """Watch `folder` recursively (again, if it was removed and made anew); nothing if it is missing."""
        folder = folder.resolve()
        with self._lock:
            old = self._watches.pop(folder, None)
            if old is not None:
                with contextlib.suppress(Exception):  # already gone with its folder
                    self._observer.unschedule(old)
            if not folder.is_dir():
                return
            try:
                self._watches[folder] = self._observer.schedule(self._handler, str(folder), recursive=True)
            except OSError as exc:  # e.g. the system's limit of inotify watches
                log.warning("cannot watch %s: %s", folder, exc)

    def source(self, path: str) -> str | None:
        """The site-relative name of a changed path worth a rebuild, or None to ignore it."""
        file = Path(path)
        if any(file == ignored or ignored in file.parents for ignored in self.ignore):
            return None
        name = file.name
        if name.startswith(".") or name.endswith("~") or name.endswith(EDITOR_LITTER) or name == "4913":
            return None  # 4913: vim's probe of whether it may write in a folder
        if not file.is_relative_to(self.root):
            return path  # a watched folder outside the site (a theme)
        parts = file.relative_to(self.root).parts
        if parts[0] not in WATCHED_FOLDERS and "/".join(parts) not in WATCHED_FILES:
            return None
        if any(part.startswith(".") for part in parts):
            return None
        return "/".join(parts)

    def handle(self, event: FileSystemEvent) -> None:
        """Pass a watchdog event on as changed sources (called on watchdog's thread)."""
        if event.event_type not in CHANGES or (event.is_directory and event.event_type in ("modified", "attrib")):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for path in filter(None, (p if isinstance(p, str) else p.decode() for p in paths)):
            source = self.source(path)
            if source is None:
                continue
            if source in WATCHED_FOLDERS and event.is_directory:
                self.watch_folder(self.root / source)  # made (or moved here) after we started
            log.debug("%s: %s", event.event_type, source)
            self.on_change(source)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: SiteWatcher):
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self.watcher.handle(event)
        except Exception:  # a bad event must not stop the watching thread
            log.exception("while handling %s", event)
