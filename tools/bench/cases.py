"""What `make bench` measures of the service: a case (a kind of call measured with wrk: at
peak, on one connection, paced at half of the peak), the inputs the requests are made of, and
the kinds of call, direct and routed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from contracts.interactions import CREATE_ORDER, GET_ORDERS, SET_RESULT
from eph import demo
from service_domain.clock import SWEDISH_TZ
from service_domain.identity import luhn_check_digit
from service_domain.persistence.database import Database
from service_domain.persistence.tables import patient_order
from tests.support import soap_envelope
from tools.bench.harness import Load, get_orders, lua_script, wrk
from tools.bench.scale import lab_tokens

PEAK_CONNECTIONS = 16


@dataclass
class Case:
    name: str
    peak: Load
    single: Load
    half: Load | None = None
    notes: list[str] = field(default_factory=list)
    # routed cases: what the router added at p50 on one connection, in runs taken in turn with the
    # direct ones (see router_adds)
    router_adds_ms: list[float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"peak": self.peak.as_dict(), "single": self.single.as_dict(),
                "half": self.half.as_dict() if self.half else None, "router_adds_ms": self.router_adds_ms}


Script = Callable[[int, float | None], Path]  # (which run of the case, paced rate or None) -> wrk script


def fixed(path: Path) -> Script:
    """The same script for every run (reads)."""
    return lambda _run, _rate: path


def measure(name: str, url: str, script: Script, seconds: float, *, half_rate: bool = False) -> Case:
    """A case's runs: a warm-up (pools, prepared statements), the peak, one connection, and
    optionally paced at half of the peak. Each run gets a script of its own (writes take
    inputs no other run of the case uses)."""
    wrk(url, script(0, None), 4, 2)
    peak = wrk(url, script(1, None), PEAK_CONNECTIONS, seconds)
    single = wrk(url, script(2, None), 1, max(3.0, seconds / 2))
    half = wrk(url, script(3, peak.rps / 2), PEAK_CONNECTIONS, seconds) if half_rate else None
    case = Case(name, peak, single, half)
    errors = peak.errors + single.errors + (half.errors if half else 0)
    print(f"  {name:<46} {peak.rps:>8.0f}/s  p50 {peak.p50_ms:6.2f}  p99 {peak.p99_ms:7.2f} ms"
          f"   1 conn: p50 {single.p50_ms:6.2f} ms"
          + (f"   at {half.rps:.0f}/s: p99 {half.p99_ms:.2f} ms" if half else "")
          + (f"   ERRORS {errors}" if errors else "")
          + f"\n  {'':<46} CPU per call at peak: {cpu_text(peak)}", flush=True)
    return case


ROUTER_PAIRS = 3  # pairs of single-connection runs, direct and routed taken in turn


def router_adds(direct: tuple[str, Path], routed: tuple[str, Path], seconds: float) -> list[float]:
    """What the router adds at p50 on one connection, pair by pair: a direct run and a routed run
    one after the other, the order changing from pair to pair (d r, r d, d r), so that a drift of
    the machine or the data over the case falls on both sides. Each case's own single-connection
    runs, minutes apart, differ by as much as the router adds (seen: 0.2 to 2 ms)."""
    out = []
    for n in range(ROUTER_PAIRS):
        first, second = (direct, routed) if n % 2 == 0 else (routed, direct)
        a, b = (wrk(url, script, 1, seconds) for url, script in (first, second))
        d, r = (a, b) if n % 2 == 0 else (b, a)
        out.append(round(r.p50_ms - d.p50_ms, 3))
    return out


def cpu_text(load: Load) -> str:
    """Where a run's CPU went, per call: each group that used a measurable share."""
    shown = [f"{name} {ms:.2f}" for name, ms in sorted(load.cpu_ms.items(), key=lambda kv: -kv[1]) if ms >= 0.01]
    return " · ".join(shown) + " ms" if shown else "-"


# ------------------------------------------------------------------ data


@dataclass
class Inputs:
    """What the requests are made of: tokens of pages 2 onwards, patients, referral codes,
    orders a lab may report on, and patients who have ordered nothing."""

    tokens: list[str]
    patients: list[str]
    referrals: list[str]
    result_orders: list[str]
    new_patients: list[str]


def inputs(url: str) -> Inputs:
    tokens = lab_tokens(url, demo.LAB_A2)
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            c = patient_order.c
            patients = list(conn.execute(select(c.patient_id).distinct().limit(5000)).scalars())
            referrals = list(conn.execute(select(c.referral_id).limit(5000)).scalars())
            result_orders = list(conn.execute(select(c.order_id).where(
                c.performing_lab == demo.LAB_A2, c.status == "RECEIVED_BY_LAB", c.offer_code == "HBA1C").limit(5000)).scalars())
        known = set(patients)
        new_patients: list[str] = []
        n = 0
        while len(new_patients) < 80000:
            n += 1
            rest = n // 1000  # a distinct birth date for each thousand: 28 days, 12 months, 70 years
            nine = f"{30 + rest // 336 % 70:02d}{rest // 28 % 12 + 1:02d}{rest % 28 + 1:02d}{n % 1000:03d}"
            number = f"19{nine}{luhn_check_digit(nine)}"
            if number not in known:
                known.add(number)
                new_patients.append(number)
        return Inputs(tokens, patients, referrals, result_orders, new_patients)
    finally:
        db.dispose()


