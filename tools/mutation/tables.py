"""Mutants of the module-level tables of a rule module.

mutmut mutates the code inside functions only; a rule module's tables (which kinds of system
may call an interaction, which status may follow which, the pattern an identity number must
match) are module-level assignments it leaves alone. This module makes those mutants from the
module's syntax tree, one change each:

- a set literal (``frozenset({...})``): drop each member; where the members are members of
  one enum (``K.LAB``, ``Op.SET_RESULT`` with ``Op = Operation``, or
  ``operations.Operation.SET_RESULT``), add each member of the enum that is missing;
- a dict literal: drop each entry (whatever its key: a string, an enum member such as
  ``Op.SET_RESULT``);
- a tuple or list literal: drop each element;
- ``frozenset("...")`` of a string: drop each character;
- an integer: one more and one less;
- a regular expression (the string given to ``re.compile``): each count in a ``{n}`` or
  ``{n,m}`` one more and one less, each ``+`` made ``*``, each optional group made required;
- any other string a name is bound to: changed to another string.

Functions and classes are not touched (that is mutmut's part).
"""

from __future__ import annotations

import ast
import copy
import enum
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TableMutant:
    module: str  # e.g. service_domain.access
    table: str  # the name the module binds, e.g. INTERACTIONS_BY_KIND
    description: str  # what changed, e.g. 'INTERACTIONS_BY_KIND["SetResult"]: + K.CITIZEN'
    source: str  # the whole mutated module

    @property
    def key(self) -> str:
        return f"{self.module.rsplit('.', 1)[-1]}: {self.description}"


# a path from the top of a module-level assignment's value to a node, and the change to make there
Edit = Callable[[ast.AST], ast.AST]


