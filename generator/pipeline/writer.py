"""Write the output safely and only where it changed.

Every file of the site is planned first, with a fingerprint of everything it is made from. A file
whose fingerprint matches the last build's is not made again; a file made again but with the same
bytes is not written (its mtime stays, so rsync-style deploys send nothing). Changed files are
written into a spare tree, stale ones removed there, and the spare is swapped in whole only when
every file could be made (swap.py): the output is one whole build at every instant. The dev server
writes in place instead: changed files staged beside the output, then moved in one by one.
"""

from __future__ import annotations

import filecmp
import logging
import os
import shutil
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from generator.digest import digest
from generator.errors import BuildError, HomepostError, Problem, unexpected
from generator.incremental.parallel import parallel_map
from generator.incremental.signature import missing_files
from generator.incremental.store import Manifest, OutputRecord
from generator.pipeline.swap import OutputTree, step

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Output:
    """One planned file: how to make it, and a fingerprint of everything it is made from."""

    dest: str
    origin: str  # who asked for it, for messages
    fingerprint: object = ""  # a digest, compared with the last build's
    make: Callable[[], bytes] | None = None  # generated content
    source: Path | None = None  # or a file copied as it is


@dataclass
class OutputPlan:
    """Every file of the output, and a check that no two claim one path."""

    outputs: dict[str, Output] = field(default_factory=dict)
    weak: set[str] = field(default_factory=set)  # dests anyone may take over (the theme's assets)
    problems: list[Problem] = field(default_factory=list)

    def claim(self, item: Output, weak: bool = False) -> None:
        """Plan `item`; a second claim on its path by someone else is a problem unless the first was weak."""
        dest = item.dest
        _check_dest(dest)
        previous = self.outputs.get(dest)
        if previous is not None and previous.origin != item.origin and dest not in self.weak:
            self.problems.append(
                Problem(item.origin, f"writes /{dest}, which {previous.origin} also writes; change a slug or a path")
            )
            return
        self.outputs[dest] = item
        if weak:
            self.weak.add(dest)
        elif previous is not None:
            self.weak.discard(dest)

    def add(self, dest: str, origin: str, fingerprint: object, make: Callable[[], bytes], weak: bool = False) -> None:
        """Plan a generated file; `make` runs only if the fingerprint changed since the last build."""
        self.claim(Output(dest, origin, fingerprint, make=make), weak)

    def add_bytes(self, dest: str, data: bytes, origin: str, weak: bool = False) -> None:
        """Plan a generated file whose bytes are already known."""
        self.add(dest, origin, digest(data), lambda: data, weak)

    def add_copy(self, dest: str, source: Path, origin: str, weak: bool = False) -> None:
        """Plan a file copied as it is; a `weak` one (a theme asset) gives way to any later claim."""
        info = source.stat()
        fingerprint = digest("copy", str(source), str(info.st_mtime_ns), str(info.st_size))
        self.claim(Output(dest, origin, fingerprint, source=source), weak)

    def __len__(self) -> int:
        return len(self.outputs)


@dataclass(frozen=True)
class WriteResult:
    """What writing the output changed."""

    made: tuple[str, ...]  # files rendered or copied afresh
    written: tuple[str, ...]  # files whose bytes changed on disk
    removed: tuple[str, ...]
    manifest: Manifest
    harvested: list[Any] = field(default_factory=list)  # what `harvest` gathered, where it gathered anything


def _check_dest(dest: str) -> None:
    if not dest or dest.startswith("/") or ".." in dest and ".." in dest.split("/"):
        raise BuildError(Problem("homepost", f"refusing to write outside the output folder: {dest!r}"))


def check_output_dir(output: Path, site_root: Path) -> None:
    """Refuse an output folder that would swallow the site's own files."""
    output, site_root = output.resolve(), site_root.resolve()
    if output == site_root or output in site_root.parents or output == site_root / "content":
        raise BuildError(
            Problem("homepost", f"output folder {output} would replace the site's own files; choose another")
        )


