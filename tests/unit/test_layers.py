"""The import graph of the product packages: no circle, and no layer imports one above it.

The layers, from the bottom: the contracts; the service domain (its model below its services,
its SQL adapter beside them and reached only from above); the entry points that use it (the
SOAP producers, the staff web) and the systems that call through the platform (the platform
itself, the 1177 stand-in and the consumer CLI), which know the contracts only; the
composition root `eph` on top. Imports under ``if TYPE_CHECKING:`` are not followed: they
never run.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("contracts", "service_domain", "producers", "routing", "consumers", "staff_web", "eph")

# Which other product packages each package may import.
MAY_IMPORT: dict[str, set[str]] = {
    "contracts": set(),
    "service_domain": {"contracts"},
    "routing": {"contracts"},
    "consumers": {"contracts"},
    "producers": {"contracts", "service_domain"},
    "staff_web": {"contracts", "service_domain"},
    "eph": set(PACKAGES) - {"eph"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth, but not those under TYPE_CHECKING."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imported_names(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names. ``from package import submodule`` names the
    submodule, not the package: every submodule comes with its package's ``__init__``, and a
    package that imports its own submodules is no circle."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in _modules()]
    return submodules if len(submodules) == len(node.names) else [base, *submodules]


@cache
def _graph() -> dict[str, frozenset[str]]:
    """Module -> the product modules it imports."""
    modules = _modules()
    graph: dict[str, frozenset[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            targets.update(name for name in _imported_names(module, path, node) if name in modules)
        targets.discard(module)
        graph[module] = frozenset(targets)
    return graph


@cache
def _top_level_imports() -> dict[str, frozenset[str]]:
    """Module -> the first name of everything it imports, project or not."""
    result: dict[str, frozenset[str]] = {}
    for module, path in _modules().items():
        names: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue
            names.update(name.split(".")[0] for name in _imported_names(module, path, node) if name)
        result[module] = frozenset(names)
    return result


def _circles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return circles


def _edges_where(condition: object) -> list[str]:
    assert callable(condition)
    return sorted(f"{source} -> {target}" for source, targets in _graph().items()
                  for target in targets if condition(source, target))


def _package(module: str) -> str:
    return module.split(".")[0]


def test_the_finder_sees_the_product() -> None:
    assert "service_domain.services.orders" in _graph()


def test_the_finder_follows_relative_imports() -> None:
    assert "service_domain.model" in _graph()["service_domain.services.orders"]


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert _circles(graph) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    assert _circles(_graph()) == []


def test_each_package_imports_only_the_layers_below_it() -> None:
    assert _edges_where(lambda s, t: _package(s) != _package(t)
                        and _package(t) not in MAY_IMPORT[_package(s)]) == []


def test_the_domain_never_imports_its_sql_adapter() -> None:
    assert _edges_where(lambda s, t: s.startswith("service_domain.")
                        and not s.startswith("service_domain.persistence")
                        and t.startswith("service_domain.persistence")) == []


def test_the_model_never_imports_the_services() -> None:
    assert _edges_where(lambda s, t: s.startswith("service_domain.model")
                        and t.startswith("service_domain.services")) == []


def test_the_domain_imports_no_library_but_the_standard_one() -> None:
    """No SOAP, HTTP, SQL or web library outside the SQL adapter."""
    allowed = set(sys.stdlib_module_names) | set(PACKAGES)
    libraries = sorted(f"{module}: {name}" for module, names in _top_level_imports().items()
                       if _package(module) == "service_domain" and ".persistence" not in module
                       for name in names if name not in allowed)
    assert libraries == []


def test_the_product_never_imports_tests_or_tools() -> None:
    found = sorted(f"{module}: {name}" for module, names in _top_level_imports().items()
                   for name in names if name in ("tests", "tools"))
    assert found == []
