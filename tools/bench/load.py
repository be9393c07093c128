"""A fixed-rate mixed load through the platform, with every call's outcome kept.

Used by ``make soak`` (tools/bench/soak.py) and ``make faults`` (tools/bench/faults.py). The
load is open-loop: call n is due at n / rate seconds from the start, whatever the answers
before it did, so a stall shows as latency (and as calls in flight) rather than as fewer
calls. Each call is a hand-made SOAP envelope (as the wrk scripts of ``make bench`` send),
POSTed to the platform as a connected system on loopback (x-vp-sender-id), and classed by
its answer: a read's response element, a write's resultCode (OK, INFO for a repeat), a
VP009, the service's "temporarily unavailable" fault, another fault, or no answer at all.

The kinds of call (the share of each is a setting):
- poll: GetOrders by lab, paged (10 a page), as lab system 2, from continuation tokens
  spread over its orders;
- status: SetOrderStatus RECEIVED_BY_LAB by the order's lab on orders that had their
  specimen collected (bulk orders set back to SPECIMEN_COLLECTED for the run);
- result: SetResult by lab system 2 (HbA1c, preliminary), rounds through the orders with a
  new result version each round;
- citizen-orders, citizen-results, access-log: GetOrders and GetResults by patient and
  GetAccessLog, as the 1177 e-service, for patients of the bulk orders.

The requests are built in tools/bench/envelopes.py; what a run adds up to, and the accounting
of its writes, is in tools/bench/figures.py.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import create_engine, delete, select, update

from contracts.interactions import GET_ACCESS_LOG, GET_ORDERS, GET_RESULTS, SET_ORDER_STATUS, SET_RESULT
from eph import demo
from service_domain.persistence.tables import order_status_change, patient_order
from tools.bench.envelopes import (
    access_log,
    citizen_orders,
    citizen_results,
    poll,
    set_result,
    stamp,
    status_update,
)
from tools.bench.harness import rss_kib
from tools.bench.scale import lab_tokens

T = TypeVar("T")

INSTANCE = "eph-vp-dev"  # the platform's default instance id (callers on loopback name it)

# the share of each kind of call in the mix
DEFAULT_MIX = {"poll": 0.35, "status": 0.10, "result": 0.10, "citizen-orders": 0.20, "citizen-results": 0.15,
               "access-log": 0.10}


# ------------------------------------------------------------------ the data a run works on


@dataclass
class Inputs:
    tokens: list[str]  # lab system 2's continuation tokens
    patients: list[str]  # patients with orders
    result_orders: list[str]  # lab system 2's HbA1c orders received by the lab
    status_orders: list[tuple[str, str]]  # (order id, its lab), specimen collected, not yet received


def bulk_orders_needed(seconds: float, rate: float, mix: dict[str, float]) -> int:
    """Enough bulk orders that no status update has to repeat one (CTNG orders received by the
    lab, about half of all)."""
    status_calls = seconds * rate * mix.get("status", 0)
    return max(10_000, int(status_calls * 2.2) + 2_000)


def inputs(url: str, status_orders: int, result_orders: int = 5000) -> Inputs:
    """Read what the calls are made of, and set ``status_orders`` bulk CTNG orders back to
    SPECIMEN_COLLECTED (their RECEIVED_BY_LAB step removed) for the status updates to move on."""
    tokens = lab_tokens(url, demo.LAB_A2)
    engine = create_engine(url)
    c = patient_order.c
    try:
        with engine.begin() as conn:
            patients = list(conn.execute(select(c.patient_id).distinct().limit(5000)).scalars())
            results = list(conn.execute(select(c.order_id).where(
                c.performing_lab == demo.LAB_A2, c.status == "RECEIVED_BY_LAB", c.offer_code == "HBA1C")
                .order_by(c.seq).limit(result_orders)).scalars())
            rows = conn.execute(select(c.seq, c.order_id, c.performing_lab).where(
                c.status == "RECEIVED_BY_LAB", c.offer_code == "CTNG",
                c.performing_lab.in_([demo.LAB_A, demo.LAB_A2])).order_by(c.seq).limit(status_orders)).all()
            seqs = [r.seq for r in rows]
            for i in range(0, len(seqs), 5000):
                part = seqs[i:i + 5000]
                conn.execute(update(patient_order).where(c.seq.in_(part)).values(status="SPECIMEN_COLLECTED"))
                conn.execute(delete(order_status_change).where(order_status_change.c.order_seq.in_(part),
                                                               order_status_change.c.status == "RECEIVED_BY_LAB"))
        rng = random.Random(7)
        rng.shuffle(patients)
        return Inputs(tokens, patients, results, [(r.order_id, r.performing_lab) for r in rows])
    finally:
        engine.dispose()


# ------------------------------------------------------------------ calls and outcomes


@dataclass
class Call:
    """One call: what, when it was due, sent and answered (seconds from the start), and how."""

    kind: str
    due: float
    sent: float = 0.0
    done: float = 0.0
    outcome: str = ""  # ok, info, vp009, unavailable, fault, error, transport
    detail: str = ""  # the fault's code or the write's subcode, never message content
    key: str = ""  # a write's identity: the order (and result version)

    @property
    def ms(self) -> float:
        return (self.done - self.sent) * 1000

    @property
    def good(self) -> bool:
        return self.outcome in ("ok", "info")


FAULT = re.compile(rb"<faultstring>(.*?)</faultstring>", re.S)
DETAIL = re.compile(rb"<detailString>([^<]*)</detailString>")
RESULT_CODE = re.compile(rb"<(?:\w+:)?resultCode>(\w+)</")
SUBCODE = re.compile(rb"<(?:\w+:)?subCode>(\w+)</")
WRITES = {"status", "result"}


def classify(status: int, body: bytes, write: bool) -> tuple[str, str]:
    fault = FAULT.search(body)
    if fault is not None:
        text_ = fault.group(1).decode("utf-8", "replace")
        if text_.startswith("VP"):
            code = text_.split()[0]
            if code != "VP009":
                return "fault", code
            # what the platform met calling the producer, e.g. (ServerDisconnectedError), a timeout
            why = DETAIL.search(body)
            said = why.group(1).decode("utf-8", "replace") if why else ""
            said = re.sub(r"^Error connecting to service producer at address \S+\s*", "", said)
            return "vp009", said.strip("() .")[:80]
        if "temporarily unavailable" in text_:
            return "unavailable", ""
        return "fault", text_[:80]  # the service's faultstrings quote no data
    if status != 200:
        return "fault", f"HTTP {status}"
    if write:
        code = RESULT_CODE.search(body)
        if code is None:
            return "fault", "no resultCode"
        value = code.group(1).decode()
        if value == "OK":
            return "ok", ""
        if value == "INFO":
            return "info", ""
        sub = SUBCODE.search(body)
        return "error", sub.group(1).decode() if sub else value
    return ("ok", "") if b"Response" in body[:4096] else ("fault", "no response element")


class Mix:
    """The request of each call, from the inputs, in a fixed order (seeded)."""

    def __init__(self, data: Inputs, shares: dict[str, float], *, result_rounds: bool = True, seed: int = 1) -> None:
        self.data = data
        self.kinds = [k for k, v in shares.items() if v > 0]
        self.weights = [shares[k] for k in self.kinds]
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.result_rounds = result_rounds
        self.report_time = stamp(datetime.now(UTC) - timedelta(minutes=5))
        self.writes: dict[str, tuple[str, str, str, bytes]] = {}  # key: (kind, path, sender, body), for retries

    def next(self) -> tuple[str, str, str, bytes, str]:
        """(kind, platform path, sender, body, key)"""
        kind, path, sender, body, key = self._next()
        if key:
            self.writes[key] = (kind, path, sender, body)
        return kind, path, sender, body, key

    def _next(self) -> tuple[str, str, str, bytes, str]:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        n = self.counts[kind]
        self.counts[kind] += 1
        d = self.data
        if kind == "poll":
            return kind, GET_ORDERS.path, demo.LAB_A2, poll(d.tokens[n % len(d.tokens)]), ""
        if kind == "status":
            if n >= len(d.status_orders):  # out of orders: a repeat (INFO) from here on
                order_id, lab = d.status_orders[n % len(d.status_orders)]
            else:
                order_id, lab = d.status_orders[n]
            return kind, SET_ORDER_STATUS.path, lab, status_update(order_id, lab), order_id
        if kind == "result":
            order_id = d.result_orders[n % len(d.result_orders)]
            version = n // len(d.result_orders) + 1
            if version > 1 and not self.result_rounds:
                raise RuntimeError("more results than orders to report on")
            return kind, SET_RESULT.path, demo.LAB_A2, set_result(order_id, version, self.report_time), \
                f"{order_id}#{version}"
        patient = d.patients[n % len(d.patients)]
        if kind == "citizen-orders":
            return kind, GET_ORDERS.path, demo.CITIZEN_SERVICE, citizen_orders(patient), ""
        if kind == "citizen-results":
            return kind, GET_RESULTS.path, demo.CITIZEN_SERVICE, citizen_results(patient), ""
        if kind == "access-log":
            return kind, GET_ACCESS_LOG.path, demo.CITIZEN_SERVICE, access_log(patient), ""
        raise ValueError(kind)


@dataclass
class Event:
    """Something done to the system under load at ``at`` seconds from the start (in a thread,
    so the load goes on); ``started``/``finished`` are filled in."""

    name: str
    at: float
    action: Callable[[Event], Any]
    started: float = 0.0
    finished: float = 0.0
    value: Any = None
    t0: float = 0.0  # the run's start on the monotonic clock, for ``mark``
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, what: str) -> float:
        """Note the moment of ``what`` (seconds from the start of the run)."""
        self.marks[what] = time.monotonic() - self.t0
        return self.marks[what]


@dataclass
class Run:
    rate: float
    seconds: float
    calls: list[Call]
    events: list[Event]
    memory: list[dict[str, Any]]  # samples: {"t", "server", "pid", "role", "rss_kib"}
    late_ms_max: float  # how far behind its schedule the load ever was (the load generator's own lag)


async def _one(session: aiohttp.ClientSession, base: str, call: Call, path: str, sender: str, body: bytes,
               t0: float, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    call.sent = loop.time() - t0
    headers = {"Content-Type": "text/xml; charset=utf-8", "x-vp-sender-id": sender, "x-vp-instance-id": INSTANCE}
    try:
        async with session.post(base + "/vp" + path, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as r:
            answer = await r.read()
            call.outcome, call.detail = classify(r.status, answer, call.kind in WRITES)
    except Exception as e:  # no answer: the connection failed or timed out
        call.outcome, call.detail = "transport", type(e).__name__
    call.done = loop.time() - t0


def server_memory(servers: dict[str, Any]) -> list[dict[str, Any]]:
    """RSS of every process of each server (``Server``: its master and workers)."""
    out = []
    for name, server in servers.items():
        pids = server.pids()
        for pid, kib in rss_kib(pids).items():
            out.append({"server": name, "pid": pid, "role": "master" if pid == pids[0] else "worker", "rss_kib": kib})
    return out


async def _drive(base: str, mix: Mix, rate: float, seconds: float, events: Sequence[Event],
                 servers: dict[str, Any], memory_every: float, timeout: float) -> Run:
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=512, limit_per_host=512, keepalive_timeout=10)
    calls: list[Call] = []
    memory: list[dict[str, Any]] = []
    tasks: set[asyncio.Task[None]] = set()
    late = 0.0
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",)) as session:
        t0 = loop.time()
        for e in events:
            e.t0 = t0

        async def sample() -> None:
            while True:
                t = loop.time() - t0
                rows = await loop.run_in_executor(None, server_memory, servers)
                memory.extend({"t": round(t, 1), **r} for r in rows)
                await asyncio.sleep(memory_every)

        async def fire(event: Event) -> None:
            await asyncio.sleep(max(0.0, event.at - (loop.time() - t0)))
            event.started = loop.time() - t0
            event.value = await loop.run_in_executor(None, event.action, event)
            event.finished = loop.time() - t0

        sampler = asyncio.create_task(sample())
        fired = [asyncio.create_task(fire(e)) for e in events]
        total = int(seconds * rate)
        for n in range(total):
            due = n / rate
            wait = t0 + due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                late = max(late, -wait)
            kind, path, sender, body, key = mix.next()
            call = Call(kind, due, key=key)
            calls.append(call)
            task = asyncio.create_task(_one(session, base, call, path, sender, body, t0, timeout))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(set(tasks))
        for f in fired:
            await f
        sampler.cancel()
        memory.extend({"t": round(loop.time() - t0, 1), **r} for r in server_memory(servers))
    return Run(rate, seconds, calls, list(events), memory, late * 1000)


def drive(base: str, mix: Mix, rate: float, seconds: float, *, events: Sequence[Event] = (),
          servers: dict[str, Any] | None = None, memory_every: float = 10.0, timeout: float = 30.0) -> Run:
    """Send ``rate`` calls/s for ``seconds`` to the platform at ``base``; do ``events`` on time."""
    return _own_loop(lambda: _drive(base, mix, rate, seconds, events, servers or {}, memory_every, timeout))


async def _send_one(base: str, path: str, sender: str, body: bytes, write: bool) -> tuple[str, str]:
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": "text/xml; charset=utf-8", "x-vp-sender-id": sender, "x-vp-instance-id": INSTANCE}
        async with session.post(base + "/vp" + path, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=30)) as r:
            return classify(r.status, await r.read(), write)


def send_one(base: str, path: str, sender: str, body: bytes, write: bool) -> tuple[str, str]:
    return _own_loop(lambda: _send_one(base, path, sender, body, write))


def _own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end on an event loop of its own, in a thread of its own: the caller's
    thread may already run a loop (in the test suite, Playwright's sync API keeps one running)."""
    done: dict[str, Any] = {}

    def run() -> None:
        try:
            done["value"] = asyncio.run(make())
        except BaseException as e:  # handed to the caller
            done["error"] = e

    thread = threading.Thread(target=run, name="load-driver")
    thread.start()
    thread.join()
    if "error" in done:
        raise done["error"]
    return done["value"]
