"""The demo data, in one place: the identities the README walkthrough and the acceptance checks
use (care givers, units, labs, sampling sites, connected systems, staff, patients), the demo
offer catalogue, and ``seed``, which loads them through the service layer (``eph seed-demo``).
The demo routing catalogue is derived from these systems (``eph.demo.routing``); the bulk orders
of the benchmark build on them too (``tools/bench/seed.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime

from service_domain import commands, manual_results, services
from service_domain.catalogue import NPU_CODE_SYSTEM
from service_domain.clock import local_date, utcnow
from service_domain.commands import CallContext
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    Analysis,
    Code,
    ConnectedSystem,
    DeliveryAddress,
    OfferDefinition,
    ReserveNumberType,
    ResultRelease,
    SamplingMode,
    SamplingSite,
    SystemKind,
)
from service_domain.model.regions import Region
from service_domain.ports import UnitOfWork
from service_domain.staff import StaffFunction, StaffMember

SERVICE_ADDRESS = "SE5565594230-EPH"
CITIZEN_SERVICE = "SE5565594230-1177"
STAFF_WEB = "SE5565594230-STAFF"
# a national aggregating service (as NPÖ and 1177 Journalen read results) over every care giver
AGGREGATOR = "SE5565594230-AGP1"

CARE_GIVER_A = "SE2321000016-CG01"
CARE_UNIT_A = "SE2321000016-CU01"
LAB_A = "SE2321000016-LAB1"
SAMPLING_A = "SE2321000016-PT01"
EHR_A = "SE2321000016-EHR1"
# A lab of care giver A with no connected lab system: staff type its results in on the staff
# web (an order placed with it as the performing lab lands on the care unit's worklist).
LAB_A3 = "SE2321000016-LAB3"

# A private care giver with an agreement with region A (Region Demo Öst) for two years
PRIVATE_CARE_GIVER = "SE5560000001-CG01"

CARE_GIVER_B = "SE2321000255-CG01"
CARE_UNIT_B = "SE2321000255-CU01"
LAB_B = "SE2321000255-LAB1"
LAB_A2 = "SE2321000016-LAB2"  # care giver A's second lab, where the southern site's specimens go
SITE_A_CENTRE = SAMPLING_A  # the sampling site system's own site
SITE_A_SOUTH = "SE2321000016-PT02"
SITE_B = "SE2321000255-PT01"

# The project's own OID arc (a UUID-based OID, ITU-T X.667) for code systems it defines.
EPH_OID_ROOT = "2.25.159671226030279178880944627251741285418"
LOCAL_ANALYSIS_CODES = f"{EPH_OID_ROOT}.1"
REJECTION_REASONS = f"{EPH_OID_ROOT}.2"
SNOMED_CT_SE = "1.2.752.116.2.1.1"

SYSTEMS = (
    ConnectedSystem(LAB_A, SystemKind.LAB, "Labbsystem, vårdgivare A", frozenset({CARE_GIVER_A})),
    ConnectedSystem(SAMPLING_A, SystemKind.SAMPLING, "Provtagningssystem, vårdgivare A", frozenset({CARE_GIVER_A})),
    ConnectedSystem(LAB_B, SystemKind.LAB, "Labbsystem, vårdgivare B", frozenset({CARE_GIVER_B})),
    ConnectedSystem(LAB_A2, SystemKind.LAB, "Labbsystem 2, vårdgivare A", frozenset({CARE_GIVER_A})),
    ConnectedSystem(EHR_A, SystemKind.EHR, "Journalsystem, vårdgivare A", frozenset({CARE_GIVER_A})),
    ConnectedSystem(CITIZEN_SERVICE, SystemKind.CITIZEN, "1177 e-tjänst", all_care_givers=True),
    ConnectedSystem(STAFF_WEB, SystemKind.STAFF_UI, "Tjänstens personalwebb", all_care_givers=True),
    ConnectedSystem(AGGREGATOR, SystemKind.AGGREGATOR, "Nationell aggregerande tjänst", all_care_givers=True),
)

# The names of the demo care givers and care units (fictitious), as the HSA catalogue would have them
UNIT_NAMES = {
    CARE_GIVER_A: "Region Demo Öst",
    CARE_UNIT_A: "Vårdcentralen Demo Öst",
    CARE_GIVER_B: "Region Demo Väst",
    CARE_UNIT_B: "Vårdcentralen Demo Väst",
    PRIVATE_CARE_GIVER: "Privatkliniken Demo AB",
}

# The English names the demo systems were first registered by: a database seeded with them is
# given today's names by `eph seed-demo` (the patient's access log shows these names).
FORMER_NAMES = {
    LAB_A: "Lab system, care giver A",
    SAMPLING_A: "Sampling site system, care giver A",
    LAB_B: "Lab system, care giver B",
    LAB_A2: "Lab system 2, care giver A",
    EHR_A: "Journal system, care giver A",
    CITIZEN_SERVICE: "1177 e-service",
    STAFF_WEB: "The service's staff web",
}


def rename_systems(uow_factory: Callable[[], UnitOfWork]) -> int:
    """Give the demo systems still registered by their former English names today's names, and the
    demo care givers and units without a name theirs (a database seeded before either); how many."""
    named = services.unit_names(uow_factory())
    unnamed = {hsa_id: name for hsa_id, name in UNIT_NAMES.items() if hsa_id.upper() not in named}
    if unnamed:
        services.register_unit_names(uow_factory(), unnamed)
    with uow_factory() as uow:
        registered = {s.hsa_id.upper(): s for s in uow.systems.list()}
    renamed = []
    for system in SYSTEMS:
        now = registered.get(system.hsa_id.upper())
        if now is not None and now.name == FORMER_NAMES.get(system.hsa_id):
            renamed.append(replace(now, name=system.name))
    if renamed:
        services.register_systems(uow_factory(), renamed)
    return len(renamed) + len(unnamed)


# Demo staff (fictitious) and the development-login password they all share.
F = StaffFunction
DEMO_STAFF_PASSWORD = "provtagning"
DEMO_STAFF = (
    StaffMember("SE2321000016-ADM1", "Astrid Admin", CARE_GIVER_A, {CARE_UNIT_A: frozenset({F.ADMIN})}),
    StaffMember("SE2321000016-SSK1", "Sara Provtagare", CARE_GIVER_A,
                {CARE_UNIT_A: frozenset({F.ASSIGN, F.SAMPLING})}),
    StaffMember("SE2321000016-SSK2", "Fredrik Uppföljare", CARE_GIVER_A,
                {CARE_UNIT_A: frozenset({F.FOLLOW_UP, F.RESULTS})}),
    StaffMember("SE2321000255-SSK1", "Bodil Bvårdare", CARE_GIVER_B,
                {CARE_UNIT_B: frozenset({F.ASSIGN, F.SAMPLING, F.FOLLOW_UP})}),
    StaffMember("SE2321000016-LOG1", "Lena Logggranskare", CARE_GIVER_A, {CARE_UNIT_A: frozenset({F.LOG_REVIEW})}),
    StaffMember("SE2321000016-RAD1", "Rut Regionadministratör", CARE_GIVER_A,
                {CARE_UNIT_A: frozenset({F.REGION_ADMIN})}),
)

# Staff of care giver A who work in its connected systems, not in the staff web: the journal
# system names the doctor as assigning offers, the lab system the analyst as signing results.
# A system may name only staff registered at a care giver it serves (``access.check_performer``),
# so they are in the staff registry, at the care unit, without staff web functions or login.
CONNECTED_STAFF = (
    StaffMember("SE2321000016-ST01", "Doris Doktor", CARE_GIVER_A, {CARE_UNIT_A: frozenset()}),
    StaffMember("SE2321000016-BMA1", "Berit Analytiker", CARE_GIVER_A, {CARE_UNIT_A: frozenset()}),
)

# NPU27300 is B-Hemoglobin A1c (IFCC), mmol/mol. For the chlamydia and gonorrhoea
# nucleic-acid tests each lab uses its own NPU codes; the demo uses local codes in
# the project's code system instead of guessing NPU numbers.
# SNOMED CT qualifier values a lab reports a nucleic-acid test with; "detected" is positive
DETECTED = Code("260373001", SNOMED_CT_SE, "SNOMED CT-SE", "påvisad")
NOT_DETECTED = manual_results.NOT_DETECTED
HBA1C = Analysis(Code("NPU27300", NPU_CODE_SYSTEM, "NPU", "B-Hemoglobin A1c (IFCC); subst.fr."), "HbA1c")
CHLAMYDIA = Analysis(
    Code("CT-NAAT", LOCAL_ANALYSIS_CODES, "EPH local", "Chlamydia trachomatis, nucleic acid"), "Klamydia", (DETECTED,)
)
GONORRHOEA = Analysis(
    Code("NG-NAAT", LOCAL_ANALYSIS_CODES, "EPH local", "Neisseria gonorrhoeae, nucleic acid"), "Gonorré", (DETECTED,)
)
URINE = Code("122575003", SNOMED_CT_SE, "SNOMED CT-SE", "urinprov")
BLOOD = Code("119297000", SNOMED_CT_SE, "SNOMED CT-SE", "blodprov")


def catalogue() -> list[OfferDefinition]:
    out = []
    for care_giver, lab in ((CARE_GIVER_A, LAB_A), (CARE_GIVER_B, LAB_B)):
        out.append(
            OfferDefinition(
                care_giver=care_giver,
                offer_code="CTNG",
                display_name="Klamydia och gonorré, test",
                analyses=(CHLAMYDIA, GONORRHOEA),
                sampling_modes=(SamplingMode.HOME_KIT, SamplingMode.SITE),
                notifiable=True,
                result_release=ResultRelease.AFTER_FOLLOW_UP_IF_POSITIVE,
                validity_days=60,
                max_orders=1,
                performing_lab=lab,
                specimen_material=URINE,
                min_age=15,
                patient_instructions="Ta provet på morgonen, minst en timme efter senaste urinering.",
                kit_return_days=30,
                # patients of the region may order the kit themselves, four times a year at most
                self_service=True,
                self_service_orders_per_year=4,
                accountable_care_unit=CARE_UNIT_A if care_giver == CARE_GIVER_A else CARE_UNIT_B,
            )
        )
        out.append(
            OfferDefinition(
                care_giver=care_giver,
                offer_code="HBA1C",
                display_name="Långtidsblodsocker (HbA1c)",
                analyses=(HBA1C,),
                sampling_modes=(SamplingMode.SITE,),
                notifiable=False,
                result_release=ResultRelease.IMMEDIATE,
                validity_days=90,
                max_orders=2,
                performing_lab=lab,
                specimen_material=BLOOD,
                min_age=18,
            )
        )
    return out


# Care givers A and B are the demo's two regions; A's catalogue allows what the demo offers
REGIONS = (
    Region(CARE_GIVER_A, "Region Demo Öst", "08-123 456 00", "egenprovtagning@demo-ost.example",
           frozenset({"CTNG", "HBA1C"}),
           frozenset(a.code.code or "" for a in (CHLAMYDIA, GONORRHOEA, HBA1C))),
    Region(CARE_GIVER_B, "Region Demo Väst", "031-123 456 00", "egenprovtagning@demo-vast.example",
           frozenset({"CTNG", "HBA1C"}),
           frozenset(a.code.code or "" for a in (CHLAMYDIA, GONORRHOEA, HBA1C))),
)


def seed_regions(uow_factory: Callable[[], UnitOfWork], now: datetime) -> int:
    """The demo regions, and the private care giver's agreement with region A (from the start of
    this year to the end of next) unless it has one; how many agreements were added."""
    operator = CallContext.operator(now)
    for region in REGIONS:
        services.put_region(uow_factory(), operator, region)
    if services.list_agreements(uow_factory(), operator, care_giver=PRIVATE_CARE_GIVER):
        return 0
    year = local_date(now).year
    services.add_agreement(uow_factory(), operator, CARE_GIVER_A, PRIVATE_CARE_GIVER,
                           date(year, 1, 1), date(year + 1, 12, 31))
    return 1


SITES = (
    SamplingSite(SITE_A_CENTRE, "Provtagningen Centrum", CARE_GIVER_A, "Drottninggatan 12", "111 51", "Stockholm",
                 LAB_A, "Måndag–fredag 7.30–16.00"),
    SamplingSite(SITE_A_SOUTH, "Provtagningen Södermalm", CARE_GIVER_A, "Götgatan 40", "118 26", "Stockholm",
                 LAB_A2, "Måndag–torsdag 8.00–18.00, fredag 8.00–13.00"),
    SamplingSite(SITE_B, "Provtagningen Väst", CARE_GIVER_B, "Kungsgatan 5", "411 19", "Göteborg",
                 LAB_B, "Vardagar 7.00–15.30"),
)

# Fictitious patients (valid check digits, not real people) and what they have ordered.
DEMO_PATIENTS = {"A1": "198503172382", "A2": "199211052395"}
DEMO_ADDRESS = DeliveryAddress("Demo Demosson", "Provgatan 1", "111 22", "Stockholm")


# Region Stockholm's reservnummer (99, year of birth, serial, Luhn digit) for care giver A
RESERVE_NUMBERS_A = ReserveNumberType("1.2.752.97.3.1.3", CARE_GIVER_A, "Reservnummer Region Stockholm", "99[0-9]{10}")


def seed(
    uow_factory: Callable[[], UnitOfWork], now: datetime, hash_password: Callable[[str], str] | None = None
) -> tuple[int, int]:
    """Register the demo systems and staff, load the catalogue and place the demo orders through
    the service layer, as the journal system and the 1177 e-service would. With ``hash_password``
    the demo staff get the development-login password. Returns (catalogue entries, orders)."""
    services.register_systems(uow_factory(), SYSTEMS)
    services.register_unit_names(uow_factory(), UNIT_NAMES)
    services.register_reserve_number_type(uow_factory(), RESERVE_NUMBERS_A)
    seed_regions(uow_factory, now)
    seed_staff(uow_factory, hash_password, now)
    added, updated = services.import_catalogue(uow_factory(), CallContext.operator(now), catalogue(), sites=SITES)
    doctor = CONNECTED_STAFF[0]
    staff = Actor(ActorKind.STAFF, doctor.hsa_id, doctor.name)
    orders = 0
    # care giver B has no connected journal system in the demo, so its patients have no orders yet
    for key, code, mode in (("A1", "CTNG", SamplingMode.HOME_KIT), ("A2", "HBA1C", SamplingMode.SITE)):
        patient = PersonId(DEMO_PATIENTS[key])
        offer = services.assign_offer(
            uow_factory(),
            CallContext(str(uuid.uuid4()), EHR_A, now),
            commands.AssignOffer(patient, code, CARE_GIVER_A, CARE_UNIT_A, staff),
        )
        assert offer.offer_id is not None
        services.create_order(
            uow_factory(),
            CallContext(str(uuid.uuid4()), CITIZEN_SERVICE, now),
            commands.CreateOrder(
                offer.offer_id, patient, mode, delivery_address=DEMO_ADDRESS if mode is SamplingMode.HOME_KIT else None
            ),
        )
        orders += 1
    return added + updated, orders


def seed_staff(
    uow_factory: Callable[[], UnitOfWork], hash_password: Callable[[str], str] | None = None, now: datetime | None = None
) -> None:
    operator = CallContext.operator(now or utcnow())
    for member in DEMO_STAFF + CONNECTED_STAFF:
        if services.find_staff_member(uow_factory(), member.hsa_id) is None:
            services.register_staff(uow_factory(), operator, member.hsa_id, member.name, member.care_giver)
        for unit, functions in member.functions.items():
            services.grant_functions(uow_factory(), operator, member.hsa_id, unit, functions)
        if hash_password is not None and member in DEMO_STAFF:
            services.set_dev_password(uow_factory(), operator, member.hsa_id, hash_password(DEMO_STAFF_PASSWORD))
