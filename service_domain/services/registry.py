"""The registers behind the service: care givers' offer catalogues and sampling sites, the
connected systems and their signing keys, the kinds of reservnummer, and the names of care
givers and care units. Kept by an operator
at the console; the catalogue also by a care giver's administrators on the staff web."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from .. import access, checks
from ..clock import local_date
from ..errors import InvalidRequest, RuleViolation, SubCode
from ..identity import InvalidIdentity, check_hsa_id
from ..model import ConnectedSystem, OfferDefinition, ReserveNumberType, SamplingSite, SystemKey, SystemKind
from ..operations import Operation
from ..ports import UnitOfWork
from .calls import Call, performs, staff_caller
from .regions import check_definitions


@performs(Operation.MANAGE_CATALOGUE)
def import_catalogue(
    uow: UnitOfWork,
    call: Call,
    definitions: Sequence[OfferDefinition],
    *,
    replace_all: bool = False,
    sites: Sequence[SamplingSite] = (),
) -> tuple[int, int]:
    """Store catalogue entries in one transaction; returns (added, updated).

    With ``replace_all`` a care giver's entries that are not in ``definitions`` are deactivated
    (never deleted: assigned offers refer to them); care givers not in ``definitions`` keep theirs.
    From the staff web every entry (and site) must be of the administrator's care giver. An
    active entry of a care giver under a region must be within the region's catalogue, and a
    care giver whose agreement with its region is not in force saves none (``OutsideRegion``)."""
    with uow:
        system = staff_caller(uow, call)
        if system is not None:
            for d in definitions:
                access.check_serves(system, d.care_giver)
        check_definitions(uow, definitions, local_date(call.now))
        counts = uow.definitions.replace_all(definitions) if replace_all else uow.definitions.upsert(definitions)
        for site in sites:
            if system is not None:
                access.check_serves(system, site.care_giver)
            _put_site(uow, site)
        uow.commit()
        return counts


@performs(Operation.MANAGE_CATALOGUE)
def export_catalogue(uow: UnitOfWork, call: Call) -> list[OfferDefinition]:
    """Every catalogue entry, retired ones too; from the staff web, the administrator's care giver's."""
    with uow:
        system = staff_caller(uow, call)
        return [d for d in uow.definitions.list(active_only=False) if system is None or system.serves(d.care_giver)]


def _put_site(uow: UnitOfWork, site: SamplingSite) -> None:
    for value, what in ((site.hsa_id, "samplingUnitHSAId"), (site.care_giver, "careGiverHSAId"),
                        (site.performing_lab, "performingLabHSAId")):
        checks.hsa(value, what)
    uow.sites.put(site)


def register_sampling_sites(uow: UnitOfWork, sites: Sequence[SamplingSite]) -> int:
    """Add or change sampling sites (a site retired stays, marked inactive); returns how many."""
    with uow:
        for site in sites:
            _put_site(uow, site)
        uow.commit()
        return len(sites)


def list_sampling_sites(uow: UnitOfWork, care_giver: str | None = None, *, active_only: bool = False) -> list[SamplingSite]:
    with uow:
        return uow.sites.for_care_giver(care_giver, active_only=active_only)


def register_systems(uow: UnitOfWork, systems: Sequence[ConnectedSystem]) -> None:
    with uow:
        for s in systems:
            uow.systems.put(replace(s, care_givers=frozenset(c.upper() for c in s.care_givers),
                                    units=frozenset(u.upper() for u in s.units)))
        uow.commit()


def register_reserve_number_type(uow: UnitOfWork, kind: ReserveNumberType) -> None:
    """Let a care giver's reservnummer (under its OID) identify patients."""
    try:
        check_hsa_id(kind.care_giver, "care giver")
    except InvalidIdentity as e:
        raise InvalidRequest(str(e)) from None
    if kind.pattern is not None:
        try:
            re.compile(kind.pattern)
        except re.error:
            raise InvalidRequest("the reservnummer pattern is not a regular expression") from None
    with uow:
        uow.reserve_numbers.put(kind)
        uow.commit()


def register_unit_names(uow: UnitOfWork, names: Mapping[str, str]) -> None:
    """Name care givers and care units by HSA-id (the patient's access log shows the names)."""
    for hsa_id, name in names.items():
        try:
            check_hsa_id(hsa_id, "care giver or care unit")
        except InvalidIdentity as e:
            raise InvalidRequest(str(e)) from None
        if not name.strip():
            raise InvalidRequest("the name of a care giver or care unit is empty")
    with uow:
        for hsa_id, name in names.items():
            uow.unit_names.put(hsa_id, name.strip())
        uow.commit()


def unit_names(uow: UnitOfWork) -> dict[str, str]:
    with uow:
        return uow.unit_names.list()


# ------------------------------------------------------------------ journal systems' signing keys


def add_system_key(uow: UnitOfWork, key: SystemKey) -> None:
    """Register a public key a journal system signs uthopp tokens with (the PEM is checked by the caller)."""
    with uow:
        system = uow.systems.get(key.hsa_id)
        if system is None:
            raise RuleViolation(SubCode.UNKNOWN_ID, "no connected system with that HSA-id")
        if system.kind is not SystemKind.EHR:
            raise RuleViolation(SubCode.NOT_PERMITTED, "only journal systems (EHR) sign uthopp tokens")
        uow.systems.add_key(replace(key, hsa_id=system.hsa_id))
        uow.commit()


def remove_system_key(uow: UnitOfWork, hsa_id: str, key_id: str) -> bool:
    with uow:
        removed = uow.systems.remove_key(hsa_id, key_id)
        uow.commit()
        return removed


def signing_keys(uow: UnitOfWork, hsa_id: str) -> tuple[ConnectedSystem | None, list[SystemKey]]:
    """A connected system and the keys it signs with."""
    with uow:
        return uow.systems.get(hsa_id), uow.systems.keys(hsa_id)
