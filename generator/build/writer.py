"""Write the output safely: build into a temporary folder and swap it in only when complete."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from generator.errors import BuildError, Problem

log = logging.getLogger(__name__)


@dataclass
class OutputPlan:
    """Every file of the output, where it comes from, and a check that no two claim one path."""

    contents: dict[str, bytes] = field(default_factory=dict)  # dest -> bytes to write
    copies: dict[str, Path] = field(default_factory=dict)  # dest -> file to copy
    origins: dict[str, str] = field(default_factory=dict)  # dest -> who claimed it
    weak: set[str] = field(default_factory=set)  # dests anyone may take over (the theme's assets)
    problems: list[Problem] = field(default_factory=list)

    def claim(self, dest: str, origin: str, weak: bool = False) -> bool:
        """Reserve `dest` for `origin`; a second claim by someone else is a problem unless the first was weak."""
        _check_dest(dest)
        previous = self.origins.get(dest)
        if previous is not None and previous != origin and dest not in self.weak:
            self.problems.append(Problem(origin, f"writes /{dest}, which {previous} also writes; change a slug or a path"))
            return False
        self.origins[dest] = origin
        if weak:
            self.weak.add(dest)
        else:
            self.weak.discard(dest)
        return True

    def add_bytes(self, dest: str, data: bytes, origin: str, weak: bool = False) -> None:
        """Add a generated file."""
        if self.claim(dest, origin, weak):
            self.copies.pop(dest, None)
            self.contents[dest] = data

    def add_copy(self, dest: str, source: Path, origin: str, weak: bool = False) -> None:
        """Add a file copied as it is; a `weak` one (a theme asset) gives way to any later claim."""
        if self.claim(dest, origin, weak):
            self.contents.pop(dest, None)
            self.copies[dest] = source

    def __len__(self) -> int:
        return len(self.origins)


def _check_dest(dest: str) -> None:
    parts = PurePosixPath(dest).parts
    if not parts or dest.startswith("/") or ".." in parts:
        raise BuildError(Problem("homepost", f"refusing to write outside the output folder: {dest!r}"))


def check_output_dir(output: Path, site_root: Path) -> None:
    """Refuse an output folder that would swallow the site's own files."""
    output, site_root = output.resolve(), site_root.resolve()
    if output == site_root or output in site_root.parents or output == site_root / "content":
        raise BuildError(Problem("homepost", f"output folder {output} would replace the site's own files; choose another"))


def write_output(output: Path, plan: OutputPlan) -> None:
    """Write every planned file into a new folder, then swap it with `output` in two renames."""
    output = output.resolve()
    parent = output.parent
    parent.mkdir(parents=True, exist_ok=True)
    stage = parent / f".{output.name}.building-{os.getpid()}"
    old = parent / f".{output.name}.previous-{os.getpid()}"
    _remove_leftovers(parent, output.name)
    try:
        made: set[Path] = set()
        for dest, data in plan.contents.items():
            target = _prepare(stage, dest, made)
            target.write_bytes(data)
        for dest, source in plan.copies.items():
            target = _prepare(stage, dest, made)
            shutil.copyfile(source, target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if output.exists():
        os.rename(output, old)
    os.rename(stage, output)
    shutil.rmtree(old, ignore_errors=True)


def _prepare(stage: Path, dest: str, made: set[Path]) -> Path:
    target = stage / dest
    folder = target.parent
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)
    return target


def _remove_leftovers(parent: Path, name: str) -> None:
    """Clear folders left by an interrupted build; restore the output if a swap was cut short."""
    for leftover in sorted(parent.glob(f".{name}.building-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    output = parent / name
    for previous in sorted(parent.glob(f".{name}.previous-*")):
        if not output.exists():
            log.warning("restoring %s from an interrupted build", output)
            os.rename(previous, output)
        else:
            shutil.rmtree(previous, ignore_errors=True)
