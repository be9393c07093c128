"""What the staff web keeps in its session table, over real HTTP against `eph serve staff` (a
real server process with the development login, as `make serve` runs it) on a database of its
own, read afterwards: a row only for a logged-in member, and no identity number in any row."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, create_engine, func, select

from eph import demo
from staff_web.store import web_session
from tests.conftest import seeded
from tests.support import free_port, person_number, spawn, terminate, wait_for_page

NURSE = "SE2321000016-SSK1"  # ASSIGN and SAMPLING at care unit A


@dataclass
class Web:
    base_url: str
    engine: Engine
    log_path: Path

    def rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(web_session)).scalar_one())

    def stored(self) -> str:
        """Everything the session table holds, every column of every row, as one text."""
        with self.engine.connect() as conn:
            return "\n".join(" ".join(str(v) for v in row) for row in conn.execute(select(web_session)))

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    folder = Path(tmp_path_factory.mktemp("staff-sessions"))
    url = seeded(f"sqlite:///{folder / 'eph.sqlite3'}")
    port = free_port()
    log_path = folder / "staff-web.log"
    proc, log_file = spawn("staff", port, {"EPH_DATABASE_URL": url, "EPH_STAFF_DEV_LOGIN": "1",
                                          "EPH_STAFF_WORKERS": "2", "EPH_STAFF_THREADS": "2"}, log_path)
    engine = create_engine(url)
    try:
        wait_for_page(f"http://127.0.0.1:{port}/login", "staff web")
        yield Web(f"http://127.0.0.1:{port}", engine, log_path)
    finally:
        engine.dispose()
        terminate(proc, log_file)


def csrf_token(page: requests.Response) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text[:500]
    return m.group(1)


def post_form(client: requests.Session, web: Web, page: str, action: str, **fields: Any) -> requests.Response:
    """The form on ``page`` sent to ``action`` with its CSRF token, as a browser does (no redirect followed)."""
    token = csrf_token(client.get(web.base_url + page, timeout=10))
    return client.post(web.base_url + action, data={"csrf_token": token, **fields}, timeout=10, allow_redirects=False)


def logged_in(web: Web, hsa_id: str = NURSE) -> requests.Session:
    client = requests.Session()
    client.trust_env = False
    r = post_form(client, web, "/login", "/login", hsa_id=hsa_id, password=demo.DEMO_STAFF_PASSWORD)
    assert r.status_code == 302, r.text[:500]
    return client


def show(number: str) -> str:
    return f"{number[:8]}-{number[8:]}"


# ------------------------------------------------------------------ 1.5: a row at login only


def test_two_hundred_anonymous_login_pages_write_no_session_row(web: Web) -> None:
    before = web.rows()
    statuses = {requests.get(web.base_url + "/login", timeout=10).status_code for _ in range(200)}  # no cookie
    assert statuses == {200}
    assert web.rows() == before


def test_a_failed_login_writes_no_session_row(web: Web) -> None:
    before = web.rows()
    r = post_form(requests.Session(), web, "/login", "/login", hsa_id=NURSE, password="not the password")
    assert r.status_code == 401
    assert web.rows() == before


def test_logging_in_writes_one_session_row(web: Web) -> None:
    before = web.rows()
    client = logged_in(web)
    assert client.get(web.base_url + "/", timeout=10).status_code == 200
    assert web.rows() == before + 1


def test_the_login_form_still_needs_its_csrf_token(web: Web) -> None:
    client = requests.Session()
    client.get(web.base_url + "/login", timeout=10)
    r = client.post(web.base_url + "/login", data={"hsa_id": NURSE, "password": demo.DEMO_STAFF_PASSWORD},
                    timeout=10, allow_redirects=False)
    assert r.status_code == 400


def test_a_csrf_token_of_another_browser_is_refused(web: Web) -> None:
    other = csrf_token(requests.get(web.base_url + "/login", timeout=10))
    client = requests.Session()
    client.get(web.base_url + "/login", timeout=10)
    r = client.post(web.base_url + "/login", data={"csrf_token": other, "hsa_id": NURSE,
                                                   "password": demo.DEMO_STAFF_PASSWORD},
                    timeout=10, allow_redirects=False)
    assert r.status_code == 400


def test_logging_out_leaves_no_session_row(web: Web) -> None:
    before = web.rows()
    client = logged_in(web)
    r = post_form(client, web, "/", "/logout")
    assert r.status_code == 302
    assert "Du är utloggad." in client.get(web.base_url + "/login", timeout=10).text
    assert web.rows() == before


# ------------------------------------------------------------------ 1.6: no identity number stored


def test_the_patient_found_is_not_in_the_session_table(web: Web) -> None:
    number = person_number(date(1987, 6, 5))
    client = logged_in(web)
    r = post_form(client, web, "/patient", "/patient", number=show(number))
    assert r.status_code == 302
    page = client.get(web.base_url + "/patient", timeout=10)
    assert show(number) in page.text  # the page still shows the patient found
    stored = web.stored()
    assert number not in stored
    assert number[2:] not in stored
    assert show(number) not in stored
    assert number not in web.log_text()


def test_the_desk_search_is_not_in_the_session_table(web: Web) -> None:
    number = person_number(date(1991, 2, 3))
    client = logged_in(web)
    r = post_form(client, web, "/sampling", "/sampling", query=show(number))
    assert r.status_code == 302
    desk = client.get(web.base_url + "/sampling", timeout=10)
    heading = re.sub(r"<[^>]+>", "", desk.text)  # the number sits in a span that keeps it on one line
    assert f"Beställningar för {show(number)}" in heading  # the desk still searches for that number
    stored = web.stored()
    assert number not in stored
    assert number[2:] not in stored
    assert show(number) not in stored
    assert number not in web.log_text()
