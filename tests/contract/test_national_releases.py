"""The national contracts in wsdl/national/ are their public releases, unchanged: every file of a
release matches the checksum recorded when it was taken (wsdl/national/<release>.sha256), the
release notes name where it was taken from, each WSDL loads in zeep strict with the LogicalAddress
header, and the documents served with a WSDL are the release's own and all of it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zeep

from contracts.interactions import (
    ACTOUTCOME_SCHEMAS,
    ENGAGEMENTINDEX_INTERACTIONS,
    ENGAGEMENTINDEX_SCHEMAS,
    NATIONAL,
    NATIONAL_INTERACTIONS,
    Interaction,
)
from contracts.ns import REGISTRY_NS
from contracts.schema import documents

NOTES = NATIONAL.parent / "RELEASENOTES.md"


@dataclass(frozen=True)
class Release:
    folder: Path
    interactions: tuple[Interaction, ...]
    source: str  # the repository and folder it was taken from, as the release notes give it
    commit: str

    @property
    def checksums(self) -> Path:
        return NATIONAL / f"{self.folder.name}.sha256"

    def recorded(self) -> dict[str, str]:
        lines = self.checksums.read_text(encoding="utf-8").splitlines()
        return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line.strip())}

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(NATIONAL)) for p in self.folder.rglob("*") if p.is_file())


RELEASES = {
    "actoutcome": Release(
        ACTOUTCOME_SCHEMAS, NATIONAL_INTERACTIONS,
        "skltp-aggregerandetjanster/riv.clinicalprocess.healthcond.actoutcome.GetAggregatedLaboratoryOrderOutCome",
        "d9a122b4709123c7b88bafa5e189714549743efd"),
    "engagementindex": Release(
        ENGAGEMENTINDEX_SCHEMAS, ENGAGEMENTINDEX_INTERACTIONS,
        "skltp-ei-schemas/src/main/resources/schemas/TD_ENGAGEMENTINDEX_1_0_R",
        "9f5904202dc481918839d534ad84a05462960fa1"),
}
FILES = [(name, path) for name, release in RELEASES.items() for path in sorted(release.recorded())]
INTERACTIONS = [i for release in RELEASES.values() for i in release.interactions]


@pytest.mark.parametrize("name", RELEASES)
def test_every_file_of_the_release_is_recorded(name: str) -> None:
    assert RELEASES[name].files() == sorted(RELEASES[name].recorded())


@pytest.mark.parametrize(("name", "path"), FILES)
def test_each_file_is_unchanged(name: str, path: str) -> None:
    assert hashlib.sha256((NATIONAL / path).read_bytes()).hexdigest() == RELEASES[name].recorded()[path]


@pytest.mark.parametrize("name", RELEASES)
def test_the_release_notes_name_the_source(name: str) -> None:
    assert RELEASES[name].source in NOTES.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", RELEASES)
def test_the_release_notes_name_the_commit(name: str) -> None:
    assert RELEASES[name].commit in NOTES.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", RELEASES)
def test_the_release_notes_name_the_checksum_list(name: str) -> None:
    assert RELEASES[name].checksums.name in NOTES.read_text(encoding="utf-8")


def _operation(i: Interaction) -> Any:
    client = zeep.Client(str(i.wsdl_path), settings=zeep.Settings(strict=True))
    return client.wsdl.bindings[f"{{{i.wsdl_ns}}}{i.name}ResponderBinding"].get(i.name)


@pytest.mark.parametrize("i", INTERACTIONS, ids=lambda i: i.name)
def test_the_wsdl_loads_in_zeep_strict(i: Interaction) -> None:
    assert _operation(i).soapaction == i.soap_action


@pytest.mark.parametrize("i", INTERACTIONS, ids=lambda i: i.name)
def test_the_wsdl_has_the_logical_address_header(i: Interaction) -> None:
    assert _operation(i).input.header.type.elements[0][1].qname.text == f"{{{REGISTRY_NS}}}LogicalAddress"


@pytest.mark.parametrize("name", RELEASES)
def test_the_documents_served_with_the_wsdls_are_the_releases_own(name: str) -> None:
    release = RELEASES[name]
    folder = release.folder.resolve()
    assert all(p.is_relative_to(folder) for i in release.interactions for p in documents(i).values())


@pytest.mark.parametrize("name", RELEASES)
def test_the_documents_served_with_the_wsdls_are_all_of_the_release(name: str) -> None:
    release = RELEASES[name]
    names = {doc for i in release.interactions for doc in documents(i)}
    assert sorted(names) == sorted(Path(p).name for p in release.recorded())
