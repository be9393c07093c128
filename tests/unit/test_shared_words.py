"""Words the patient and the desk both read: a cancelled order is "Avbokad" on the 1177 stand-in
and in the staff web alike (issue 17)."""

from __future__ import annotations

from consumers.citizen_web import texts as patient_texts
from service_domain.model import OrderStatus
from staff_web import texts as staff_texts


def test_a_cancelled_order_has_one_word_in_both_webs() -> None:
    status = OrderStatus.CANCELLED
    assert staff_texts.ORDER_STATUS[status] == patient_texts.STATUS[status.value]
