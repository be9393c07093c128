"""Regions and the care givers under them.

A region is a tenant of the service. It is itself a care giver (its HSA-id is the care
giver's), and other care givers come under it by agreement: the region's own care givers
(an agreement without an end) and private care givers with an agreement for a period. Outside
the period the care giver is not under the region. The region's catalogue (offer codes and
analysis codes) decides what the care givers under it by agreement may offer; the region's
own HSA-id is not bound by it (the region's administrators keep both)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from ..errors import RuleViolation, SubCode
from .definitions import OfferDefinition


class OutsideRegion(RuleViolation):
    """A refusal by the region's rules. ``reason`` says which (for the staff web's Swedish
    words): ``offer_code`` or ``analysis`` (the region's catalogue does not allow ``code``),
    ``no_agreement`` (the care giver has no agreement in force) or ``home_region`` (the care
    giver is not under the patient's home region)."""

    def __init__(self, reason: str, message: str, code: str | None = None) -> None:
        sub_code = SubCode.NOT_IN_CATALOGUE if reason in ("offer_code", "analysis") else SubCode.NOT_PERMITTED
        super().__init__(sub_code, message)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class Region:
    """A region: its HSA-id (the region as care giver), name, the contact its staff are
    shown (phone and e-mail of the region's support) and its catalogue: the offer codes and
    the analysis codes the care givers under it may use. An empty list allows nothing."""

    hsa_id: str
    name: str
    phone: str | None = None
    email: str | None = None
    offer_codes: frozenset[str] = frozenset()
    analyses: frozenset[str] = frozenset()

    def catalogue_problems(self, definition: OfferDefinition) -> list[OutsideRegion]:
        """What in a catalogue entry the region's catalogue does not allow (none: it may be offered)."""
        problems = []
        if definition.offer_code not in self.offer_codes:
            problems.append(OutsideRegion(
                "offer_code", f"the region's catalogue does not allow offer code {definition.offer_code}",
                definition.offer_code))
        for a in definition.analyses:
            code = a.code.code or ""
            if code not in self.analyses:
                problems.append(OutsideRegion(
                    "analysis", f"the region's catalogue does not allow analysis {code}", code))
        return problems

    def check_definition(self, definition: OfferDefinition) -> None:
        problems = self.catalogue_problems(definition)
        if problems:
            raise problems[0]


@dataclass(frozen=True, slots=True)
class Agreement:
    """A care giver under a region from ``valid_from`` to ``valid_to`` (both days included;
    no end: until further notice). ``own``: one of the region's own care givers."""

    agreement_id: str
    region: str
    care_giver: str
    valid_from: date
    valid_to: date | None = None
    own: bool = False

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise RuleViolation(SubCode.WRONG_STATE, "an agreement cannot end before it begins")

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, first: date, last: date) -> bool:
        return self.valid_from <= last and (self.valid_to is None or first <= self.valid_to)

    def ended(self, day: date) -> Agreement:
        """The agreement ending on ``day`` (it stays in force that day); an end already earlier stands."""
        if self.valid_to is not None and self.valid_to <= day:
            return self
        if day < self.valid_from:
            raise RuleViolation(SubCode.WRONG_STATE, "an agreement cannot end before it begins")
        return replace(self, valid_to=day)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a care giver stands on a day: under ``region`` (None: under none), and whether it
    is ``linked`` to any region at all (a region itself, or with an agreement at any time).
    A care giver never linked keeps the service's behaviour from before regions. ``is_region``:
    the care giver is the region itself."""

    region: Region | None
    linked: bool
    is_region: bool = False

    def check_may_offer(self, definition: OfferDefinition) -> None:
        """New catalogue entries, new offers and self-service orders need the care giver under
        a region (when it is linked to one) and the entry within the region's catalogue. The
        region itself keeps its catalogue: its administrators decide what it allows."""
        if self.is_region:
            return
        if self.region is not None:
            self.region.check_definition(definition)
        elif self.linked:
            raise OutsideRegion("no_agreement", "the care giver has no agreement in force with a region")

    def check_home_region(self, home_region: str | None) -> None:
        """A self-service order is made from the patient's home region."""
        if home_region is None:
            raise OutsideRegion("home_region", "the population register gives no home region for the patient")
        if self.region is None or self.region.hsa_id.upper() != home_region.upper():
            raise OutsideRegion("home_region", "the care giver is not under the patient's home region")


def standing(care_giver: str, day: date, regions: Iterable[Region], agreements: Iterable[Agreement]) -> Standing:
    """The care giver's standing on ``day``: a region is under itself; another care giver under
    the region of an agreement in force (the first by start, should two overlap)."""
    by_id = {r.hsa_id.upper(): r for r in regions}
    cg = care_giver.upper()
    if cg in by_id:
        return Standing(by_id[cg], True, is_region=True)
    mine = sorted((a for a in agreements if a.care_giver.upper() == cg), key=lambda a: a.valid_from)
    current = next((a for a in mine if a.in_force(day) and a.region.upper() in by_id), None)
    return Standing(by_id[current.region.upper()] if current else None, bool(mine))


def under_region_on(region: Region, agreements: Iterable[Agreement], care_giver: str, day: date) -> bool:
    """Whether the care giver was under the region on ``day``: the region itself, or by an
    agreement in force that day."""
    if care_giver.upper() == region.hsa_id.upper():
        return True
    return any(a.region.upper() == region.hsa_id.upper() and a.care_giver.upper() == care_giver.upper()
               and a.in_force(day) for a in agreements)


def care_givers_under(region: Region, agreements: Iterable[Agreement], first: date, last: date) -> set[str]:
    """The care givers under the region at some day from ``first`` to ``last``: itself, and those
    with an agreement overlapping the period."""
    return {region.hsa_id.upper()} | {
        a.care_giver.upper() for a in agreements
        if a.region.upper() == region.hsa_id.upper() and a.overlaps(first, last)
    }
