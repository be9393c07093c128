"""The release notes (wsdl/RELEASENOTES.md) keep up with the release: every interaction the
service domain offers is named in them, so a new contract cannot ship without its entry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.interactions import ALL_INTERACTIONS, Interaction

NOTES = Path(__file__).resolve().parents[2] / "wsdl" / "RELEASENOTES.md"


def _named() -> set[str]:
    return set(re.findall(r"`([A-Za-z]+)`", NOTES.read_text(encoding="utf-8")))


@pytest.mark.parametrize("interaction", ALL_INTERACTIONS, ids=lambda i: i.name)
def test_every_interaction_has_its_entry_in_the_release_notes(interaction: Interaction) -> None:
    assert interaction.name in _named()


def test_the_newest_release_comes_first() -> None:
    versions = re.findall(r"^## (\S+ \S+)", NOTES.read_text(encoding="utf-8"), flags=re.M)
    assert versions == sorted(versions, reverse=True)
