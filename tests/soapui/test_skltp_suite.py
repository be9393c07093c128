"""The national platform's own SoapUI core suite, replayed against this platform.

``tests/data/skltp-core-cases.json`` holds the suite's core cases (see ``skltp_extract`` for where
it comes from and how). Each case that can run without the aggregating services and the
engagement index is replayed over HTTPS, as the suite's test consumer with its client
certificate, against a real platform process at its defaults, with the routing catalogue, HSA
tree and test producers the national test environment has for these cases
(``skltp_environment``). The only setting that differs from this platform's defaults is the
list of senders that may set the original consumer, which names the suite's test consumer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from eph.migrate import upgrade
from tests.certs import CertificateAuthority
from tests.platform.conftest import save
from tests.soapui import skltp_environment as env
from tests.soapui.runner import Outcome, Replayer, Scopes
from tests.support import PlatformProcess, free_port

DATA = Path(__file__).resolve().parent.parent / "data" / "skltp-core-cases.json"
SUITE: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
CASES = [(suite, case) for suite in SUITE["suites"] for case in suite["cases"]]
REPLAYABLE = [(s, c) for s, c in CASES if c.get("replayable")]
TARGET = "https://TARGETHOST"


@dataclass
class Environment:
    platform: PlatformProcess
    base: str  # the TLS listener, where the suite's https://TARGETHOST points
    session: requests.Session
    mocks: env.Mocks


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    folder = Path(tmp_path_factory.mktemp("skltp"))
    database = f"sqlite:///{folder / 'platform.sqlite3'}"
    upgrade(database)
    mocks = env.Mocks().start()
    save(database, env.catalogue(mocks.url, f"http://127.0.0.1:{free_port()}/nobody"))
    hierarchy = folder / "hsa.json"
    hierarchy.write_text(json.dumps(env.HSA_TREE), encoding="utf-8")
    ca = CertificateAuthority(folder / "ca")
    server = ca.issue("platform", "127.0.0.1", server=True)
    consumer = ca.issue("consumer", "SKLTP test consumer", serial_number=env.CONSUMER)
    port = free_port()
    platform = PlatformProcess(database, folder / "p")
    platform.start(wait_port=port, EPH_VP_TLS_BIND=f"127.0.0.1:{port}", EPH_VP_TLS_CERT=str(server.cert),
                   EPH_VP_TLS_KEY=str(server.key), EPH_VP_TLS_CA=str(ca.path), EPH_HSA_HIERARCHY=str(hierarchy),
                   **env.SETTINGS)
    session = requests.Session()
    session.cert = (str(consumer.cert), str(consumer.key))
    session.verify = str(ca.path)
    session.trust_env = False  # the given CA, even when REQUESTS_CA_BUNDLE is set
    yield Environment(platform, f"https://127.0.0.1:{port}", session, mocks)
    session.close()
    platform.stop()
    mocks.stop()


def replay(environment: Environment, suite: dict[str, Any], case: dict[str, Any]) -> list[Outcome]:
    """A case as SoapUI runs it: the suite's set-up cases first, then its own steps."""
    context = {k: v.replace(TARGET, environment.base) for k, v in case.get("context", {}).items()}
    scopes = Scopes(project=dict(SUITE["projectProperties"]), suite=dict(suite["properties"]),
                    case=dict(case.get("properties", {})), context=context,
                    specials={"platform:vp": f"{environment.base}/vp/",
                              "platform:instance": environment.platform.instance_id})
    replayer = Replayer(scopes, environment.session)
    for setup in (c for c in suite["cases"] if c.get("setup")):
        replayer.run(setup["steps"])
    return replayer.run(case["steps"])


@pytest.mark.parametrize("suite, case", REPLAYABLE, ids=[c["name"][:60] for _, c in REPLAYABLE])
def test_a_core_case_of_the_national_suite_passes(environment: Environment, suite: dict[str, Any],
                                                  case: dict[str, Any]) -> None:
    outcomes = replay(environment, suite, case)
    failed = [o for o in outcomes if not o.passed]
    assert failed == [], failed
    assert outcomes, "a case without assertions proves nothing"


def test_what_is_replayed_and_what_cannot_be() -> None:
    assert len(REPLAYABLE) == 45
    left_out = [c for _, c in CASES if c.get("replayable") is False]
    assert [c["name"][:12] for c in left_out] == [
        "Verifiera at", "NTP-775.21 G", "NTP-772.22 G", "NTP-775.23 G", "NTP-775.24 G", "NTP-775.25 G",
        "NTP-775.26 G", "NTP-775.27 G", "NTP-775.28 G"]
    assert all("aggregating service" in c["why"] for c in left_out)
    assertions = [a for _, c in REPLAYABLE for s in c["steps"] if s["kind"] == "request" for a in s["assertions"]]
    assert len(assertions) > 150
    # every Groovy assertion of the suite was translated into a check the runner knows
    assert {a["check"] for a in assertions if a["type"] == "GroovyScriptAssertion"} == {
        "records", "headers", "routingHistoryContains", "timeTakenAbove"}


@pytest.mark.skipif(not os.environ.get("SKLTP_SOAPUI_DIR"),
                    reason="SKLTP_SOAPUI_DIR (a checkout of skltp-test/soapui-skltp) is not set")
def test_the_data_is_what_the_extractor_makes_of_the_published_suite() -> None:
    from tests.soapui.skltp_extract import extract

    folder = Path(os.environ["SKLTP_SOAPUI_DIR"]) / "soaptest"
    made = extract(str(folder / "SKLTP-Core-Functionality-soapui-project.xml"), str(folder / "data-sed.xml"))
    assert made == SUITE
