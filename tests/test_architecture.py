"""The layout of the package: one subpackage per stage, imports flowing one way, no circles.

The import graph is read from the source (an AST walk; imports under ``if TYPE_CHECKING:`` are
type hints and do not count). Each top-level name of ``ovcfstats`` has a floor; a module may
import from its own floor or a lower one, never from a higher one, and the graph has no circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ovcfstats"

#: floor of each top-level module or subpackage: imports go to the same floor or lower
FLOORS = {
    "_lazy": 0,  # public names imported on first use (the packages' __getattr__)
    "present": 0,  # the one formatting layer: labels, decimals, journal layouts, figure plumbing
    "_results": 1,  # the result protocol shared by every step
    "_validate": 1,  # shared input checks
    "_pool": 1,  # multiply imputed data and Rubin's rules, below every step that pools
    "data": 2,  # the data contract, readers, ranges, codes, Readings, the DuckDB engine
    "indicators": 3,
    "raters": 3,
    "matching": 3,
    "table1": 3,
    "correlation": 3,
    "regression": 3,
    "roc": 3,
    "design": 3,
    "missing": 3,  # the missing-data description and multiple imputation (chained equations)
    "audit": 3,
    "imaging": 3,
    "datasets": 4,  # the synthetic sample and registry generator (uses the matching step)
    "report": 5,
    "study": 6,
    "cli": 7,
    "app": 7,  # the point-and-click app: only the cli imports it
    "__main__": 7,
}
#: what a module may take from the package's own ``__init__`` (the public façade, top floor)
FROM_ROOT = {"__version__"}
MAX_ROOT_MODULES = 8
MAX_LINES = 500


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for sub in node.body for n in ast.walk(sub)}
    return skip


def _imports() -> dict[str, set[tuple[str, tuple[str, ...]]]]:
    """module -> {(imported module of the package, names taken)}, function-level imports too."""
    modules = _modules()
    graph: dict[str, set[tuple[str, tuple[str, ...]]]] = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        found = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in modules:
                        found.add((sub, ()))
                    elif target in modules:
                        found.add((target, (alias.name,)))
            elif isinstance(node, ast.Import):
                found |= {(a.name, ()) for a in node.names if a.name in modules}
        graph[name] = {(t, n) for t, n in found if t != name}
    return graph


def _floor(module: str) -> int | None:
    parts = module.split(".")
    return None if len(parts) == 1 else FLOORS.get(parts[1])


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles():
    edges = {m: {t for t, _ in targets} for m, targets in _imports().items()}
    assert _circles(edges) == []


def test_circle_finder_finds_a_planted_circle():
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(planted) == [["a", "b", "c"]]


def test_imports_flow_one_way():
    wrong = []
    for module, targets in _imports().items():
        here = _floor(module)
        for target, names in targets:
            if target == "ovcfstats":  # the public façade, only for the version
                if not set(names) <= FROM_ROOT:
                    wrong.append(f"{module} imports {names} from the package's __init__")
                continue
            there = _floor(target)
            if here is not None and there is not None and there > here:
                wrong.append(f"{module} (floor {here}) imports {target} (floor {there})")
    assert wrong == []


def test_every_top_level_name_has_a_floor():
    top = {m.split(".")[1] for m in _modules() if m.count(".") >= 1}
    assert sorted(top - set(FLOORS)) == []


def test_few_modules_at_the_root():
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, root


def test_each_stage_is_a_package_with_its_public_names():
    for name in FLOORS:
        path = PACKAGE / name
        if path.is_dir():
            init = (path / "__init__.py").read_text(encoding="utf-8")
            assert ast.get_docstring(ast.parse(init)), f"{name}/__init__.py has no docstring"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_over_500_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
