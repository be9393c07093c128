"""A pytest plugin that loads one rule module from a mutated source.

``python -m pytest -p tools.mutation.hook`` with ``EPH_MUTANT_MODULE`` (a module name such as
``service_domain.access``) and ``EPH_MUTANT_SOURCE`` (a file holding the mutated source) set:
before any test module is collected, an import finder is put first on ``sys.meta_path`` that
answers for that one module with the mutated code. Everything that imports the module, and
everything the module computes at import time from its tables, sees the mutant. Without the
two variables the plugin does nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType


class _MutantLoader(importlib.abc.Loader):
    def __init__(self, origin: str, source: str) -> None:
        self.origin = origin
        self.source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self.source, self.origin, "exec"), module.__dict__)


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.source = source

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        try:
            real = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if real is None or real.origin is None:
            return None
        spec = importlib.util.spec_from_loader(fullname, _MutantLoader(real.origin, self.source), origin=real.origin)
        if spec is not None:
            spec.submodule_search_locations = real.submodule_search_locations
            spec.has_location = True
        return spec


def _install() -> None:
    name = os.environ.get("EPH_MUTANT_MODULE")
    source_file = os.environ.get("EPH_MUTANT_SOURCE")
    if not name or not source_file:
        return
    if name in sys.modules:
        raise RuntimeError(f"{name} was imported before the mutant could be installed")
    with open(source_file, encoding="utf-8") as f:
        sys.meta_path.insert(0, _MutantFinder(name, f.read()))


_install()
