"""What the population register says of a person: name, protected identity and home region.

The service asks the register (a port, ``ports.PopulationRegister``); in development and tests
a stand-in answers. Names are used only where a rule needs them (the log review's namesake
check) and are never stored or logged by the service."""

from __future__ import annotations

from dataclasses import dataclass

from ..identity import PersonId


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person as the register has them.

    ``protected``: the person has protected identity (sekretessmarkering, skyddad
    folkbokföring or fingerade personuppgifter): their address is never shown or stored in
    clear, and a home kit goes only to a pickup point. ``home_region``: the HSA-id of the region
    of the county the person is registered in (None when the register does not say)."""

    person: PersonId
    given_name: str
    surname: str
    protected: bool = False
    home_region: str | None = None
