"""eph demo: the whole story through the platform, as the systems that take part in it.

The journal system assigns offers; two patients order (one a home kit and a site sampling,
the other a home kit); a third orders a home kit on their own from the region's self-service
offers, and a fourth chooses a sampling site whose lab then finds the order; the kits go out;
the sampling site finds its order by referral id and registers the specimen; the lab receives
everything and reports a negative chlamydia result, a positive one, and an HbA1c with a
reference interval; the patients read what is released and who has looked at their data; the
positive result waits for follow-up. Then the released results leave the service the national
way: the service's outbox has told the engagement index (its FindContent shows the patient's
engagement), the national aggregator reads them with GetLaboratoryOrderOutcome at the source the
index names, and the ordering unit's journal system, notified by the index, has imported them
(its own journal database, ``EPH_EHR_DATABASE_URL``, read as the journal system's user would).
Each step prints the system, the interaction, the platform's correlation id and the outcome; the
run fails (exit 1) when a step does not behave as the story says. Last, the patient who chose
notices by SMS has been told, content-free, that a result waits (the SMS gateway stand-in's list
of what it received). The national part and the notice need the engagement index, the journal
system's subscriber and the SMS gateway stand-in, which ``make serve`` starts in development,
with the index push and the notices on.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

import requests

from .aggregator import Aggregator
from .client import Connection
from .errors import ConsumerError, VpFault
from .roles import CitizenService, EhrSystem, LabSystem, SamplingSystem, actor, luhn_digit, timestamp

LAB = "SE2321000016-LAB1"
LAB_2 = "SE2321000016-LAB2"  # the lab of Provtagningen Södermalm
SITE_SOUTH = "SE2321000016-PT02"
SAMPLING = "SE2321000016-PT01"
EHR = "SE2321000016-EHR1"
CITIZEN = "SE5565594230-1177"
AGGREGATOR = "SE5565594230-AGP1"  # the national aggregating service (NPÖ, 1177 Journalen)
SOURCE = "SE5565594230-EPH"  # the service's logical address: the source the index names
# how long the national steps wait for the outbox, the index and the journal (the outbox delivers
# every EPH_OUTBOX_SECONDS, 5 s by default)
NATIONAL_WAIT = 45.0
DEMO_MOBILE_TYPED = "070-174 06 05"  # of the series PTS sets aside for fiction (070-1740605 to -699)
DEMO_MOBILE = "+46701740605"
CARE_GIVER = "SE2321000016-CG01"
CARE_UNIT = "SE2321000016-CU01"
STAFF = actor("STAFF", "SE2321000016-ST01", "Doris Doktor")
NPU = "1.2.752.108.1"
LOCAL = "2.25.159671226030279178880944627251741285418.1"
SNOMED = "1.2.752.116.2.1.1"


def fictitious_person(born: date) -> str:
    """A valid personnummer for a birth date (a serial in the 900s; fictitious)."""
    nine = f"{born:%y%m%d}{random.randint(900, 999):03d}"
    return f"{born.year // 100}{nine}{luhn_digit(nine)}"


@dataclass
class Step:
    system: str
    interaction: str
    story: str
    correlation_id: str | None = None
    outcome: str = ""
    ok: bool = False


@dataclass
class Story:
    platform: str
    out: TextIO = sys.stdout
    steps: list[Step] = field(default_factory=list)

    def run(self, system: str, connection: Connection | None, interaction: str, story: str,
            action: Callable[[], Any], check: Callable[[Any], bool] = lambda _: True,
            expect_vp: str | None = None) -> Any:
        step = Step(system, interaction, story)
        self.steps.append(step)
        answer = None
        try:
            answer = action()
            step.ok = expect_vp is None and bool(check(answer))
            last = connection.last if connection is not None else None
            step.outcome = (last.outcome if last else "OK") if step.ok else "not as the story says"
        except VpFault as e:
            step.ok = e.code == expect_vp
            step.outcome = e.code + ("" if step.ok else f": {e.message}")
        except ConsumerError as e:
            step.outcome = f"{type(e).__name__}: {e}"
        last = connection.last if connection is not None else None
        step.correlation_id = last.correlation_id if last else None
        mark = "ok " if step.ok else "FAIL"
        self.out.write(f"[{mark}] {len(self.steps):>2} {system:<10} {interaction:<16} "
                       f"{step.correlation_id or '-':<36}  {step.outcome:<12} {story}\n")
        self.out.flush()
        return answer

    def summary(self) -> bool:
        failed = [s for s in self.steps if not s.ok]
        width = max(len(s.story) for s in self.steps)
        self.out.write("\n" + f"{'#':>2}  {'system':<10} {'interaction':<16} {'outcome':<12} {'story':<{width}}  result\n")
        for n, s in enumerate(self.steps, 1):
            self.out.write(f"{n:>2}  {s.system:<10} {s.interaction:<16} {s.outcome[:12]:<12} {s.story:<{width}}  "
                           f"{'ok' if s.ok else 'FAILED'}\n")
        self.out.write(f"\n{len(self.steps) - len(failed)} of {len(self.steps)} steps as the story says"
                       + (f"; {len(failed)} did not" if failed else "") + "\n")
        return not failed


def _only(orders: list[Any], order_id: str) -> Any:
    return next((o for o in orders if o.orderId == order_id), None)


def play(platform: str = "http://127.0.0.1:8080", instance_id: str = "eph-vp-dev", out: TextIO = sys.stdout,
         sms_gateway: SmsGatewayInbox | None = None) -> bool:
    started = datetime.now(UTC).isoformat(timespec="seconds")  # as the gateway stamps what it receives
    def connect(sender: str) -> Connection:
        return Connection.development(sender, platform, instance_id)

    ehr_c, citizen_c, sampling_c, lab_c = connect(EHR), connect(CITIZEN), connect(SAMPLING), connect(LAB)
    lab2_c = connect(LAB_2)
    lab2 = LabSystem(lab2_c, LAB_2)
    ehr = EhrSystem(ehr_c, CARE_GIVER, CARE_UNIT)
    citizen = CitizenService(citizen_c)
    sampling = SamplingSystem(sampling_c, "SE2321000016-PT01")
    lab = LabSystem(lab_c, LAB)
    story = Story(platform, out)
    anna = fictitious_person(date(1994, 4, 12) + timedelta(days=random.randint(0, 300)))
    bo = fictitious_person(date(1988, 9, 3) + timedelta(days=random.randint(0, 300)))
    cecilia = fictitious_person(date(1999, 1, 20) + timedelta(days=random.randint(0, 300)))
    david = fictitious_person(date(1979, 6, 2) + timedelta(days=random.randint(0, 300)))
    out.write(f"eph demo through the platform at {platform} (patients are fictitious)\n\n")

    codes = story.run("EHR", ehr_c, "GetOfferCatalog", "the journal system reads the catalogue",
                      lambda: {d.offerCode for d in ehr.catalogue()}, lambda c: {"CTNG", "HBA1C"} <= c)
    if codes is None:
        story.summary()
        return False
    offers: dict[tuple[str, str], str] = {}
    for who, number, code in (("patient A", anna, "CTNG"), ("patient A", anna, "HBA1C"), ("patient B", bo, "CTNG")):
        r = story.run("EHR", ehr_c, "AssignOffer", f"assigns {code} to {who}", _bind(ehr.assign, number, code, STAFF),
                      lambda r: bool(r.offerId))
        offers[(number, code)] = r.offerId if r else ""
    story.run("1177", citizen_c, "GetOffers", "patient A sees two active offers",
              lambda: citizen.offers(anna, ["ACTIVE"]), lambda o: len(o) == 2)
    address = {"name": "Demo Patient", "street": "Provgatan 1", "postalCode": "111 22", "city": "Stockholm"}
    kit_a = story.run("1177", citizen_c, "CreateOrder", "patient A orders a chlamydia home kit",
                      lambda: citizen.order_home_kit(offers[(anna, "CTNG")], anna, address), lambda r: bool(r.orderId))
    site_a = story.run("1177", citizen_c, "CreateOrder", "patient A orders HbA1c sampling at a site",
                       lambda: citizen.order_site_sampling(offers[(anna, "HBA1C")], anna), lambda r: bool(r.referralId))
    kit_b = story.run("1177", citizen_c, "CreateOrder", "patient B orders a chlamydia home kit",
                      lambda: citizen.order_home_kit(offers[(bo, "CTNG")], bo, address), lambda r: bool(r.orderId))
    if not (kit_a and site_a and kit_b):
        story.summary()
        return False
    story.run("1177", citizen_c, "GetOfferCatalog", "patient C sees what the region lets patients order",
              lambda: {d.offerCode for d in citizen.self_service_offers(CARE_GIVER)}, lambda c: "CTNG" in c)
    story.run("1177", citizen_c, "CreateOrder", "patient C orders a home kit with no staff contact",
              lambda: citizen.order_home_kit(None, cecilia, address, care_giver=CARE_GIVER, offer_code="CTNG"),
              lambda r: bool(r.orderId and r.offerId))
    story.run("1177", citizen_c, "GetSamplingSites", "patient D sees the region's sampling sites",
              lambda: citizen.sites(david, care_giver=CARE_GIVER),
              lambda sites: any(x.samplingUnitHSAId == SITE_SOUTH for x in sites))
    site_d = story.run("1177", citizen_c, "CreateOrder", "patient D chooses Provtagningen Södermalm",
                       lambda: citizen.order_site_sampling(None, david, SITE_SOUTH, care_giver=CARE_GIVER,
                                                          offer_code="CTNG"), lambda r: bool(r.referralId))
    if site_d:
        story.run("lab 2", lab2_c, "GetOrders", "the site's own lab finds patient D's order",
                  lambda: {o.orderId for o in lab2.poll_orders(["ORDERED"])}, lambda ids: site_d.orderId in ids)
    story.run("1177", citizen_c, "SetNoticeSettings", "patient A chooses notices by SMS",
              lambda: citizen.set_notice_settings(anna, "SMS", mobile=DEMO_MOBILE_TYPED))
    story.run("1177", citizen_c, "GetNoticeSettings", "patient A reads the choice back",
              lambda: citizen.notice_settings(anna), lambda s: s.channel == "SMS" and s.mobileNumber == DEMO_MOBILE)
    for who, kit in (("A", kit_a), ("B", kit_b)):
        story.run("lab", lab_c, "SetOrderStatus", f"the lab sends patient {who}'s kit", _bind(lab.kit_sent, kit.orderId))
    story.run("sampling", sampling_c, "GetOrders", f"the site finds the order by referral id {site_a.referralId}",
              lambda: sampling.find_by_referral(site_a.referralId), lambda o: _only(o, site_a.orderId) is not None)
    story.run("sampling", sampling_c, "SetOrderStatus", "the site registers the blood specimen",
              lambda: sampling.register_collected(site_a.orderId, f"BC{random.randint(10**8, 10**9)}",
                                                  {"code": "119297000", "codeSystem": SNOMED}))
    story.run("sampling", sampling_c, "SetResult", "the sampling system may not report results",
              lambda: sampling.connection.call("SetResult", laboratoryResult={
                  "performingLabHSAId": LAB, **_ctng(site_a.orderId, "NEGATIVE")}),
              expect_vp="VP007")
    for who, kit in (("A", kit_a), ("B", kit_b)):
        story.run("lab", lab_c, "SetOrderStatus", f"patient {who}'s kit arrives at the lab",
                  _bind(lab.specimen_arrived, kit.orderId, f"KIT{random.randint(10**8, 10**9)}"))
    mine = {kit_a.orderId, site_a.orderId, kit_b.orderId}
    story.run("lab", lab_c, "GetOrders", "the lab polls its orders (paged)",
              lambda: {o.orderId for o in lab.poll_orders(["SPECIMEN_COLLECTED"], page_size=50)}, lambda ids: mine <= ids)
    for label, order in (("A's kit", kit_a), ("A's blood", site_a), ("B's kit", kit_b)):
        story.run("lab", lab_c, "SetOrderStatus", f"the lab receives patient {label}", _bind(lab.mark_received, order.orderId))
    story.run("lab", lab_c, "SetResult", "patient A: chlamydia negative",
              lambda: lab.send_result(_ctng(kit_a.orderId, "NEGATIVE")))
    story.run("lab", lab_c, "SetResult", "patient B: chlamydia positive",
              lambda: lab.send_result(_ctng(kit_b.orderId, "POSITIVE")))
    story.run("lab", lab_c, "SetResult", "patient A: HbA1c 44 mmol/mol (ref. 27-42)",
              lambda: lab.send_result(_hba1c(site_a.orderId)))
    story.run("1177", citizen_c, "GetResults", "patient A reads both results",
              lambda: citizen.results(anna),
              lambda rs: {r.order.orderId for r in rs if r.releasedToPatient and r.result} == {kit_a.orderId, site_a.orderId})
    story.run("1177", citizen_c, "GetResults", "patient B's positive result is not shown yet",
              lambda: citizen.results(bo),
              lambda rs: len(rs) == 1 and rs[0].result is None and not rs[0].releasedToPatient)
    story.run("1177", citizen_c, "GetAccessLog", "patient A sees who has looked at their data",
              lambda: list(citizen.access_log(anna)),
              lambda log: {e.systemHSAId for e in log} >= {LAB, SAMPLING, EHR, CITIZEN})
    story.run("EHR", ehr_c, "GetResults", "the journal sees B's result waits for follow-up",
              lambda: ehr.results(bo),
              lambda rs: len(rs) == 1 and rs[0].followUpRequired and rs[0].result.analysisResult[0].interpretation == "POSITIVE")
    released = {kit_a.orderId, site_a.orderId}  # (1) patient A's results, released at once
    national(story, connect(AGGREGATOR), anna, released)
    notice(story, sms_gateway or SmsGatewayInbox.development(), started)
    return story.summary()


def _until(fetch: Callable[[], Any], ready: Callable[[Any], bool], wait: float) -> Any:
    """``fetch()`` again until ``ready`` holds of its answer or ``wait`` seconds have passed; the last answer."""
    deadline = time.monotonic() + wait
    while True:
        answer = fetch()
        if ready(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def national(story: Story, aggregator_c: Connection, patient: str, released: set[str],
             wait: float = NATIONAL_WAIT) -> None:
    """Released results leave the service: (2) the engagement index has the patient's engagement,
    (3) the aggregator reads the results at the source it names, (4) the ordering unit's journal
    system has imported them."""
    aggregator = Aggregator(aggregator_c)

    def has_engagement(found: list[Any]) -> bool:
        return any(e.logicalAddress == SOURCE for e in found)

    def show(found: list[Any]) -> bool:
        for e in found:
            story.out.write(f"       engagement: {e.serviceDomain} {e.categorization} at {e.logicalAddress}, "
                            f"data controller {e.dataController}, most recent content {e.mostRecentContent}\n")
        return has_engagement(found)

    story.run("aggregator", aggregator_c, "FindContent", "the index has patient A's engagement (the outbox told it)",
              lambda: _until(lambda: aggregator.engagements(patient), has_engagement, wait), show)
    story.run("aggregator", aggregator_c, "GetLaboratoryOrderOutcome", "the aggregator reads patient A's results",
              lambda: aggregator.laboratory_outcomes(patient),
              lambda found: found.complete and released <= {o.header.record.id.extension for o in found.outcomes})
    story.run("journal", None, "(import)", "the ordering unit's journal has imported patient A's results",
              lambda: _until(lambda: _journal_entries(patient), lambda ids: released <= ids, wait),
              lambda ids: released <= ids)


@dataclass(frozen=True)
class SmsGatewayInbox:
    """Where the demo reads what the SMS gateway received: the stand-in's message list (in
    development ``eph serve all`` starts it and sends the notices there)."""

    url: str
    token: str

    @classmethod
    def development(cls) -> SmsGatewayInbox:
        from .sms_gateway.config import SmsGatewayStandInConfig

        config = SmsGatewayStandInConfig()
        return cls(f"http://{config.bind}/messages", config.token)

    def messages(self, to: str, since: str) -> list[dict[str, Any]]:
        """The messages to ``to`` received since ``since`` (ISO time); none when the gateway
        cannot be reached (not started)."""
        try:
            answer = requests.get(self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
            answer.raise_for_status()
        except requests.RequestException:
            return []
        return [m for m in answer.json()["messages"] if m["to"] == to and m["received"] >= since]


# what the demo's notices must never say: the analyses and findings of its results
NOT_IN_A_NOTICE = ("klamydia", "chlamydia", "gonorr", "hba1c", "positiv", "negativ", "mmol")


def notice(story: Story, inbox: SmsGatewayInbox, since: str, wait: float = NATIONAL_WAIT) -> None:
    """(5) The patient who chose SMS is told, content-free, that a result waits in 1177: the
    outbox's notice reached the SMS gateway (the stand-in's list of what it received)."""
    def told(found: list[dict[str, Any]]) -> bool:
        return any("provsvar" in m["text"] for m in found)

    def show(found: list[dict[str, Any]]) -> bool:
        for m in found:
            story.out.write(f"       sms to {m['to']}: {m['text']}\n")
        return told(found) and not any(w in m["text"].lower() for m in found for w in NOT_IN_A_NOTICE)

    story.run("sms", None, "(notice)", "patient A gets an SMS that a result waits, and nothing of it",
              lambda: _until(lambda: inbox.messages(DEMO_MOBILE, since), told, wait), show)


def _journal_entries(patient: str) -> set[str]:
    """The record ids the demo journal system holds of the patient (its own database)."""
    from .journal.config import JournalConfig
    from .journal.store import JournalStore

    store = JournalStore(JournalConfig().database_url)
    try:
        return {e.record.record_id for e in store.entries(patient) if not e.withdrawn}
    except Exception:  # noqa: BLE001  # no journal yet (the subscriber has not started): nothing imported
        return set()
    finally:
        store.engine.dispose()


def _bind(f: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: f(*args)


def _ctng(order_id: str, chlamydia: str) -> dict[str, Any]:
    def finding(code: str, interpretation: str) -> dict[str, Any]:
        coded = {"code": "260373001", "displayName": "påvisad"} if interpretation == "POSITIVE" else \
            {"code": "260415000", "displayName": "ej påvisad"}
        return {"code": {"code": code, "codeSystem": LOCAL}, "coded": {**coded, "codeSystem": SNOMED},
                "interpretation": interpretation, "status": "FINAL"}

    return {"orderId": order_id, "resultVersion": 1, "reportStatus": "FINAL", "reportTime": timestamp(),
            "analysisResult": [finding("CT-NAAT", chlamydia), finding("NG-NAAT", "NEGATIVE")]}


def _hba1c(order_id: str) -> dict[str, Any]:
    return {"orderId": order_id, "resultVersion": 1, "reportStatus": "FINAL", "reportTime": timestamp(),
            "analysisResult": [{"code": {"code": "NPU27300", "codeSystem": NPU}, "displayName": "HbA1c",
                                "pq": {"value": Decimal("44"), "unit": "mmol/mol"},
                                "referenceInterval": {"low": {"value": Decimal("27"), "unit": "mmol/mol"},
                                                      "high": {"value": Decimal("42"), "unit": "mmol/mol"}},
                                "interpretation": "HIGH", "status": "FINAL"}]}
