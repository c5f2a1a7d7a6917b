"""The shape of the code: the build imports no network feature, and the model and content readers stay small.

Imports are read statically (with `ast`) and followed through every module of ours they reach,
function-level imports included (they run when the function does); imports under
`if TYPE_CHECKING:` are left out, since they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The build's packages and modules, as paths under the repository (one list, for renames).
BUILD = (
    "generator/pipeline",
    "generator/incremental",
    "generator/content",
    "generator/model.py",
    "generator/render.py",
    "generator/feeds",
    "generator/sitedata",
)
# What the network commands are made of: the build reaches none of it.
NETWORK = (
    "generator.syndication",
    "generator.backfeed",
    "generator.webmention",
    "generator.newsletter",
    "generator.platforms",
    "generator.http",
    "generator.http_guard",
    "generator.fediverse.inbox",  # the receiver's side of the fediverse, and delivery: the build writes
    "generator.fediverse.followers",  # documents only (generator.fediverse.documents, .urls, .keys)
    "generator.fediverse.delivery",
)


def module_name(path: Path) -> str:
    """`generator/pipeline/build.py` -> `generator.pipeline.build`; a package's `__init__.py` names the package."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_file(name: str) -> Path | None:
    """The file of module `name` of ours; None for a folder without `__init__.py` or a name that is no module."""
    base = ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def modules_under(rel: str) -> list[str]:
    """The module names of a file, or of every file in a folder."""
    path = ROOT / rel
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return [module_name(file) for file in files]


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of `tree` except the bodies of `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


@cache
def imports_of(name: str) -> frozenset[str]:
    """The modules of ours that importing module `name` runs directly (parent packages included)."""
    path = module_file(name)
    if path is None:
        return frozenset()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}"))
    ours = {n for n in found if n == "generator" or n.startswith("generator.")}
    parents = {".".join(n.split(".")[:i]) for n in ours for i in range(1, n.count(".") + 1)}
    return frozenset((ours | parents) - {name})


def reached(start: str) -> dict[str, list[str]]:
    """Every module of ours that importing `start` runs, with one chain of imports that gets there."""
    chains = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop()
        for name in sorted(imports_of(current)):
            if name not in chains:
                chains[name] = [*chains[current], name]
                todo.append(name)
    return chains


def is_network(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in NETWORK)


@pytest.mark.parametrize("rel", BUILD)
def test_the_build_imports_no_network_feature(rel: str) -> None:
    found = []
    for start in modules_under(rel):
        for name, chain in reached(start).items():
            if is_network(name):
                found.append(" -> ".join(chain))
    assert not found, "the build reaches network code:\n" + "\n".join(sorted(found))


def test_the_walk_finds_network_imports() -> None:
    """The check itself can fail: the network commands do reach the network code."""
    assert any(is_network(name) for name in reached("generator.release"))
    assert "generator.http" in reached("generator.webmention.send")


def outside(rel: str) -> set[str]:
    """The modules of ours outside `rel` that the modules in `rel` import directly."""
    inside = set(modules_under(rel))
    own = module_name(ROOT / rel) if (ROOT / rel).is_dir() else ""
    names = {name for module in inside for name in imports_of(module)}
    return {n for n in names - inside if n != "generator" and n != own}


def test_the_model_imports_nothing_of_ours() -> None:
    assert outside("generator/model.py") == set()


def test_content_reading_imports_only_what_it_did() -> None:
    allowed = {
        "generator.config",
        "generator.digest",
        "generator.errors",
        "generator.model",
        "generator.incremental",
        "generator.incremental.parallel",
        "generator.render",
        "generator.text",
    }
    assert outside("generator/content") <= allowed


def test_site_data_imports_only_the_core() -> None:
    """Dependencies point inward: the network features import the site data, never the other way."""
    assert outside("generator/sitedata") <= {
        "generator.config",
        "generator.digest",
        "generator.errors",
        "generator.model",
        "generator.state",
    }
