"""Log review: a care giver's recurring checks of who accessed patients' data (the Patient Data
Act's "systematiska och återkommande kontroller").

A log reviewer searches the care giver's audit records and goes through the accesses the ready
made checks flag. Each check is a named rule with a Swedish explanation; a flag is identified
by its rule and the audit record it flags, so marking it reviewed holds however the search that
showed it was made. The checks look at accesses by persons (audit records with a staff member
acting); the review's own records (``LogReview``) are never flagged.

The rules that need no database are here, as plain functions: office hours (as the intervals
the storage is asked for), many patients in a short time (over the accesses the storage found
possible), a namesake (over the staff members and patients the storage found). Accesses without
a relation to the unit, and to one's own data, the storage finds (``ports.LogReviewRepository``).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .registry import AuditRecord


class Rule(StrEnum):
    """The ready-made checks. A value, once used, never changes: reviews are stored by it."""

    NO_RELATION = "NO_RELATION"
    OUT_OF_HOURS = "OUT_OF_HOURS"
    MANY_PATIENTS = "MANY_PATIENTS"
    OWN_RECORD = "OWN_RECORD"
    NAMESAKE = "NAMESAKE"


RULE_NAME: dict[Rule, str] = {
    Rule.NO_RELATION: "Ingen relation till enheten",
    Rule.OUT_OF_HOURS: "Utanför kontorstid",
    Rule.MANY_PATIENTS: "Många patienter på kort tid",
    Rule.OWN_RECORD: "Egen journal",
    Rule.NAMESAKE: "Namne",
}

RULE_EXPLANATION: dict[Rule, str] = {
    Rule.NO_RELATION: (
        "Medarbetaren läste uppgifter om en patient som inte har något erbjudande, någon beställning "
        "eller något uppföljningsärende på den vårdenhet medarbetaren arbetade vid."
    ),
    Rule.OUT_OF_HOURS: "Åtkomsten skedde utanför kontorstid.",
    Rule.MANY_PATIENTS: (
        "Medarbetaren läste uppgifter om ovanligt många olika patienter på kort tid."
    ),
    Rule.OWN_RECORD: "Medarbetaren läste sina egna uppgifter.",
    Rule.NAMESAKE: "Patienten har samma efternamn som medarbetaren (enligt folkbokföringen).",
}

# the order flags of one audit record are listed in (and ranked by, in a page's position)
RULE_ORDER: tuple[Rule, ...] = tuple(Rule)

REVIEW_NOTE_MAX = 1000


@dataclass(frozen=True, slots=True)
class LogQuery:
    """A search of one care giver's audit records; filters are AND-ed, each optional. The
    period is ``since`` (inclusive) to ``until`` (exclusive)."""

    care_giver: str
    patient_id: str | None = None
    staff_id: str | None = None
    care_unit: str | None = None
    system: str | None = None  # the calling system's HSA-id
    interaction: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def parts(self) -> tuple[str, ...]:
        """The query as text, for the digest of its continuation tokens."""
        return (
            self.care_giver.upper(),
            self.patient_id or "",
            (self.staff_id or "").upper(),
            (self.care_unit or "").upper(),
            (self.system or "").upper(),
            self.interaction or "",
            self.since.isoformat() if self.since else "",
            self.until.isoformat() if self.until else "",
        )


@dataclass(frozen=True, slots=True)
class LoggedAccess:
    """An audit record with its row number (the stable part of a flag's identity)."""

    record_id: int
    record: AuditRecord


@dataclass(frozen=True, slots=True)
class FlagReview:
    """A reviewer's verdict on a flag: who, when, and a note."""

    care_giver: str
    rule: Rule
    record_id: int
    reviewed_by: str
    reviewed_time: datetime
    note: str


@dataclass(frozen=True, slots=True)
class Flag:
    rule: Rule
    access: LoggedAccess
    review: FlagReview | None = None

    @property
    def key(self) -> tuple[datetime, int, int]:
        """The position in a listing: newest first, then the record, then the rule."""
        return (self.access.record.time, self.access.record_id, RULE_ORDER.index(self.rule))

    @property
    def name(self) -> str:
        return RULE_NAME[self.rule]

    @property
    def explanation(self) -> str:
        return RULE_EXPLANATION[self.rule]


# ------------------------------------------------------------------ office hours


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """When accesses are expected: ``start`` to ``end`` local time on ``weekdays`` (Monday 0)."""

    weekdays: frozenset[int] = frozenset(range(5))
    start: time = time(7, 0)
    end: time = time(18, 0)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Stockholm"))

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("office hours end before they start")
        if not self.weekdays <= set(range(7)):
            raise ValueError("a weekday is 0 (Monday) to 6 (Sunday)")

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.weekdays and self.start <= local.time() < self.end

    def outside(self, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
        """The times outside office hours from ``since`` to ``until``, as UTC intervals (start
        inclusive, end exclusive), oldest first: what the storage is asked for. Each day's hours
        are taken in local time, so a change to or from summer time moves them in UTC."""
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        outside: list[tuple[datetime, datetime]] = []
        cursor = since
        day = since.astimezone(self.zone).date() - timedelta(days=1)
        last = until.astimezone(self.zone).date() + timedelta(days=1)
        while day <= last:
            if day.weekday() in self.weekdays:
                opens = datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)
                closes = datetime.combine(day, self.end, tzinfo=self.zone).astimezone(UTC)
                if closes > cursor and opens < until:
                    if cursor < opens:
                        outside.append((cursor, opens))
                    cursor = closes
            day += timedelta(days=1)
        if cursor < until:
            outside.append((cursor, until))
        return outside


# ------------------------------------------------------------------ the rules over records


@dataclass(frozen=True, slots=True)
class BurstLimit:
    """More than ``patients`` distinct patients read by one person within ``window`` is a burst."""

    patients: int = 20
    window: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.patients < 1 or self.window <= timedelta(0):
            raise ValueError("a burst is more than one patient within a positive time")


def bursts(accesses: Iterable[LoggedAccess], limit: BurstLimit) -> list[LoggedAccess]:
    """The accesses at which the person acting had read more than ``limit.patients`` distinct
    patients within the ``limit.window`` ending there (each access of the burst from the first
    one over the limit)."""
    by_actor: dict[str, list[LoggedAccess]] = defaultdict(list)
    for a in accesses:
        if a.record.actor_id:
            by_actor[a.record.actor_id.upper()].append(a)
    flagged: list[LoggedAccess] = []
    for items in by_actor.values():
        items.sort(key=lambda a: (a.record.time, a.record_id))
        window: deque[LoggedAccess] = deque()
        counts: Counter[str] = Counter()
        for a in items:
            window.append(a)
            counts[a.record.patient_id] += 1
            while window[0].record.time <= a.record.time - limit.window:
                gone = window.popleft()
                counts[gone.record.patient_id] -= 1
                if not counts[gone.record.patient_id]:
                    del counts[gone.record.patient_id]
            if len(counts) > limit.patients:
                flagged.append(a)
    return flagged


@dataclass(frozen=True, slots=True)
class StaffPatient:
    """A staff member and a patient they accessed (the namesake check asks per pair)."""

    staff_id: str
    patient_id: str
    patient_type: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewedPerson:
    """What the checks know of a staff member: the name, and the personal identity number when
    the registry holds it (never shown)."""

    name: str
    person_id: str | None = None


def same_surname(staff_name: str, surname: str) -> bool:
    """Whether the staff member's name ends with the patient's surname (a whole word; case and
    accents as written)."""
    name = " ".join(staff_name.split()).casefold()
    wanted = " ".join(surname.split()).casefold()
    return bool(wanted) and (name == wanted or name.endswith(" " + wanted))


def namesakes(
    pairs: Iterable[StaffPatient],
    staff: Mapping[str, ReviewedPerson],
    surname_of: Callable[[str, str | None], str | None],
) -> list[StaffPatient]:
    """Of the staff members and the patients each read, those where the patient has the member's
    surname (``surname_of`` asks the population register, once per patient), other than the
    member's own data."""
    surnames: dict[str, str | None] = {}
    found = []
    for pair in pairs:
        person = staff.get(pair.staff_id.upper())
        if person is None or (person.person_id and person.person_id == pair.patient_id):
            continue
        if pair.patient_id not in surnames:
            surnames[pair.patient_id] = surname_of(pair.patient_id, pair.patient_type)
        surname = surnames[pair.patient_id]
        if surname and same_surname(person.name, surname):
            found.append(pair)
    return found


def page_of_flags(
    flags: Sequence[Flag], after: tuple[datetime, int, int] | None, limit: int
) -> tuple[list[Flag], bool]:
    """Flags newest first, past the position ``after`` (exclusive), at most ``limit``; and
    whether more follow."""
    ordered = sorted(
        (f for f in flags if after is None or f.key < after), key=lambda f: f.key, reverse=True
    )
    return ordered[:limit], len(ordered) > limit
