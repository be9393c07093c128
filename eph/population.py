"""The population register as the service reaches it: ``HttpPopulationRegister`` implements the
domain's port (``service_domain.ports.PopulationRegister``) over the JSON API that
``consumers.population_register`` serves in development (docs/operations.md, "The population
register"). In production the national person service (PU) sits behind the same port, through
an adapter of this shape pointed at it.

Settings: ``EPH_POPULATION_URL`` (the register's base address; unset: no register, nobody is
known to have protected identity), ``EPH_POPULATION_TOKEN`` (its bearer token, required with the
URL), ``EPH_POPULATION_TIMEOUT`` (seconds, 3) and ``EPH_POPULATION_CA`` (a CA file to verify an
https:// register by; the system's by default). A register that does not answer in time, or
answers other than 200 or 404, is ``StorageUnavailable``: the service then treats the person as
having protected identity (docs/decisions.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from service_domain.identity import PersonId
from service_domain.model import PersonRecord
from service_domain.ports import StorageUnavailable

from .bearer import BearerApi


@dataclass(frozen=True)
class PopulationRegisterConfig(BearerApi):
    timeout: float = 3.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PopulationRegisterConfig | None:
        """The settings, or None when EPH_POPULATION_URL is not set; ValueError when it is set
        without the token."""
        return cls.read(os.environ if env is None else env, "EPH_POPULATION", "the register's")


class HttpPopulationRegister:
    """``PopulationRegister`` over HTTP: ``POST <url>/lookup`` with ``{"personId": …}``; 200 is
    the person, 404 a person the register does not know (None). Anything else, or no answer in
    time, raises ``StorageUnavailable`` naming the status or the kind of error only."""

    def __init__(self, config: PopulationRegisterConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()

    def lookup(self, person: PersonId) -> PersonRecord | None:
        config = self.config
        try:
            answer = self.session.post(
                f"{config.url.rstrip('/')}/lookup", json={"personId": person.id},
                headers={"Authorization": f"Bearer {config.token}"},
                timeout=config.timeout, verify=config.ca or True, allow_redirects=False,
            )
        except requests.exceptions.RequestException as e:
            raise StorageUnavailable(f"the population register was not reached: {type(e).__name__}") from None
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise StorageUnavailable(f"the population register answered {answer.status_code}")
        try:
            body = answer.json()
            return PersonRecord(
                person=person, given_name=str(body["givenName"]), surname=str(body["surname"]),
                protected=body.get("protected") is not False, home_region=body.get("homeRegion") or None,
            )
        except (ValueError, KeyError, TypeError):
            raise StorageUnavailable("the population register's answer was not of the documented shape") from None


def configured_register(env: Mapping[str, str] | None = None) -> HttpPopulationRegister | None:
    """The register the settings name, or None when none is configured."""
    config = PopulationRegisterConfig.from_env(env)
    return HttpPopulationRegister(config) if config is not None else None
