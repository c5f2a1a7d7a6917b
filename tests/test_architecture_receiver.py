"""The receiver's modules import without a cycle: each imports alone in a fresh interpreter, and the graph of
their imports (module level, inside functions and under TYPE_CHECKING alike) has no cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "generator.webmention.receiver"
FOLDER = ROOT / "generator" / "webmention" / "receiver"
# every module but the entry point (`python -m generator.webmention.receiver` runs the receiver)
MODULES = sorted(f"{PACKAGE}.{path.stem}" for path in FOLDER.glob("*.py") if path.stem not in ("__init__", "__main__"))


def imports_of(module: str) -> set[str]:
    """The receiver modules (and the package itself) that `module` imports anywhere in its file."""
    name = module.rsplit(".", 1)[-1]
    path = FOLDER / ("__init__.py" if module == PACKAGE else f"{name}.py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module if node.level == 0 else f"{PACKAGE}.{node.module}"
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for imported in names:
            if imported in MODULES or imported == PACKAGE:
                found.add(imported)
    found.discard(module)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in `graph` as the list of its modules, or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for child in sorted(graph.get(node, ())):
            if state.get(child) == "open":
                return path[path.index(child) :] + [child] if child in path else [node, child]
            if child not in state and (cycle := visit(child, [*path, child])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_finder_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_between_the_receivers_modules() -> None:
    # the package's __init__ imports its modules for its public names: a module importing another through the
    # package (`from generator.webmention.receiver import Store`) closes a cycle through it
    graph = {module: imports_of(module) for module in [PACKAGE, *MODULES]}
    assert f"{PACKAGE}.comments" in graph and f"{PACKAGE}.store" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_comment_model_imports_nothing_of_the_receiver() -> None:
    assert imports_of(f"{PACKAGE}.comments") == set()


@pytest.mark.parametrize("module", MODULES)
def test_each_receiver_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    environment = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", f"import {module}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, timeout=120)
    assert done.returncode == 0, done.stderr
