"""A long-running process's builds (the dev server): the same stages, with what it keeps between them.

`homepost build` builds with no session: the cache on disk, the site's own URL. A session keeps
the cache in memory (no disk round trip per edit; `flush()` writes it back), serves the site from
another base URL, and holds what the last good build knew, to render one edited post at once.
"""

from __future__ import annotations

from pathlib import Path

from generator.config import Config
from generator.incremental.quick import Snapshot, quick_render
from generator.incremental.store import BuildCache, MemoryCache
from generator.pipeline.build import BuildOptions, BuildResult, build_site


class BuildSession:
    """Builds of one site by one process, sharing a memory cache and the last good build."""

    def __init__(self, origin: str | None = None):
        self.origin = origin  # e.g. http://127.0.0.1:8000: the site is served from there, under its base path
        self.memory = MemoryCache()
        self._last: Snapshot | None = None

    @property
    def last(self) -> Snapshot | None:
        """What the last good build knew, None before one."""
        return self._last

    def build(self, site_dir: Path, options: BuildOptions) -> BuildResult:
        """Build the site as `build_site` does, through this session."""
        return build_site(site_dir, options, self)

    def quick_render(self, rel: str) -> str | None:
        """Render content file `rel`'s own page from the last good build (see quick.py); its output path."""
        return quick_render(self._last, rel) if self._last is not None else None

    def flush(self) -> None:
        """Write the cache held in memory to disk, for the next process."""
        self.memory.flush()

    # --- what build_site asks of it ----------------------------------------------------------

    def served(self, config: Config) -> Config:
        """The configuration as this session serves the site (its absolute links stay on the server)."""
        return config.with_url(self.origin + config.site.base_path) if self.origin else config

    def store(self, disk: BuildCache) -> BuildCache:
        """The memory cache, starting from `disk` (emptied if the configuration or versions changed)."""
        self.memory.bind(disk)
        return self.memory

    def keep(self, snapshot: Snapshot) -> None:
        """Remember what a good build knew."""
        self._last = snapshot
