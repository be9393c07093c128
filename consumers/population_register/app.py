"""The population register stand-in's HTTP API (a Flask application). Every request carries
``Authorization: Bearer <token>`` (401 otherwise); bodies are JSON. A person's number travels in
the body, never in the path, so that no access log holds it.

``POST /lookup`` with ``{"personId": "191212121212"}``: 200 and the person::

    {"personId": "191212121212", "givenName": "Tolvan", "surname": "Tolvansson",
     "protected": false, "homeRegion": "SE2321000016-CG01"}

(``homeRegion`` null when not known); 404 ``{"error": …}`` when the register does not know the
person (a reservnummer, say); 400 for a body not of the shape. A number it does not hold is, by
default, a test person ("Test Testperson") living in the demo region, so that any valid
personnummer works in development (``EPH_POPULATION_REGISTER_EVERYONE_IN``: another region, or
``none`` for 404).

Admin (development and tests): ``POST /admin/protected`` with ``{"personId": …, "protected":
true}`` marks (or, with false, unmarks) a known person and answers the person as ``/lookup``
does (404 for an unknown one); ``PUT /admin/person`` with a whole person (the shape above,
``protected`` and ``homeRegion`` optional) adds or replaces one; ``POST /faults`` with
``{"status": 503, "count": 2}`` makes the next ``count`` look-ups answer ``status`` (5xx), to
show what the service does while the register is down.

Nothing of a person is logged.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, jsonify, request

from ..stand_in_http import error, faults_asked, require_bearer
from .config import DEMO_REGION, PopulationRegisterStandInConfig

PERSON_ID = re.compile(r"[0-9]{12}")
NAME_MAX = 100
HSA_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

# The demo's patients (fictitious: valid check digits, not real people), all registered in the
# demo region of care giver A ("Region Demo Öst").


@dataclass(frozen=True)
class Person:
    personId: str  # the JSON names
    givenName: str
    surname: str
    protected: bool = False
    homeRegion: str | None = None


DEMO_PEOPLE = (
    Person("191212121212", "Tolvan", "Tolvansson", homeRegion=DEMO_REGION),
    Person("198503172382", "Demo", "Demosson", homeRegion=DEMO_REGION),
    Person("199211052395", "Dina", "Demosdotter", homeRegion=DEMO_REGION),
)


class Register:
    """The people the stand-in knows, and the faults to answer with, in memory (one process)."""

    def __init__(self, people: Iterable[Person] = DEMO_PEOPLE, everyone_in: str | None = None) -> None:
        self.lock = threading.Lock()
        self.people = {p.personId: p for p in people}
        self.everyone_in = everyone_in  # the home region of a number not held (None: unknown)
        self.faults: list[int] = []

    def _known(self, person_id: str) -> Person | None:
        held = self.people.get(person_id)
        if held is None and self.everyone_in is not None:
            return Person(person_id, "Test", "Testperson", homeRegion=self.everyone_in)
        return held

    def get(self, person_id: str) -> Person | None:
        with self.lock:
            return self._known(person_id)

    def put(self, person: Person) -> None:
        with self.lock:
            self.people[person.personId] = person

    def protect(self, person_id: str, protected: bool) -> Person | None:
        with self.lock:
            known = self._known(person_id)
            if known is None:
                return None
            self.people[person_id] = changed = replace(known, protected=protected)
            return changed

    def take_fault(self) -> int | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None


def _person_id(body: Any) -> str | None:
    value = body.get("personId") if isinstance(body, dict) else None
    return value if isinstance(value, str) and PERSON_ID.fullmatch(value) else None


def _person(body: Any) -> Person | str:
    """The person of a PUT body, or what is wrong with it."""
    person_id = _person_id(body)
    if person_id is None:
        return "'personId' is to be 12 digits"
    assert isinstance(body, dict)
    unknown = set(body) - {"personId", "givenName", "surname", "protected", "homeRegion"}
    if unknown:
        return "unknown fields: " + ", ".join(sorted(unknown))
    given, surname = body.get("givenName"), body.get("surname")
    if not (isinstance(given, str) and isinstance(surname, str) and all(0 < len(n) <= NAME_MAX for n in (given, surname))):
        return f"'givenName' and 'surname' are to be texts of 1 to {NAME_MAX} characters"
    protected, region = body.get("protected", False), body.get("homeRegion")
    if not isinstance(protected, bool):
        return "'protected' is to be true or false"
    if region is not None and not (isinstance(region, str) and HSA_ID.fullmatch(region)):
        return "'homeRegion' is to be an HSA-id or null"
    return Person(person_id, given, surname, protected, region)


def create_app(config: PopulationRegisterStandInConfig | None = None, register: Register | None = None) -> Flask:
    config = config or PopulationRegisterStandInConfig()
    register = register or Register(everyone_in=config.everyone_in)
    app = Flask("eph-population-register")
    app.config["POPULATION_REGISTER"] = register

    require_bearer(app, config.token, "population-register")

    @app.post("/lookup")
    def lookup() -> Any:
        person_id = _person_id(request.get_json(silent=True))
        if person_id is None:
            return error(400, "the body is to be {\"personId\": \"<12 digits>\"}")
        fault = register.take_fault()
        if fault is not None:
            return error(fault, "a fault asked for at /faults")
        person = register.get(person_id)
        if person is None:
            return error(404, "the register does not know this person")
        return jsonify(person.__dict__)

    @app.post("/admin/protected")
    def protect() -> Any:
        body = request.get_json(silent=True)
        person_id = _person_id(body)
        protected = body.get("protected") if isinstance(body, dict) else None
        if person_id is None or not isinstance(protected, bool):
            return error(400, "the body is to be {\"personId\": \"<12 digits>\", \"protected\": true|false}")
        person = register.protect(person_id, protected)
        if person is None:
            return error(404, "the register does not know this person")
        return jsonify(person.__dict__)

    @app.put("/admin/person")
    def put_person() -> Any:
        person = _person(request.get_json(silent=True))
        if isinstance(person, str):
            return error(400, person)
        register.put(person)
        return jsonify(person.__dict__)

    @app.post("/faults")
    def faults() -> Any:
        asked = faults_asked(request.get_json(silent=True), throttle=False)
        if isinstance(asked, tuple):
            return asked
        with register.lock:
            register.faults = asked
        return "", 204

    return app