class _Stager:
    """Makes planned files in a worker process and stages those whose bytes changed."""

    def __init__(
        self,
        output: Path,
        stage: Path,
        known: dict[str, OutputRecord],
        trust_disk: bool,
        harvest: Callable[[], Any] | None,
    ):
        self.output, self.stage, self.known, self.trust_disk = output, stage, known, trust_disk
        self.harvest = harvest

    def __call__(self, item: Output) -> tuple[str, str, bool, list[Problem], Any]:
        """(dest, content digest, staged?, problems, what `harvest` gathered) for one planned file."""
        result = self._make(item)
        return (*result, self.harvest() if self.harvest is not None else None)

    def _make(self, item: Output) -> tuple[str, str, bool, list[Problem]]:
        try:
            if item.source is not None:
                content = str(item.fingerprint)  # a copy's fingerprint is the digest of its name, size and mtime
                if self._same(item.dest, content, item.source):
                    return item.dest, content, False, []
                target = self._target(item.dest)
                shutil.copyfile(item.source, target)
                return item.dest, content, True, []
            assert item.make is not None
            data = item.make()
            content = digest(data)
            if self._same(item.dest, content, data):
                return item.dest, content, False, []
            self._target(item.dest).write_bytes(data)
            return item.dest, content, True, []
        except HomepostError as exc:
            return item.dest, "", False, exc.problems
        except OSError as exc:  # the disk is full, a name too long for the file system...
            return item.dest, "", False, [Problem(item.origin, f"cannot be written: {exc.strerror or exc}")]
        except Exception as exc:  # a bug, or input nobody foresaw: name the file rather than crash
            log.debug("making /%s for %s", item.dest, item.origin, exc_info=True)
            return item.dest, "", False, [unexpected(item.origin, exc)]

    def _same(self, dest: str, content: str, data: bytes | Path) -> bool:
        """True when the output already holds exactly this file (`data`: its bytes, or a file to copy)."""
        record = self.known.get(dest)
        current = self.output / dest
        if record is not None:
            return record.content == content and current.is_file()
        if self.trust_disk:
            return False
        try:  # no record of the last build: compare with what is there, to keep its mtime
            if isinstance(data, Path):
                return filecmp.cmp(data, current, shallow=False)
            return current.stat().st_size == len(data) and current.read_bytes() == data
        except OSError:
            return False

    def _target(self, dest: str) -> Path:
        """Where to write `dest`, free: in the spare, the output's file there is unlinked, never written into."""
        target = self.stage / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        step()
        return target


class Prepared(NamedTuple):
    """What `prepare_output` found and did beside the build."""

    missing: set[str]  # of the files looked for, those the output lacks
    synced: bool  # the spare tree was brought in line with the output


class Present:
    """Whether output files exist: known for those looked up beforehand (`prepare_output`, run
    beside the build), asked of the disk for the rest."""

    def __init__(self, output: Path, checked: Container[str] = (), prepared: Prepared | None = None):
        self.prefix, self.checked = f"{output}/", checked
        self.missing = prepared.missing if prepared is not None else None
        self.synced = prepared is not None and prepared.synced

    def __call__(self, dest: str) -> bool:
        if self.missing is not None and dest in self.checked:
            return dest not in self.missing
        return os.path.isfile(self.prefix + dest)


def prepare_output(output: Path, checked: Iterable[str], staging: Path | None) -> Prepared:
    """Which `checked` files the output lacks; with a `staging` folder, its spare tree brought in line first."""
    if staging is None:
        return Prepared(missing_files(output, checked), synced=False)
    files = OutputTree(output, staging).prepare()
    return Prepared({dest for dest in checked if dest not in files}, synced=True)


