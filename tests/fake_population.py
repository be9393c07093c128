"""A population register in memory, for the service and unit tests: the people it knows, and
whether it can be reached."""

from __future__ import annotations

from service_domain.identity import PersonId
from service_domain.model import PersonRecord
from service_domain.ports import StorageUnavailable


class FakePopulationRegister:
    def __init__(self, *protected: PersonId, region: str | None = None) -> None:
        self.people: dict[str, PersonRecord] = {}
        self.reachable = True
        self.asked: list[str] = []
        for person in protected:
            self.put(person, protected=True, region=region)

    def put(self, person: PersonId, *, protected: bool = False, region: str | None = None) -> None:
        self.people[person.id] = PersonRecord(person, "Testa", "Testsson", protected, region)

    def lookup(self, person: PersonId) -> PersonRecord | None:
        self.asked.append(person.id)
        if not self.reachable:
            raise StorageUnavailable("the register is down (a test)")
        return self.people.get(person.id)
