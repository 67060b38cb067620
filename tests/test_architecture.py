"""The architecture, enforced: no import cycles among `app.*` and `segmodels.*`, no module over 400
lines, `segmodels` never imports Qt or `app`, and the label/validation layer never names torch.

How the import graph is built (statically, with `ast`; nothing is imported):
- Every `import` statement of a module counts, at module level *and* inside functions, methods and
  branches: lazy imports in function bodies are how the old cycles hid. The one exception is the body
  of an `if TYPE_CHECKING:` block, which never runs.
- `import a.b.c` is an edge to `a.b.c`. `from a.b import c` is an edge to `a.b.c` when that is a module
  of the project, else to `a.b` (c is a name defined in it). Relative imports are resolved first.
- Importing a package's submodule does *not* count as importing the package's `__init__` (Python runs
  it, but an `__init__` that only re-exports lazily, or documents, cannot close a cycle through its
  submodules; counting it would forbid every package from re-exporting its own modules). An
  `__init__` is a node like any other module: its own import statements are edges from it.
- `importlib.import_module(...)` with a computed name is not an import statement and is not seen.
- Only edges between modules of `app` and `segmodels` are kept; a module importing itself is ignored.
A cycle is reported as `a -> b -> ... -> a`, each step with the file and line of its import.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "segmodels")
MAX_LINES = 400
QT_ROOTS = frozenset({"PySide6", "shiboken6", "PyQt5", "PyQt6", "qtpy"})
TORCH_ROOTS = frozenset({"torch", "torchvision"})
#: Never torch, not even inside a function: pure numpy/Pillow/OpenCV layers (DESIGN.md).
TORCH_FREE = ("segmodels.labels", "segmodels.validation", "segmodels.inference.uncertainty")


@dataclass(frozen=True)
class Import:
    target: str   # the dotted name as written (resolved if relative)
    names: tuple[str, ...]  # for `from target import names`; () for `import target`
    line: int


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under app/ and segmodels/."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _statements(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under `node`, at any depth, except in `if TYPE_CHECKING:` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:  # the `else:` of a TYPE_CHECKING test does run
                if isinstance(other, (ast.Import, ast.ImportFrom)):
                    yield other
                else:
                    yield from _statements(other)
        else:
            yield from _statements(child)


def imports_of(name: str, path: Path, *, type_checking_too: bool = False) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    nodes = ast.walk(tree) if type_checking_too else _statements(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, (), node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append(Import(base, tuple(alias.name for alias in node.names), node.lineno))
    return found


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported project module: line of the first such import}."""
    modules = module_files()
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        for item in imports_of(name, path):
            if item.names:
                targets = [f"{item.target}.{n}" if f"{item.target}.{n}" in modules else item.target
                           for n in item.names]
            else:
                # `import a.b.c` binds `a` but names module a.b.c: the edge is to the deepest project module.
                parts = item.target.split(".")
                prefixes = (".".join(parts[:i]) for i in range(len(parts), 0, -1))
                targets = [next((p for p in prefixes if p in modules), item.target)]
            for target in targets:
                if target in modules and target != name:
                    graph[name].setdefault(target, item.line)
    return graph


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (as a closed path) per strongly connected component with more than one module
    (Tarjan's algorithm, iterative so deep graphs cannot overflow the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return [_cycle_in(component, graph) for component in components]


def _cycle_in(component: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """A shortest closed path through the first module of a strongly connected component."""
    members, start = set(component), component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # unreachable for a real component


def describe_cycle(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    files = module_files()
    steps = [f"  {a} -> {b}  ({files[a].relative_to(ROOT)}:{graph[a][b]})" for a, b in pairwise(cycle)]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


# -- the rules -----------------------------------------------------------------------------------
def test_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 50 and sum(map(len, graph.values())) > 100  # the walk really saw the project
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(describe_cycle(c, graph) for c in cycles)


def test_no_module_over_the_line_limit():
    too_long = {str(path.relative_to(ROOT)): n for path in module_files().values()
                if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def _roots(name: str, path: Path) -> list[tuple[str, int]]:
    """(top-level package, line) of every import in a module, TYPE_CHECKING blocks included."""
    return [(item.target.split(".")[0], item.line) for item in imports_of(name, path, type_checking_too=True)]


def test_segmodels_never_imports_qt_or_the_gui():
    offending = [f"{path.relative_to(ROOT)}:{line} imports {root}"
                 for name, path in module_files().items() if name.split(".")[0] == "segmodels"
                 for root, line in _roots(name, path) if root in QT_ROOTS or root == "app"]
    assert not offending, "\n".join(offending)


def test_label_and_validation_layers_never_name_torch():
    offending = [f"{path.relative_to(ROOT)}:{line} imports {root}"
                 for name, path in module_files().items() if name.startswith(TORCH_FREE)
                 for root, line in _roots(name, path) if root in TORCH_ROOTS]
    assert not offending, "\n".join(offending)


# -- the checker checks itself ---------------------------------------------------------------------
def test_cycle_finder_reports_a_lazy_cycle_and_ignores_a_dag():
    assert find_cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) == []
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7}, "d": {"a": 1}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize(("source", "expected"), [
    ("def f():\n    from segmodels.validation import run\n", ["segmodels.validation.run"]),  # lazy: counts
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import segmodels.validation.run\n", []),
    ("import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    import segmodels.errors\n", ["segmodels.errors"]),
    ("from segmodels.errors import SegError\n", ["segmodels.errors"]),               # a name: the module
    ("from . import decode\n", ["segmodels.validation.decode"]),                        # relative submodule
    ("import segmodels.labels.imageio\n", ["segmodels.labels.imageio"]),                # not its packages
])
def test_edges_follow_the_stated_rules(tmp_path, monkeypatch, source, expected):
    probe = ROOT / "segmodels" / "validation" / "probe.py"
    modules = {**module_files(), "segmodels.validation.probe": probe}
    monkeypatch.setattr(f"{__name__}.module_files", lambda: modules)
    fake = tmp_path / "probe.py"
    fake.write_text(source, encoding="utf-8")
    modules["segmodels.validation.probe"] = fake
    assert sorted(import_graph()["segmodels.validation.probe"]) == expected
