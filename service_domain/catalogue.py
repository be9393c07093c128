"""Offer catalogue documents: parse and check entries, and turn them back into documents.

A document is a mapping with ``offerDefinitions`` (or a bare list of entries); each entry
uses the element names of ``OfferDefinitionType``::

    offerDefinitions:
      - careGiverHSAId: SE2321000016-CG01
        offerCode: HBA1C
        displayName: Langtidsblodsocker (HbA1c)
        analysis:
          - code: NPU27300                  # flat, or code: {code: ..., codeSystem: ...}
            codeSystem: 1.2.752.108.1       # NPU; the default
            displayName: B-HbA1c (IFCC)
            positiveValue: []               # coded values that count as positive (notifiable offers)
        samplingMode: [SITE]
        notifiable: false
        resultRelease: IMMEDIATE
        validityDays: 90
        maxOrders: 1
        performingLabHSAId: SE2321000016-LAB1
        kitReturnDays: 30                   # optional: a home kit's return window after validTo
        active: true                        # optional, default true

Reading (files, YAML/JSON) is the caller's business; this module only checks data.
Every problem is reported with the entry and field it concerns, and nothing is
stored unless every entry is right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from . import shapes
from .identity import InvalidIdentity, check_hsa_id
from .model import Analysis, Code, OfferDefinition, ResultRelease, SamplingMode, SamplingSite

NPU_CODE_SYSTEM = "1.2.752.108.1"
_OFFER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")
_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")
_KNOWN = {
    "careGiverHSAId",
    "offerCode",
    "displayName",
    "analysis",
    "samplingMode",
    "specimenMaterial",
    "notifiable",
    "resultRelease",
    "validityDays",
    "maxOrders",
    "performingLabHSAId",
    "minAge",
    "maxAge",
    "patientInstructions",
    "kitReturnDays",
    "selfService",
    "selfServiceOrdersPerYear",
    "accountableCareUnit",
    "active",
}
_SITE_FIELDS = {
    "samplingUnitHSAId", "name", "careGiverHSAId", "address", "openingHours", "performingLabHSAId", "active",
}
_POSTAL_CODE = re.compile(r"[0-9]{3} ?[0-9]{2}")


class CatalogueError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Entry:
    def __init__(self, index: int, data: Any, problems: list[str]) -> None:
        self.data = data if isinstance(data, dict) else {}
        code = self.data.get("offerCode")
        self.label = f"entry {index}" + (f" (offerCode {code})" if isinstance(code, str) else "")
        self.problems = problems
        if not isinstance(data, dict):
            self.fail(None, "must be a mapping of OfferDefinitionType fields")

    def fail(self, field: str | None, message: str) -> None:
        self.problems.append(f"{self.label}: " + (f"field '{field}': " if field else "") + message)

    def text(self, field: str, *, required: bool = True, max_length: int = 255) -> str | None:
        value = self.data.get(field)
        if value is None:
            if required:
                self.fail(field, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "must be a non-empty string")
            return None
        if len(value) > max_length:
            self.fail(field, f"is longer than {max_length} characters")
            return None
        return value

    def hsa(self, field: str) -> str | None:
        value = self.text(field)
        if value is None:
            return None
        try:
            return check_hsa_id(value, "the value")
        except InvalidIdentity as e:
            self.fail(field, str(e))
            return None

    def integer(self, field: str, *, minimum: int, maximum: int = 100_000, required: bool = True) -> int | None:
        value = self.data.get(field)
        if value is None:
            if required:
                self.fail(field, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.fail(field, f"must be an integer from {minimum} to {maximum}")
            return None
        return value

    def boolean(self, field: str, *, default: bool | None = None) -> bool | None:
        value = self.data.get(field, default)
        if not isinstance(value, bool):
            self.fail(field, "must be true or false" + ("" if default is not None else " (required)"))
            return None
        return value

    def code(self, value: Any, field: str, default_system: str | None = None) -> Code | None:
        """A CVType mapping: code (with codeSystem, or the default system) or only originalText."""
        if not isinstance(value, dict):
            self.fail(field, "must be a mapping with code and codeSystem")
            return None
        code, original = value.get("code"), value.get("originalText")
        if code is None and isinstance(original, str) and original.strip():
            return shapes.code_from({**value, "codeSystem": None})
        system = value.get("codeSystem", default_system)
        if not isinstance(code, str) or not code:
            self.fail(field, "code (or originalText, for an uncoded concept) is required")
            return None
        if not isinstance(system, str) or not _OID.fullmatch(system):
            self.fail(field, "codeSystem must be an OID")
            return None
        return shapes.code_from({**value, "codeSystem": system})


def parse(document: Any) -> list[OfferDefinition]:
    """Check a catalogue document; return its entries or raise CatalogueError with every problem.
    A document of sampling sites only (``samplingSites``) has no entries."""
    if isinstance(document, dict) and "offerDefinitions" not in document and "samplingSites" in document:
        return []
    entries = document.get("offerDefinitions") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(["the document must hold a non-empty list 'offerDefinitions'"])
    problems: list[str] = []
    definitions: list[OfferDefinition] = []
    seen: dict[tuple[str, str], int] = {}
    for index, data in enumerate(entries, start=1):
        e = _Entry(index, data, problems)
        if not e.data:
            continue
        for unknown in sorted(set(e.data) - _KNOWN):
            e.fail(unknown, "is not a field of OfferDefinitionType")
        before = len(problems)
        care_giver = e.hsa("careGiverHSAId")
        offer_code = e.text("offerCode", max_length=64)
        if offer_code is not None and not _OFFER_CODE.fullmatch(offer_code):
            e.fail("offerCode", "must be ASCII letters, digits, '_', '.', '-'")
        display_name = e.text("displayName")
        analyses: list[Analysis] = []
        raw_analyses = e.data.get("analysis")
        if not isinstance(raw_analyses, list) or not raw_analyses:
            e.fail("analysis", "must be a non-empty list")
        else:
            for n, a in enumerate(raw_analyses, start=1):
                # the code as a nested CVType mapping, or flat beside displayName
                raw = a.get("code") if isinstance(a, dict) and isinstance(a.get("code"), dict) else a
                code = e.code(raw, f"analysis[{n}]", NPU_CODE_SYSTEM)
                name = a.get("displayName") if isinstance(a, dict) else None
                raw_positives = a.get("positiveValue", []) if isinstance(a, dict) else []
                positives: list[Code] = []
                if not isinstance(raw_positives, list):
                    e.fail(f"analysis[{n}].positiveValue", "must be a list of coded values")
                else:
                    for m, p in enumerate(raw_positives, start=1):
                        positive = e.code(p, f"analysis[{n}].positiveValue[{m}]")
                        if positive is not None:
                            positives.append(positive)
                if not isinstance(name, str) or not name:
                    e.fail(f"analysis[{n}]", "displayName is required")
                elif code is not None:
                    analyses.append(Analysis(code, name, tuple(positives)))
        modes: list[SamplingMode] = []
        raw_modes = e.data.get("samplingMode")
        if not isinstance(raw_modes, list) or not raw_modes:
            e.fail("samplingMode", "must be a non-empty list of SITE / HOME_KIT")
        else:
            for m in raw_modes:
                if m not in SamplingMode.__members__:
                    e.fail("samplingMode", f"'{m}' is not SITE or HOME_KIT")
                elif SamplingMode(m) not in modes:
                    modes.append(SamplingMode(m))
        material = e.code(e.data["specimenMaterial"], "specimenMaterial") if "specimenMaterial" in e.data else None
        notifiable = e.boolean("notifiable")
        release_value = e.data.get("resultRelease")
        release = None
        if release_value not in ResultRelease.__members__:
            e.fail("resultRelease", "must be one of " + ", ".join(ResultRelease.__members__))
        else:
            release = ResultRelease(str(release_value))
        validity_days = e.integer("validityDays", minimum=1, maximum=3650)
        max_orders = e.integer("maxOrders", minimum=1, maximum=1000)
        lab = e.hsa("performingLabHSAId")
        min_age = e.integer("minAge", minimum=0, maximum=150, required=False)
        max_age = e.integer("maxAge", minimum=0, maximum=150, required=False)
        if min_age is not None and max_age is not None and max_age < min_age:
            e.fail("maxAge", "is below minAge")
        instructions = e.text("patientInstructions", required=False, max_length=4000)
        kit_return_days = e.integer("kitReturnDays", minimum=0, maximum=3650, required=False)
        self_service = e.boolean("selfService", default=False)
        per_year = e.integer("selfServiceOrdersPerYear", minimum=1, maximum=1000, required=False)
        accountable = e.hsa("accountableCareUnit") if "accountableCareUnit" in e.data else None
        if self_service and "accountableCareUnit" not in e.data:
            e.fail("accountableCareUnit", "is required for a self-service entry (selfService: true)")
        active = e.boolean("active", default=True)
        if care_giver and offer_code:
            key = (care_giver.upper(), offer_code)
            if key in seen:
                e.fail("offerCode", f"is also used by entry {seen[key]} of the same care giver")
            seen[key] = index
        if len(problems) > before:
            continue
        assert care_giver and offer_code and display_name and release and lab
        assert notifiable is not None and validity_days and max_orders and active is not None
        definitions.append(
            OfferDefinition(
                care_giver=care_giver.upper(),
                offer_code=offer_code,
                display_name=display_name,
                analyses=tuple(analyses),
                sampling_modes=tuple(modes),
                notifiable=notifiable,
                result_release=release,
                validity_days=validity_days,
                max_orders=max_orders,
                performing_lab=lab,
                specimen_material=material,
                min_age=min_age,
                max_age=max_age,
                patient_instructions=instructions,
                active=active,
                kit_return_days=kit_return_days or 0,
                self_service=bool(self_service),
                self_service_orders_per_year=per_year,
                accountable_care_unit=accountable,
            )
        )
    if problems:
        raise CatalogueError(problems)
    return definitions


def parse_document(document: Any) -> tuple[list[OfferDefinition], list[SamplingSite]]:
    """The entries and the sampling sites of a catalogue document, the one reading every entry
    point imports with (``eph catalog import``, the staff web); or CatalogueError with every
    problem of both."""
    problems: list[str] = []
    definitions: list[OfferDefinition] = []
    sites: list[SamplingSite] = []
    try:
        definitions = parse(document)
    except CatalogueError as e:
        problems += e.problems
    try:
        sites = parse_sites(document)
    except CatalogueError as e:
        problems += e.problems
    if problems:
        raise CatalogueError(problems)
    return definitions, sites


def parse_sites(document: Any) -> list[SamplingSite]:
    """The ``samplingSites`` of a catalogue document (none if it has no such list), each a mapping
    of SamplingSiteType's element names; or CatalogueError with every problem::

        samplingSites:
          - samplingUnitHSAId: SE2321000016-PT01
            name: Provtagningen Centrum
            careGiverHSAId: SE2321000016-CG01
            address: {street: Storgatan 1, postalCode: "111 22", city: Stockholm}
            openingHours: Mån-fre 7.30-16
            performingLabHSAId: SE2321000016-LAB1
    """
    raw = document.get("samplingSites", []) if isinstance(document, dict) else []
    if not isinstance(raw, list):
        raise CatalogueError(["'samplingSites' must be a list"])
    problems: list[str] = []
    sites: list[SamplingSite] = []
    for index, data in enumerate(raw, start=1):
        e = _Entry(index, data, problems)
        e.label = f"sampling site {index}" + (
            f" ({data.get('samplingUnitHSAId')})" if isinstance(data, dict) and isinstance(data.get("samplingUnitHSAId"), str) else ""
        )
        if not e.data:
            continue
        for unknown in sorted(set(e.data) - _SITE_FIELDS):
            e.fail(unknown, "is not a field of SamplingSiteType")
        before = len(problems)
        hsa_id, name, care_giver = e.hsa("samplingUnitHSAId"), e.text("name"), e.hsa("careGiverHSAId")
        lab, hours = e.hsa("performingLabHSAId"), e.text("openingHours", required=False, max_length=4000)
        address = e.data.get("address")
        street = city = postal = None
        if not isinstance(address, dict):
            e.fail("address", "must be a mapping with street, postalCode and city")
        else:
            street, city, postal = address.get("street"), address.get("city"), address.get("postalCode")
            if not (isinstance(street, str) and street.strip() and isinstance(city, str) and city.strip()):
                e.fail("address", "street and city are required")
            if not isinstance(postal, str) or not _POSTAL_CODE.fullmatch(postal):
                e.fail("address", "postalCode must be five digits, e.g. 111 22")
        active = e.boolean("active", default=True)
        if len(problems) > before:
            continue
        assert hsa_id and name and care_giver and lab and street and city and postal and active is not None
        sites.append(SamplingSite(hsa_id, name, care_giver.upper(), street, postal, city, lab, hours, active))
    if problems:
        raise CatalogueError(problems)
    return sites


def site_document(site: SamplingSite) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "samplingUnitHSAId": site.hsa_id,
        "name": site.name,
        "careGiverHSAId": site.care_giver,
        "address": shapes.site_address(site),
    }
    if site.opening_hours is not None:
        doc["openingHours"] = site.opening_hours
    doc["performingLabHSAId"] = site.performing_lab
    doc["active"] = site.active
    return doc


def to_document(definitions: Iterable[OfferDefinition], sites: Iterable[SamplingSite] = ()) -> dict[str, Any]:
    """The inverse of ``parse``: a document that imports back to the same entries."""
    out = []
    for d in definitions:
        entry: dict[str, Any] = {
            "careGiverHSAId": d.care_giver,
            "offerCode": d.offer_code,
            "displayName": d.display_name,
            "analysis": [shapes.analysis(a) for a in d.analyses],
            "samplingMode": [m.value for m in d.sampling_modes],
        }
        if d.specimen_material is not None:
            entry["specimenMaterial"] = shapes.code(d.specimen_material)
        entry.update(
            {
                "notifiable": d.notifiable,
                "resultRelease": d.result_release.value,
                "validityDays": d.validity_days,
                "maxOrders": d.max_orders,
                "performingLabHSAId": d.performing_lab,
            }
        )
        for key, value in (("minAge", d.min_age), ("maxAge", d.max_age), ("patientInstructions", d.patient_instructions)):
            if value is not None:
                entry[key] = value
        if d.kit_return_days:
            entry["kitReturnDays"] = d.kit_return_days
        if d.self_service:
            entry["selfService"] = True
        for key, value in (("selfServiceOrdersPerYear", d.self_service_orders_per_year),
                           ("accountableCareUnit", d.accountable_care_unit)):
            if value is not None:
                entry[key] = value
        entry["active"] = d.active
        out.append(entry)
    document: dict[str, Any] = {"offerDefinitions": out}
    site_docs = [site_document(site) for site in sites]
    if site_docs:
        document["samplingSites"] = site_docs
    return document
