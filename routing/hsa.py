"""The optional HSA hierarchy: which HSA-id lies under which.

A JSON or YAML file mapping each HSA-id to its parent::

    {"SE2321000016-CU01": "SE2321000016-CG01", "SE2321000016-CG01": "SE"}

HSA-ids not in the file have the parent SE (the root of the HSA tree).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .lookup import HsaTree


def load_hierarchy(path: Path | None) -> HsaTree:
    if path is None:
        return HsaTree()
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{path.name}: expected a mapping of HSA-id to parent HSA-id")
    return HsaTree(data)
