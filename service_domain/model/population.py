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


# What a home-kit order of a person with protected identity is refused with when it names a
# delivery address: what to do instead, nothing of the person.
PICKUP_POINT_ONLY = (
    "for this patient a home kit is sent only to a pickup point: give samplingUnitHSAId (a sampling site "
    "of the care giver, where the kit is collected) and no deliveryAddress"
)


@dataclass(frozen=True, slots=True)
class RegisterAnswer:
    """What asking the register about one person gave: their record (None when the register does
    not know them) or, with ``reachable`` False, nothing because it could not be reached."""

    record: PersonRecord | None
    reachable: bool = True

    @property
    def protected(self) -> bool:
        """Whether the service treats the person as having protected identity: as the register
        says; while it cannot be reached, yes (the safe side: details are kept back until a later
        look-up says otherwise)."""
        return not self.reachable or (self.record is not None and self.record.protected)

    @property
    def refreshes(self) -> bool:
        """Whether the answer is a word of the register on the person, to bring the flags the
        service keeps on their offers and orders in line with."""
        return self.reachable and self.record is not None
