"""The dev server's build loop: one build at a time, after a burst of changes has settled.

Every build includes drafts and scheduled posts (marked as such by the theme), so it goes into
the site's .homepost/serve/, never public/. A failed build leaves the last good output in place:
the server keeps serving it and shows the problems on every open page until a build succeeds.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import unquote

from generator.config import load_config
from generator.errors import HomepostError, Problem
from generator.incremental.store import SERVE_OUTPUT
from generator.pipeline.build import BuildOptions, BuildResult
from generator.pipeline.session import BuildSession
from generator.render import theme_dir
from generator.serve.watch import SiteWatcher
from generator.serve.web import SiteServer

log = logging.getLogger(__name__)

WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


@dataclass(frozen=True)
class ServeOptions:
    """How to serve: where to listen, where to build, and how the build loop paces itself."""

    host: str = "127.0.0.1"
    port: int = 8000  # 0: any free port (see DevServer.port)
    output: Path | None = None  # default: .homepost/serve under the site
    now: dt.datetime | None = None  # the moment deciding what is scheduled; default: the clock at each build
    debounce: float = 0.1  # seconds without a change before a burst of changes is built
    keepalive: float = 15.0  # seconds between keep-alive comments on an idle event stream


@dataclass(frozen=True)
class BuildOutcome:
    """One build of the loop, for the reporter: what changed, and what came of it."""

    number: int  # 1 for the build at start
    changed: tuple[str, ...]  # site-relative paths (absolute outside the site); empty for the first build
    result: BuildResult | None  # None when the build failed
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result is not None


Reporter = Callable[[BuildOutcome], None]


class DevServer:
    """Builds the site, serves it, and rebuilds on every change until stopped.

    `start()` binds the port, builds once (a failed build still starts the server), then watches
    and serves on background threads; `stop()` ends them all. `report` is called with every
    build's outcome, from the thread that built it.
    """

    def __init__(self, site_dir: Path, options: ServeOptions = ServeOptions(), report: Reporter | None = None):
        self.root = site_dir.resolve()
        self.options = options
        self.output = (options.output or self.root / SERVE_OUTPUT).resolve()
        self.report = report
        self.latest: BuildOutcome | None = None
        self._session: BuildSession | None = None  # the builds' memory cache and last good build, once listening
        self._quick_lock = threading.Lock()  # one quick render at a time, never while a build adopts its outcome
        self._quick_pending: set[str] = set()
        self._quick_busy = False
        self._building = False
        self._quick_during_build: set[str] = set()  # content files shown quickly while a full build ran
        self._instance = secrets.token_hex(4)  # a page from an earlier run reloads on reconnecting
        self._good_builds = 0
        self._attempts = 0
        self._pending: set[str] = set()
        self._last_change = 0.0
        self._wake = threading.Condition()
        self._stopping = False
        self._stopped = threading.Event()
        self._http: SiteServer | None = None
        self._watcher: SiteWatcher | None = None
        self._watched_themes: set[Path] = set()
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> BuildOutcome:
        """Listen (OSError if the port is taken), build once, then watch and serve in the background."""
        if self._http is not None:
            raise RuntimeError("this DevServer was already started")
        self._http = SiteServer(self.output, self.options.host, self.options.port, keepalive=self.options.keepalive)
        self._session = BuildSession(self._origin())  # absolute links (feeds, canonical) stay on this server
        try:
            first = self._build(())
            self._watcher = SiteWatcher(self.root, self.request_rebuild, ignore=[self.output])
            self._watcher.start()
            self._watch_theme()
        except BaseException:
            self._http.server_close()
            raise
        self._threads = [
            threading.Thread(
                target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, name="homepost-http", daemon=True
            ),
            threading.Thread(target=self._build_loop, name="homepost-build", daemon=True),
            threading.Thread(target=self._quick_loop, name="homepost-quick", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        log.info("serving %s at %s", self.output, self.url)
        return first

    def stop(self) -> None:
        """Stop watching, building and serving; waits for a build in progress to finish."""
        with self._wake:
            if self._stopping:
                return
            self._stopping = True
            self._wake.notify_all()
        if self._watcher is not None:
            self._watcher.stop()
        if self._http is not None:
            self._http.close_streams()
            if self._threads:
                self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=30)
            if thread.is_alive():
                log.warning("%s did not stop in time", thread.name)
        try:
            if self._session is not None:
                self._session.flush()  # the next `homepost serve` starts from this build's cache
        except OSError as exc:
            log.warning("could not save the build cache: %s", exc)
        self._stopped.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stopped (or `timeout` seconds); True once stopped. Ctrl+C interrupts it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stopped.wait(0.5):  # short waits keep the main thread responsive to Ctrl+C
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where it is -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port listened on (the one chosen by the system when asked for 0)."""
        if self._http is None:
            return self.options.port
        return self._http.server_address[1]

    @property
    def url(self) -> str:
        """The served site's home page, e.g. http://127.0.0.1:8000/blog/."""
        base = self._http.shown.base_path if self._http is not None else "/"
        return self._origin() + base

    def _origin(self) -> str:
        host = self.options.host
        if host in WILDCARD_HOSTS:
            host = "127.0.0.1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    # --- the build loop ----------------------------------------------------------------------

    def request_rebuild(self, changed: str) -> None:
        """Note a changed source; the loops act once changes have settled for `debounce` seconds."""
        with self._wake:
            self._pending.add(changed)
            self._quick_pending.add(changed)
            self._last_change = time.monotonic()
            self._wake.notify_all()

    def _settle(self, pending: set[str]) -> tuple[str, ...] | None:
        """Wait (holding `_wake`) for changes in `pending` and a quiet moment; take them, or None when stopping."""
        while not pending and not self._stopping:
            self._wake.wait()
        while not self._stopping:  # debounce: wait for a quiet moment
            quiet_in = self._last_change + self.options.debounce - time.monotonic()
            if quiet_in <= 0:
                break
            self._wake.wait(quiet_in)
        if self._stopping:
            return None
        changed = tuple(sorted(pending))
        pending.clear()
        return changed

    def _build_loop(self) -> None:
        while True:
            with self._wake:
                changed = self._settle(self._pending)
                while changed is not None and (self._quick_pending or self._quick_busy) and not self._stopping:
                    self._wake.wait()  # an edit's quick render goes first
                if changed is None or self._stopping:
                    return
                self._building = True  # from here, quick renders are done again after this build
            # Changes made while this runs are pending again: they make exactly one more build.
            try:
                self._build(changed)
            finally:
                with self._wake:
                    self._building = False

    def _quick_loop(self) -> None:
        """Quick renders, also while a full build runs (edits saved during it show at once too)."""
        while True:
            with self._wake:
                changed = self._settle(self._quick_pending)
                if changed is None:
                    return
                self._quick_busy = True
                during_build = self._building
            try:
                if len(changed) == 1:
                    self._quick(changed[0], during_build)
            finally:
                with self._wake:
                    self._quick_busy = False
                    self._wake.notify_all()

    def _quick(self, changed: str, during_build: bool) -> None:
        """Show an edit to one post's text at once: render its page alone, reload it where it is open.

        The full build runs all the same; see generator/incremental/quick.py. One that is running
        (`during_build`) may write that page from the text before the edit: it is rendered again then.
        """
        with self._quick_lock:
            snapshot = self._session.last if self._session is not None else None
            if snapshot is None or self.latest is None or not self.latest.ok:
                return
            try:
                rel = (self.root / changed).relative_to(snapshot.config.content_dir).as_posix()
            except ValueError:
                return  # not under content/
            started = time.perf_counter()
            dest = self._quick_render(rel)
            if dest is None:
                return
            if during_build:
                self._quick_during_build.add(rel)
            self._publish([_page_path(snapshot.config.site.base_path, dest)])
        log.info(
            "%s: its page rendered alone in %.0f ms; the whole site follows",
            changed,
            (time.perf_counter() - started) * 1000,
        )

    def _quick_render(self, rel: str) -> str | None:
        assert self._session is not None
        try:
            return self._session.quick_render(rel)
        except Exception:  # the full build shows what is wrong
            log.exception("quick render of %s failed", rel)
            return None

    def _publish(self, pages: list[str] | None, base_path: str | None = None) -> None:
        """Serve the output as it now is, and tell open pages at `pages` (all, if None) to reload."""
        assert self._http is not None
        with self._wake:
            self._good_builds += 1
            build_id = f"{self._instance}-{self._good_builds}"
        self._http.show_build(build_id, self._http.shown.base_path if base_path is None else base_path, pages)

    def _build(self, changed: tuple[str, ...]) -> BuildOutcome:
        """Build once, then publish the outcome: to open pages first, then to the reporter."""
        assert self._http is not None
        self._attempts += 1
        outcome, base_path = self._run_build(self._attempts, changed)
        previous, self.latest = self.latest, outcome
        if outcome.ok:
            result = outcome.result
            assert result is not None
            with self._quick_lock:
                again = self._quick_again()
                unchanged = result.written == 0 and result.removed == 0 and not again
                if not (unchanged and previous is not None and previous.ok):  # reload only for news
                    pages = reload_pages(result.changed, base_path) if previous is not None and previous.ok else None
                    self._publish(
                        None if pages is None else pages + [_page_path(base_path, dest) for dest in again], base_path
                    )
            self._watch_theme()
        else:
            self._http.show_problems(list(outcome.problems), base_path)
        if self.report is not None:
            try:
                self.report(outcome)
            except Exception:  # a reporter's bug must not stop the loop
                log.exception("reporting build %d failed", outcome.number)
        return outcome

    def _run_build(self, number: int, changed: tuple[str, ...]) -> tuple[BuildOutcome, str]:
        """The outcome of one build, and the base path it was built for ("" if site.toml is broken)."""
        base_path = ""
        assert self._session is not None
        try:
            base_path = load_config(self.root).site.base_path
            options = BuildOptions(
                output=self.output,
                drafts=True,
                future=True,
                now=self.options.now,
                # Only the first build, before the server's threads start, may fork workers:
                # forking a process with running threads can deadlock the children.
                jobs=0 if number == 1 else 1,
                swap=False,  # pages are written in place, one by one (quick renders too); only this server reads them
            )
            result = self._session.build(self.root, options)  # the cache stays in memory; the build is kept
        except HomepostError as exc:
            log.info("build %d failed with %d problems", number, len(exc.problems))
            return BuildOutcome(number, changed, None, tuple(exc.problems)), base_path
        except Exception as exc:  # a bug in a build must not take the server down
            log.exception("build %d crashed", number)
            problem = Problem("homepost", f"internal error: {type(exc).__name__}: {exc}")
            return BuildOutcome(number, changed, None, (problem,)), base_path
        log.info("build %d done in %.2f s", number, result.seconds)
        return BuildOutcome(number, changed, result), base_path

    def _watch_theme(self) -> None:
        """Watch the theme's folder too when it lives outside the site (a theme given as a path)."""
        if self._watcher is None:
            return
        try:
            folder = theme_dir(load_config(self.root)).resolve()
        except HomepostError:
            return
        if not folder.is_relative_to(self.root) and folder not in self._watched_themes:
            self._watched_themes.add(folder)
            self._watcher.watch_folder(folder)

    def _quick_again(self) -> list[str]:
        """Render again the edits shown quickly while the build that just ended ran (it may have
        written their pages from the text before them); their output paths. Under _quick_lock."""
        done, self._quick_during_build = self._quick_during_build, set()
        return [dest for rel in sorted(done) if (dest := self._quick_render(rel)) is not None]


def _page_path(base_path: str, dest: str) -> str:
    """The URL path (decoded) an open page compares with its own: base path and output file."""
    return unquote(base_path) + dest


QUIET = (".xml", ".json", ".txt")  # feeds, sitemap, chapters, robots.txt: no page shows them


def reload_pages(changed: tuple[str, ...], base_path: str) -> list[str] | None:
    """URL paths of the changed HTML files (what open pages compare their own path with), or None
    when a file that pages use changed (a stylesheet, an image...): then every page reloads."""
    pages = []
    for dest in changed:
        if dest.endswith((".html", ".htm")):
            pages.append(_page_path(base_path, dest))
        elif not dest.endswith(QUIET) and not dest.rsplit("/", 1)[-1].startswith(("_", ".")):  # host rules
            return None
    return pages
