"""``eph population protect|unprotect|show PERSON``: the population register stand-in's word on a
person (development and tests: the national register has no such admin). The register is the
one ``EPH_POPULATION_URL`` names (the stand-in's address by default), with
``EPH_POPULATION_TOKEN`` (the stand-in's development token by default). The service learns of a
change at its next look-up of the person: an offer or order made for them, or the patient page
opened on the staff web. What it prints is the marking and the home region, never the name."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import requests

from consumers.population_register.config import DEFAULT_BIND, DEV_TOKEN

from ..config import Settings


def _call(path: str, body: dict[str, Any]) -> requests.Response | None:
    url = (os.environ.get("EPH_POPULATION_URL") or f"http://{DEFAULT_BIND}").rstrip("/")
    token = os.environ.get("EPH_POPULATION_TOKEN") or DEV_TOKEN
    try:
        return requests.post(f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10,
                             verify=os.environ.get("EPH_POPULATION_CA") or True)
    except requests.exceptions.RequestException as e:
        print(f"the population register at {url} was not reached ({type(e).__name__}); is it running "
              "(eph serve population-register)?", file=sys.stderr)
        return None


def _person(number: str) -> str | None:
    digits = number.replace("-", "").replace("+", "").strip()
    return digits if len(digits) == 12 and digits.isdigit() else None


def _show(answer: requests.Response) -> int:
    if answer.status_code == 404:
        print("the register does not know this person", file=sys.stderr)
        return 1
    if answer.status_code != 200:
        print(f"the register answered {answer.status_code}", file=sys.stderr)
        return 1
    body = answer.json()
    marking = "protected identity (skyddad identitet)" if body.get("protected") else "no protected identity"
    print(f"{marking}; home region {body.get('homeRegion') or 'not known'}")
    return 0


def cmd_population(args: argparse.Namespace, settings: Settings) -> int:
    person = _person(args.person)
    if person is None:
        print("PERSON is a personnummer or samordningsnummer of 12 digits (ÅÅÅÅMMDDNNNN)", file=sys.stderr)
        return 2
    if args.population_command == "show":
        answer = _call("/lookup", {"personId": person})
    else:
        answer = _call("/admin/protected", {"personId": person, "protected": args.population_command == "protect"})
    return 1 if answer is None else _show(answer)


def add_parsers(sub: Any) -> None:
    population = sub.add_parser(
        "population", help="the population register stand-in: mark a person as having protected identity, or not"
    ).add_subparsers(dest="population_command", required=True)
    for name, text in (("protect", "mark the person as having protected identity"),
                       ("unprotect", "take the marking away"),
                       ("show", "what the register says: the marking and the home region")):
        command = population.add_parser(name, help=text)
        command.add_argument("person", metavar="PERSON", help="personnummer, 12 digits")
        command.set_defaults(func=cmd_population)