def write_output(
    output: Path,
    plan: OutputPlan,
    previous: Manifest | None,
    jobs: int = 1,
    progress: Progress | None = None,
    harvest: Callable[[], Any] | None = None,
    before_fork: Callable[[], None] | None = None,
    present: Present | None = None,
    staging: Path | None = None,
) -> WriteResult:
    """Make what changed, stage it, and apply the staged files only if every file could be made.

    With a `staging` folder (see swap.py) changed files go into its spare tree, which then replaces
    the output in one step; without one (the dev server) they are moved into the output one by one.
    `harvest()`, if given, is called after each file is made (in the process that made it) and
    what it returns comes back in `WriteResult.harvested`: the fragments a worker rendered.
    `before_fork()` runs once if the work is spread over processes (see parallel_map). `present`
    tells which output files exist, if that was looked up beforehand.
    """
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(output.parent, output.name)
    present = present or Present(output)
    tree = OutputTree(output, staging) if staging is not None else None
    if tree is not None and not present.synced:  # not done beside the build, or that failed
        tree.prepare()
    exists = output.is_dir()
    known = previous.files if previous is not None and previous.output == str(output) and exists else {}
    todo = [item for item in plan.outputs.values() if not _unchanged(item, known.get(item.dest), present)]
    stage = tree.spare if tree is not None else output.parent / f".{output.name}.building-{os.getpid()}"
    stager = _Stager(output, stage, known, trust_disk=not exists, harvest=harvest)
    done = 0

    def tick(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress("writing", done, len(todo))

    try:
        results = parallel_map(stager, todo, jobs, on_done=tick, before_fork=before_fork)
        failures: dict[Problem, list[str]] = {}
        for dest, _, _, found, _ in results:
            for problem in found:
                failures.setdefault(problem, []).append(dest)
        if failures:
            raise BuildError([_where(problem, dests) for problem, dests in failures.items()])
    except BaseException:
        if tree is None:  # a spare tree stays: the next build brings it in line again
            shutil.rmtree(stage, ignore_errors=True)
        raise
    records: dict[str, OutputRecord] = {}
    staged = []
    for dest, content, was_staged, _, _ in results:
        records[dest] = OutputRecord(plan.outputs[dest].fingerprint, content)
        if was_staged:
            staged.append(dest)
    for dest in plan.outputs.keys() - records.keys():  # untouched since the last build
        records[dest] = known[dest]
    stale = _stale(output, plan, known, exists)
    if tree is None:
        _apply(output, stage, staged, exists, stale)
    elif staged or stale or not exists:  # else nothing to change: no swap
        _remove_stale(stage, stale)
        tree.swap_in()
    harvested = [extra for *_, extra in results if extra]
    return WriteResult(
        tuple(item.dest for item in todo), tuple(staged), tuple(stale), Manifest(str(output), records), harvested
    )


def _unchanged(item: Output, record: OutputRecord | None, present: Present) -> bool:
    return record is not None and record.fingerprint == item.fingerprint and present(item.dest)


def _where(problem: Problem, dests: list[str]) -> Problem:
    """One problem, reported once, with the files it stopped (a template error hits many pages)."""
    more = f" and {len(dests) - 1} more" if len(dests) > 1 else ""
    return replace(problem, message=f"{problem.message} (rendering /{dests[0]}{more})")


def _stale(output: Path, plan: OutputPlan, known: dict[str, OutputRecord], exists: bool) -> list[str]:
    """Files in the output that this build does not produce."""
    if not exists:
        return []
    if known:
        return [dest for dest in known if dest not in plan.outputs]
    found = (p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file() or p.is_symlink())
    return [dest for dest in found if dest not in plan.outputs]


def _apply(output: Path, stage: Path, staged: list[str], exists: bool, stale: list[str]) -> None:
    """Move staged files into the output and remove stale ones (in place: the dev server's way)."""
    if not exists:
        if stage.is_dir():
            os.rename(stage, output)
        else:
            output.mkdir()
        return
    folders: set[Path] = set()
    for dest in staged:
        target = output / dest
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        os.replace(stage / dest, target)
    shutil.rmtree(stage, ignore_errors=True)
    _remove_stale(output, stale)


def _remove_stale(root: Path, stale: list[str]) -> None:
    """Remove the files `stale` under `root`, and the folders that leaves empty."""
    emptied: set[Path] = set()
    for dest in stale:
        target = root / dest
        step()
        target.unlink(missing_ok=True)
        emptied.update(p for p in target.parents if p != root and root in p.parents)
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty: other files still live there


def _remove_leftovers(parent: Path, name: str) -> None:
    """Clear staging folders left by a build that was killed."""
    for leftover in sorted(parent.glob(f".{name}.building-*")):
        log.debug("removing %s, left by an interrupted build", leftover)
        shutil.rmtree(leftover, ignore_errors=True)