def _module_assignments(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            yield index, stmt.targets[0].id
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            yield index, stmt.target.id


def _label(node: ast.AST) -> str:
    return ast.unparse(node)


def _enum_of(node: ast.expr, namespace: dict[str, Any]) -> type[enum.Enum] | None:
    """The enum class of a member written ``Enum.MEMBER``, ``Alias.MEMBER`` (``Op = Operation``)
    or through a module (``operations.Operation.MEMBER``), or None."""
    if not isinstance(node, ast.Attribute):
        return None
    path: list[str] = []
    base_node: ast.expr = node.value
    while isinstance(base_node, ast.Attribute):
        path.insert(0, base_node.attr)
        base_node = base_node.value
    if not isinstance(base_node, ast.Name):
        return None
    base = namespace.get(base_node.id)
    for attr in path:
        base = getattr(base, attr, None)
    if isinstance(base, type) and issubclass(base, enum.Enum) and node.attr in base.__members__:
        return base
    return None


def _regex_variants(pattern: str) -> Iterator[tuple[str, str]]:
    for m in re.finditer(r"\{(\d+)(?:,(\d+))?\}", pattern):
        for group in (1, 2):
            if m.group(group) is None:
                continue
            value = int(m.group(group))
            for new in (value + 1, value - 1):
                if new < 0:
                    continue
                start, end = m.span(group)
                yield pattern[:start] + str(new) + pattern[end:], f"{m.group(0)} count {value} -> {new}"
    for i, ch in enumerate(pattern):
        if ch == "+" and i > 0 and pattern[i - 1] != "\\":
            yield pattern[:i] + "*" + pattern[i + 1 :], f"'+' at {i} -> '*'"
        if ch == "?" and i > 0 and pattern[i - 1] == ")":
            yield pattern[:i] + pattern[i + 1 :], f"optional group at {i} made required"


class _Collector:
    """Walks one assignment's value and records the single-change edits it allows."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.edits: list[tuple[str, ast.expr]] = []  # (description, new value of the whole assignment)

    def collect(self, value: ast.expr) -> list[tuple[str, ast.expr]]:
        self.edits = []
        # a type written as a value (``X = Callable[[Code], tuple[Code, ...]]``) is no table
        in_types = {id(n) for s in ast.walk(value) if isinstance(s, ast.Subscript) for n in ast.walk(s.slice)}
        for node in ast.walk(value):
            if id(node) not in in_types:
                self._visit(value, node)
        return self.edits

    def _replace(self, root: ast.expr, target: ast.AST, make: Callable[[ast.AST], ast.AST | None]) -> ast.expr | None:
        """A copy of ``root`` with ``target`` changed by ``make`` (which edits a copy of it in place
        and returns it, or returns a replacement node)."""
        for_copy: dict[int, ast.AST] = {}
        clone = copy.deepcopy(root, memo=for_copy)
        clone_target = for_copy[id(target)]
        replacement = make(clone_target)
        if replacement is None:
            return None
        if replacement is clone_target:
            return clone
        if clone_target is clone:
            return replacement  # type: ignore[return-value]
        for parent in ast.walk(clone):
            for field, old in ast.iter_fields(parent):
                if old is clone_target:
                    setattr(parent, field, replacement)
                    return clone
                if isinstance(old, list):
                    for i, item in enumerate(old):
                        if item is clone_target:
                            old[i] = replacement
                            return clone
        return None

    def _add(self, root: ast.expr, target: ast.AST, description: str, make: Callable[[ast.AST], ast.AST | None]) -> None:
        new = self._replace(root, target, make)
        if new is not None:
            self.edits.append((description, new))

    def _where(self, root: ast.expr, node: ast.AST) -> str:
        """A short name of the place of ``node`` inside a dict, e.g. ``["SetResult"]``."""
        for parent in ast.walk(root):
            if isinstance(parent, ast.Dict):
                for k, v in zip(parent.keys, parent.values, strict=True):
                    if k is not None and (v is node or any(n is node for n in ast.walk(v))):
                        return f"[{_label(k)}]"
        return ""

    def _visit(self, root: ast.expr, node: ast.AST) -> None:
        where = self._where(root, node)
        if isinstance(node, ast.Set):
            for i, elt in enumerate(node.elts):
                def drop(n: ast.AST, i: int = i) -> ast.AST:
                    assert isinstance(n, ast.Set)
                    rest = n.elts[:i] + n.elts[i + 1 :]
                    return ast.Set(elts=rest) if rest else ast.Tuple(elts=[], ctx=ast.Load())
                self._add(root, node, f"{where} - {_label(elt)}", drop)
            kinds = {_enum_of(e, self.namespace) for e in node.elts}
            if len(kinds) == 1 and None not in kinds:
                kind = kinds.pop()
                assert kind is not None
                present = {e.attr for e in node.elts if isinstance(e, ast.Attribute)}
                alias = node.elts[0].value  # type: ignore[attr-defined]
                for member in kind:
                    if member.name in present:
                        continue
                    def add(n: ast.AST, name: str = member.name) -> ast.AST:
                        assert isinstance(n, ast.Set)
                        n.elts.append(ast.Attribute(value=copy.deepcopy(alias), attr=name, ctx=ast.Load()))
                        return n
                    self._add(root, node, f"{where} + {_label(alias)}.{member.name}", add)
        elif isinstance(node, ast.Dict):
            for i, k in enumerate(node.keys):
                if k is None:
                    continue
                def drop_entry(n: ast.AST, i: int = i) -> ast.AST:
                    assert isinstance(n, ast.Dict)
                    del n.keys[i]
                    del n.values[i]
                    return n
                self._add(root, node, f" entry {_label(k)} removed", drop_entry)
        elif isinstance(node, ast.Tuple | ast.List) and all(isinstance(e, ast.Constant | ast.Name | ast.Attribute) for e in node.elts):
            if len(node.elts) > 1:
                for i, elt in enumerate(node.elts):
                    def drop_elt(n: ast.AST, i: int = i) -> ast.AST:
                        assert isinstance(n, ast.Tuple | ast.List)
                        del n.elts[i]
                        return n
                    self._add(root, node, f"{where} element {_label(elt)} removed", drop_elt)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            arg = node.args[0] if node.args else None
            if node.func.id == "frozenset" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                for i, ch in enumerate(arg.value):
                    def drop_char(n: ast.AST, i: int = i) -> ast.AST:
                        assert isinstance(n, ast.Call) and isinstance(n.args[0], ast.Constant)
                        s = n.args[0].value
                        assert isinstance(s, str)
                        n.args[0] = ast.Constant(s[:i] + s[i + 1 :])
                        return n
                    self._add(root, node, f" character {ch!r} removed", drop_char)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile":
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                for variant, what in _regex_variants(arg.value):
                    def set_pattern(n: ast.AST, variant: str = variant) -> ast.AST:
                        assert isinstance(n, ast.Call)
                        n.args[0] = ast.Constant(variant)
                        return n
                    self._add(root, node, f" regex {what}", set_pattern)
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            for new in (node.value + 1, node.value - 1):
                def set_int(n: ast.AST, new: int = new) -> ast.AST:
                    return ast.Constant(new)
                self._add(root, node, f"{where} {node.value} -> {new}", set_int)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node is root:
            def set_str(n: ast.AST, old: str = node.value) -> ast.AST:
                return ast.Constant("XX" + old + "XX")
            self._add(root, node, " string changed", set_str)


def unchanged(module_name: str) -> TableMutant:
    """The module as the mutants are written (parsed and unparsed), with no change: a control
    that must pass the tests, or every mutant would count as killed for nothing."""
    module = importlib.import_module(module_name)
    assert module.__file__ is not None
    with open(module.__file__, encoding="utf-8") as f:
        return TableMutant(module_name, "", "no change", ast.unparse(ast.parse(f.read())))


def table_mutants(module_name: str) -> list[TableMutant]:
    module = importlib.import_module(module_name)
    path = module.__file__
    assert path is not None
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    collector = _Collector(vars(module))
    mutants: list[TableMutant] = []
    for index, name in _module_assignments(tree):
        stmt = tree.body[index]
        assert isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None
        for description, new_value in collector.collect(stmt.value):
            mutated = copy.deepcopy(tree)
            target = mutated.body[index]
            assert isinstance(target, ast.Assign | ast.AnnAssign)
            target.value = new_value
            ast.fix_missing_locations(mutated)
            source = ast.unparse(mutated)
            mutants.append(TableMutant(module_name, name, f"{name}{description}", source))
    return mutants
