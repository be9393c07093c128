"""Protected identity: asking the population register about a patient, and keeping the flag the
service holds on the patient's offers and orders in line with its answer.

The register is asked when an offer or order is made and when staff open the patient page;
never per order read (``GetOrders`` and the staff web's lists go by the stored flag)."""

from __future__ import annotations

import logging

from ..identity import PersonId
from ..model import RegisterAnswer
from ..ports import StorageUnavailable, UnitOfWork

log = logging.getLogger("eph.population")


def ask_register(uow: UnitOfWork, person: PersonId) -> RegisterAnswer:
    """The register's answer on ``person``; unreachable (``RegisterAnswer.protected``: treated as
    protected) when it cannot be reached. Callers ask before they lock any row: a slow register
    holds no lock."""
    if uow.population is None:
        return RegisterAnswer(None)
    try:
        return RegisterAnswer(uow.population.lookup(person))
    except StorageUnavailable:
        log.warning("population register unreachable: the person is treated as having protected identity")
        return RegisterAnswer(None, reachable=False)


def refresh_flags(uow: UnitOfWork, person: PersonId, answer: RegisterAnswer) -> None:
    """Within the caller's transaction: the patient's offers and orders flagged as the register
    now says (a newly protected person's delivery addresses are dropped)."""
    if answer.refreshes:
        uow.offers.mark_protected(person, answer.protected)
        uow.orders.mark_protected(person, answer.protected)