def set_result() -> bytes:
    when = (datetime.now(SWEDISH_TZ) - timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")
    core = "urn:riv:clinicalprocess:activity:selfsampling:1"
    return soap_envelope(
        f'<s:SetResult xmlns:s="{SET_RESULT.responder_ns}" xmlns:c="{core}"><s:laboratoryResult>'
        f"<c:orderId>{{ORDER}}</c:orderId><c:performingLabHSAId>{demo.LAB_A2}</c:performingLabHSAId>"
        f"<c:resultVersion>{{VERSION}}</c:resultVersion><c:reportStatus>PRELIMINARY</c:reportStatus>"
        f"<c:reportTime>{when}</c:reportTime><c:analysisResult><c:code><c:code>NPU27300</c:code>"
        "<c:codeSystem>1.2.752.108.1</c:codeSystem></c:code><c:pq><c:value>41</c:value><c:unit>mmol/mol</c:unit>"
        "</c:pq><c:interpretation>NORMAL</c:interpretation><c:status>PRELIMINARY</c:status></c:analysisResult>"
        "</s:laboratoryResult></s:SetResult>"
    )


def create_order() -> bytes:
    core = "urn:riv:clinicalprocess:activity:selfsampling:1"
    return soap_envelope(
        f'<o:CreateOrder xmlns:o="{CREATE_ORDER.responder_ns}" xmlns:c="{core}">'
        f"<o:careGiverHSAId>{demo.CARE_GIVER_A}</o:careGiverHSAId><o:offerCode>CTNG</o:offerCode>"
        "<o:patientId><c:id>{PATIENT}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></o:patientId>"
        "<o:samplingMode>HOME_KIT</o:samplingMode><o:deliveryAddress><c:name>Bench Benchsson</c:name>"
        "<c:street>Provgatan 1</c:street><c:postalCode>111 22</c:postalCode><c:city>Stockholm</c:city>"
        "</o:deliveryAddress></o:CreateOrder>"
    )


# ------------------------------------------------------------------ the run


@dataclass
class Calls:
    """One kind of call: its request, the lists it is made from, and who makes it."""

    name: str
    template: bytes
    caller: str
    values: dict[str, list[str]] = field(default_factory=dict)
    versions: bool = False
    path: str = GET_ORDERS.url_path
    expect: str | None = None  # a write's answer must say OK
    split: bool = False  # each run gets inputs of its own


RUNS = 4  # the runs of a case (see measure)
OK_ANSWER = ">OK</"  # the resultCode of a write that was done (not a retry, not refused)


def kinds(data: Inputs) -> list[Calls]:
    return [
        Calls("GetOrders by lab, paged (10 a page)", get_orders(
            f"<g:performingLabHSAId>{demo.LAB_A2}</g:performingLabHSAId><g:maxResults>10</g:maxResults>"
            "<g:continuationToken>{TOKEN}</g:continuationToken>"), demo.LAB_A2, {"TOKEN": data.tokens}),
        Calls("GetOrders by patient", get_orders(
            '<g:patientId><c:id xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">{PATIENT}</c:id>'
            '<c:type xmlns:c="urn:riv:clinicalprocess:activity:selfsampling:1">1.2.752.129.2.1.3.1</c:type></g:patientId>'),
            demo.LAB_A, {"PATIENT": data.patients}),
        Calls("GetOrders by referral code", get_orders("<g:referralId>{REFERRAL}</g:referralId>"), demo.SAMPLING_A,
              {"REFERRAL": data.referrals}),
        Calls("SetResult", set_result(), demo.LAB_A2, {"ORDER": data.result_orders}, versions=True,
              path=SET_RESULT.url_path, expect=OK_ANSWER),
        Calls("CreateOrder (self-service home kit)", create_order(), demo.CITIZEN_SERVICE,
              {"PATIENT": data.new_patients}, path=CREATE_ORDER.url_path, expect=OK_ANSWER, split=True),
    ]


def run_service_cases(label: str, data: Inputs, direct_url: str | None, platform_url: str, instance: str,
                      folder: Path, seconds: float, only: set[str] | None = None) -> dict[str, Case]:
    out: dict[str, Case] = {}
    for n, calls in enumerate(kinds(data)):
        if only is not None and calls.name not in only:
            continue
        routes = [("routed", platform_url + "/vp" + calls.path.removeprefix("/eph"),
                   {"x-vp-sender-id": calls.caller, "x-vp-instance-id": instance})]
        if direct_url:
            routes.insert(0, ("direct", direct_url + calls.path,
                              {"x-rivta-original-serviceconsumer-hsaid": calls.caller}))
        scripts: dict[str, tuple[str, Path]] = {}
        for r, (how, url, headers) in enumerate(routes):
            tag = f"{label}-{n}-{how}"

            def script(run: int, rate: float | None, t: str = tag, c: Calls = calls, h: dict[str, str] = headers,
                       part: int = r * RUNS, ways: int = len(routes)) -> Path:
                # a write's inputs are split so that no two runs share them: a patient orders once,
                # and each run's result versions come after those of the runs before it
                values = c.values if not c.split else {k: v[part + run::ways * RUNS] for k, v in c.values.items()}
                return lua_script(folder, f"{t}-{run}", c.template, h, values, versions=c.versions,
                                  version_base=(part + run) * 1000, rate=rate, connections=PEAK_CONNECTIONS,
                                  expect=c.expect)

            half = calls.name.startswith("GetOrders by") and how == "routed" and "referral" not in calls.name
            out[f"{label}: {calls.name}, {how}"] = measure(f"{calls.name}, {how}", url, script, seconds, half_rate=half)
            scripts[how] = (url, script(2, None))
        if calls.name.startswith("GetOrders by") and len(scripts) == 2:
            adds = router_adds(scripts["direct"], scripts["routed"], max(2.0, seconds / 4))
            out[f"{label}: {calls.name}, routed"].router_adds_ms = adds
            print(f"  {'the router adds at p50, 1 connection, in turn':<46} "
                  + ", ".join(f"{a:.2f}" for a in adds) + " ms", flush=True)
    return out
