"""The README's walkthrough runs as written, against a real `make serve`.

The servers start as `make serve` starts them: `eph db upgrade`, `eph seed-demo --if-empty`,
then `eph serve all` with the development logins, at their production defaults, on a new
SQLite database in a temporary folder, on free ports and with the test session's development
PKI. Every fenced ```python and ```sh (or ```console) block of the README's "Walkthrough"
section then runs in order: Python with this interpreter, shell with bash. They run in a
folder where `.venv` is this interpreter's environment, so `.venv/bin/eph` and
`.venv/bin/python` work as written; the demo ports 8080-8083 in a block become the test's
ports, and the `eph` commands, which take no address, are pointed at the test's platform and
database through `EPH_PLATFORM_URL` and `EPH_DATABASE_URL`, as their defaults point at those
of `make serve`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consumers.journal.store import JournalStore
from tests.support import ROOT, free_port, session_pki, wait_for_page, wait_for_port

README = ROOT / "README.md"
BLOCK = re.compile(r"^```(python|sh|bash|shell|console)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
DEMO_PORT = re.compile(r"\b808([0-3])\b")
SHELL = {"sh", "bash", "shell", "console"}
START_SECONDS = 60.0  # four servers on a loaded two-core machine were seen to take 24 s
BLOCK_SECONDS = 120.0


@dataclass(frozen=True)
class Block:
    language: str
    code: str

    @property
    def is_python(self) -> bool:
        return self.language == "python"


def walkthrough_blocks(readme: str) -> list[Block]:
    """The fenced Python and shell blocks of the README's Walkthrough section, in order; of a
    ```console block only its commands (the lines after a `$ ` prompt)."""
    section = re.search(r"^## Walkthrough[ \t]*\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if section is None:
        return []
    blocks = []
    for language, code in BLOCK.findall(section.group(1)):
        if language == "console":
            code = "".join(line[2:] + "\n" for line in code.splitlines() if line.startswith("$ "))
        blocks.append(Block(language, code))
    return blocks


BLOCKS = walkthrough_blocks(README.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Stack:
    """`make serve` on free ports: what a block needs to reach it."""

    ports: tuple[int, int, int, int]  # the platform, the service, the staff web, the 1177 stand-in
    env: dict[str, str]
    folder: Path

    def rewritten(self, code: str) -> str:
        return DEMO_PORT.sub(lambda m: str(self.ports[int(m.group(1))]), code)


def _eph(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "eph", *args], env=env, cwd=ROOT, check=True, capture_output=True,
                   timeout=120)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """`eph serve all` stops its four servers on SIGTERM and waits for them; whatever of its
    process group is still there after that is killed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the whole group has stopped
        pass
    proc.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("readme")
    ports = (free_port(), free_port(), free_port(), free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("EPH_")}  # `make serve`'s defaults
    env.update({
        "EPH_DATABASE_URL": f"sqlite:///{folder / 'eph.sqlite3'}",
        "EPH_PLATFORM_BIND": f"127.0.0.1:{ports[0]}",
        "EPH_SERVICE_BIND": f"127.0.0.1:{ports[1]}",
        "EPH_STAFF_BIND": f"127.0.0.1:{ports[2]}",
        "EPH_CITIZEN_WEB_BIND": f"127.0.0.1:{ports[3]}",
        "EPH_CERTS_DIR": str(session_pki().folder),
        "EPH_VP_LOCAL_COPY": str(folder / "tak-local-copy.json"),
        # the engagement index, the journal system's subscriber, the SMS gateway and the population register, which `eph serve all` starts in
        # development: on free ports (the demo catalogue routes to them), their databases here
        "EPH_EI_BIND": f"127.0.0.1:{free_port()}",
        "EPH_EHR_BIND": f"127.0.0.1:{free_port()}",
        "EPH_SMS_GATEWAY_BIND": f"127.0.0.1:{free_port()}",
        "EPH_POPULATION_REGISTER_BIND": f"127.0.0.1:{free_port()}",
        "EPH_EI_DATABASE_URL": f"sqlite:///{folder / 'index.sqlite3'}",
        "EPH_EHR_DATABASE_URL": f"sqlite:///{folder / 'journal.sqlite3'}",
    })
    # the steps of `make serve`
    _eph("db", "upgrade", env=env)
    _eph("seed-demo", "--if-empty", env=env)
    log = open(folder / "serve.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "eph", "serve", "all"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**env, "EPH_STAFF_DEV_LOGIN": "1", "EPH_CITIZEN_WEB_DEV_LOGIN": "1"},
        start_new_session=True,  # its own process group, so that every server it starts can be stopped
    )
    try:
        for port in ports + tuple(int(env[b].rsplit(":", 1)[1]) for b in ("EPH_EI_BIND", "EPH_EHR_BIND",
                                                                                   "EPH_SMS_GATEWAY_BIND",
                                                                                   "EPH_POPULATION_REGISTER_BIND")):
            wait_for_port(port, proc, timeout=START_SECONDS)
        wait_for_page(f"http://127.0.0.1:{ports[0]}/status", "platform")
        wait_for_page(f"http://127.0.0.1:{ports[3]}/logga-in", "1177 stand-in")
        # where the walkthrough runs: `.venv` is this interpreter's environment
        workdir = folder / "project"
        workdir.mkdir()
        (workdir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
        block_env = {**env, "EPH_PLATFORM_URL": f"http://127.0.0.1:{ports[0]}"}
        yield Stack(ports, block_env, workdir)
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def runs(stack: Stack) -> list[subprocess.CompletedProcess[str]]:
    """Every block of the walkthrough, run once, in order."""
    done = []
    for n, block in enumerate(BLOCKS):
        script = stack.folder / f"block-{n}.{'py' if block.is_python else 'sh'}"
        script.write_text(stack.rewritten(block.code), encoding="utf-8")
        command = [sys.executable, str(script)] if block.is_python else ["bash", "-euo", "pipefail", str(script)]
        done.append(subprocess.run(command, cwd=stack.folder, env=stack.env, capture_output=True, text=True,
                                   timeout=BLOCK_SECONDS))
    return done


def _output(runs: list[subprocess.CompletedProcess[str]], python: bool) -> str:
    return "".join(r.stdout for block, r in zip(BLOCKS, runs, strict=True) if block.is_python == python)


def test_the_walkthrough_has_python_blocks() -> None:
    assert any(b.is_python for b in BLOCKS)


def test_the_walkthrough_has_shell_blocks() -> None:
    assert any(b.language in SHELL for b in BLOCKS)


def test_the_walkthrough_uses_the_demo_ports() -> None:
    # the ports are what the test rewrites: a block that named another would not reach the stack
    assert any(DEMO_PORT.search(b.code) for b in BLOCKS)


@pytest.mark.parametrize("n", range(len(BLOCKS)), ids=[f"{n}-{b.language}" for n, b in enumerate(BLOCKS)])
def test_each_block_runs(runs: list[subprocess.CompletedProcess[str]], n: int) -> None:
    assert runs[n].returncode == 0, runs[n].stdout[-2000:] + runs[n].stderr[-3000:]


@pytest.mark.parametrize("write", ["AssignOffer", "CreateOrder", "SetOrderStatus", "SetResult"])
def test_each_write_is_answered_ok(runs: list[subprocess.CompletedProcess[str]], write: str) -> None:
    assert f"{write} OK" in _output(runs, python=True)


def test_the_lab_polls_the_demo_orders_and_the_new_one(runs: list[subprocess.CompletedProcess[str]]) -> None:
    # the demo data gives the lab two orders (a chlamydia home kit, an HbA1c at a site); the
    # walkthrough's patient orders a third, and every one of them is waiting
    ordered = [line for line in _output(runs, python=True).splitlines() if line.endswith(" ORDERED")]
    assert len(ordered) == 3, ordered


def test_the_lab_sees_the_new_home_kit(runs: list[subprocess.CompletedProcess[str]]) -> None:
    kits = [line for line in _output(runs, python=True).splitlines() if "CTNG HOME_KIT ORDERED" in line]
    assert len(kits) == 2, kits


def test_the_patient_reads_the_negative_result(runs: list[subprocess.CompletedProcess[str]]) -> None:
    assert "Klamydia ej påvisad (NEGATIVE)" in _output(runs, python=False)


def test_the_patient_sees_who_changed_their_data(runs: list[subprocess.CompletedProcess[str]]) -> None:
    # the access log names the lab system that reported the result
    assert re.search(r"WRITE\s+SetResult\s+Labbsystem, vårdgivare A", _output(runs, python=False))


def test_the_ordering_unit_s_journal_imports_the_walkthrough_s_result(
        runs: list[subprocess.CompletedProcess[str]], stack: Stack) -> None:
    # `make serve` pushes to the engagement index, which notifies the journal system, which fetches
    # the released result with GetLaboratoryOrderOutcome through the platform
    journal = JournalStore(stack.env["EPH_EHR_DATABASE_URL"])
    deadline = time.monotonic() + 60
    while not (found := [e for e in journal.entries("191212121212") if "CT-NAAT" in e.record.content]) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert found
