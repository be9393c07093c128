"""The notices' fixed Swedish texts: one per kind and channel, without anything variable, an SMS
one segment of GSM 7-bit."""

from __future__ import annotations

import inspect

import pytest

from eph.notices import texts
from service_domain.model.notices import NoticeKind

KINDS = list(NoticeKind)
# words a notice must never carry: findings, analyses, units, a care unit
TELLING = ("klamydia", "gonorr", "hiv", "syfilis", "positiv", "negativ", "påvisad", "analys", "mmol", "vårdenhet")


def all_texts(kind: NoticeKind) -> list[str]:
    email = texts.email_text(kind)
    return [email.subject, email.body, texts.sms_text(kind)]


@pytest.mark.parametrize("kind", KINDS)
def test_an_sms_fits_one_segment(kind: NoticeKind) -> None:
    assert texts.fits_one_sms(texts.sms_text(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_an_sms_is_at_most_160_characters(kind: NoticeKind) -> None:
    assert len(texts.sms_text(kind)) <= 160


@pytest.mark.parametrize("kind", KINDS)
def test_no_text_has_a_placeholder(kind: NoticeKind) -> None:
    assert not [t for t in all_texts(kind) if any(mark in t for mark in ("{", "}", "%", "<", ">"))]


@pytest.mark.parametrize("kind", KINDS)
def test_no_text_names_a_finding_or_an_analysis(kind: NoticeKind) -> None:
    assert not [w for t in all_texts(kind) for w in TELLING if w in t.lower()]


@pytest.mark.parametrize("kind", KINDS)
def test_every_text_sends_the_patient_to_1177(kind: NoticeKind) -> None:
    assert all("1177.se" in t for t in all_texts(kind)[1:])


@pytest.mark.parametrize("kind", KINDS)
def test_a_subject_is_one_line(kind: NoticeKind) -> None:
    assert "\n" not in texts.email_text(kind).subject


@pytest.mark.parametrize("text_of", [texts.email_text, texts.sms_text])
def test_a_text_takes_the_kind_alone(text_of: object) -> None:
    assert list(inspect.signature(text_of).parameters) == ["kind"]  # type: ignore[arg-type]


def test_the_kinds_have_different_sms() -> None:
    assert len({texts.sms_text(k) for k in KINDS}) == len(KINDS)


def test_a_dash_is_not_gsm7() -> None:
    assert not texts.fits_one_sms("Hej – du")


def test_a_swedish_letter_is_gsm7() -> None:
    assert texts.fits_one_sms("åäöÅÄÖé")
