"""Notices to the patient in the service layer (SQLite, and PostgreSQL with EPH_TEST_POSTGRES=1):
the settings only the patient sets through the citizen e-service, audited and never echoing an
address; NOTICE events written with a released result, a kit sent and housekeeping's reminders
(once each); and the decisions at delivery: a retry sends nothing twice, the rate limit folds."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from eph import demo
from eph.cli.outbox import _line as outbox_line
from service_domain import commands, services
from service_domain.errors import CallerRefused, InvalidRequest, RuleViolation
from service_domain.identity import PersonId
from service_domain.model import (
    Actor,
    ActorKind,
    AnalysisResult,
    AnalysisStatus,
    EventKind,
    EventState,
    IndexUpdate,
    NoticeChannel,
    NoticeDue,
    NoticeKind,
    NoticeSettings,
    OrderStatus,
    OutboxEvent,
    ReportStatus,
    SamplingMode,
)
from service_domain.persistence.database import Database
from service_domain.persistence.tables import outbox_event
from service_domain.services import notices
from tests.service.conftest import NOW, STAFF, assign, ctx, new_patient, order, set_result, status
from tests.service.conftest import lab_result as a_result

EMAIL = "patient.test@example.se"


def set_settings(db: Database, patient: PersonId, channel: NoticeChannel, email: str | None = None,
                 mobile: str | None = None, consumer: str = demo.CITIZEN_SERVICE,
                 by: Actor | None = None, now=NOW) -> services.WriteOutcome:  # type: ignore[no-untyped-def]
    return services.set_notice_settings(db.uow(), ctx(consumer, now), commands.SetNoticeSettings(
        patient, channel, email, mobile, by or Actor(ActorKind.PATIENT, patient.id)))


def get_settings(db: Database, patient: PersonId, consumer: str = demo.CITIZEN_SERVICE) -> NoticeSettings | None:
    return services.get_notice_settings(db.uow(), ctx(consumer), commands.GetNoticeSettings(patient))


def notice_events(db: Database, patient: PersonId) -> list[OutboxEvent]:
    with db.uow() as uow:
        everything = uow.outbox.list(EventState.PENDING, limit=100_000)
    return [e for e in everything if isinstance(e.payload, NoticeDue) and e.payload.patient.id == patient.id]


def kinds(db: Database, patient: PersonId) -> list[NoticeKind]:
    return [e.payload.kind for e in notice_events(db, patient) if isinstance(e.payload, NoticeDue)]


def with_email(db: Database) -> PersonId:
    p = new_patient()
    set_settings(db, p, NoticeChannel.EMAIL, EMAIL)
    return p


def kit_ordered(db: Database, patient: PersonId) -> str:
    oid = order(db, patient, assign(db, patient, "CTNG"), SamplingMode.HOME_KIT).order_id
    assert oid
    return oid


def site_ordered(db: Database, patient: PersonId) -> str:
    oid = order(db, patient, assign(db, patient, "HBA1C")).order_id
    assert oid
    return oid


# ------------------------------------------------------------------ settings


def test_the_patient_s_choice_is_kept(backend_db: Database) -> None:
    p = with_email(backend_db)
    settings = get_settings(backend_db, p)
    assert settings is not None
    assert (settings.channel, settings.email) == (NoticeChannel.EMAIL, EMAIL)


def test_a_patient_who_never_chose_has_no_settings(backend_db: Database) -> None:
    assert get_settings(backend_db, new_patient()) is None


def test_a_mobile_number_is_kept_in_e164(backend_db: Database) -> None:
    p = new_patient()
    set_settings(backend_db, p, NoticeChannel.SMS, mobile="070-123 45 67")
    settings = get_settings(backend_db, p)
    assert settings is not None
    assert settings.mobile == "+46701234567"


def test_sms_keeps_no_e_mail_address(backend_db: Database) -> None:
    p = with_email(backend_db)
    set_settings(backend_db, p, NoticeChannel.SMS, EMAIL, "+46701234567")
    settings = get_settings(backend_db, p)
    assert settings is not None
    assert settings.email is None


def test_turning_notices_off_keeps_no_address(backend_db: Database) -> None:
    p = with_email(backend_db)
    set_settings(backend_db, p, NoticeChannel.NONE)
    settings = get_settings(backend_db, p)
    assert settings is not None
    assert (settings.channel, settings.email, settings.mobile) == (NoticeChannel.NONE, None, None)


def test_the_same_choice_again_is_info(backend_db: Database) -> None:
    p = with_email(backend_db)
    assert set_settings(backend_db, p, NoticeChannel.EMAIL, EMAIL).info


@pytest.mark.parametrize("email", ["no-at-sign.example.se", "a@b", "two@@example.se", "sp ace@example.se",
                                   ".dot@example.se", "x@-bad-.se"])
def test_a_bad_e_mail_address_is_refused_without_echoing_it(backend_db: Database, email: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        set_settings(backend_db, new_patient(), NoticeChannel.EMAIL, email)
    assert email not in str(e.value)


@pytest.mark.parametrize("mobile", ["08-123 456 78", "+4670123456", "0701234567890", "+4770123456", "07x1234567"])
def test_a_number_that_is_not_a_swedish_mobile_is_refused_without_echoing_it(backend_db: Database, mobile: str) -> None:
    with pytest.raises(InvalidRequest) as e:
        set_settings(backend_db, new_patient(), NoticeChannel.SMS, mobile=mobile)
    assert mobile not in str(e.value)


def test_a_bad_e_mail_address_is_refused_naming_the_field(backend_db: Database) -> None:
    with pytest.raises(InvalidRequest, match="^emailAddress is not a valid e-mail address$"):
        set_settings(backend_db, new_patient(), NoticeChannel.EMAIL, "not-an-address")


def test_a_bad_mobile_number_is_refused_naming_the_field(backend_db: Database) -> None:
    with pytest.raises(InvalidRequest, match="^mobileNumber is not a Swedish mobile number"):
        set_settings(backend_db, new_patient(), NoticeChannel.SMS, mobile="08-123 456 78")


def test_email_without_an_address_is_refused(backend_db: Database) -> None:
    with pytest.raises(InvalidRequest, match="emailAddress is required"):
        set_settings(backend_db, new_patient(), NoticeChannel.EMAIL)


@pytest.mark.parametrize("consumer", [demo.EHR_A, demo.LAB_A])
def test_only_the_citizen_e_service_reads_the_settings(backend_db: Database, consumer: str) -> None:
    with pytest.raises(CallerRefused):
        get_settings(backend_db, with_email(backend_db), consumer)


def test_only_the_citizen_e_service_sets_them(backend_db: Database) -> None:
    p = new_patient()
    with pytest.raises(CallerRefused):
        set_settings(backend_db, p, NoticeChannel.NONE, consumer=demo.EHR_A, by=Actor(ActorKind.SYSTEM, demo.EHR_A))


def test_the_citizen_e_service_sets_them_only_for_the_patient_it_names(backend_db: Database) -> None:
    p, other = new_patient(), new_patient()
    with pytest.raises(RuleViolation) as e:
        set_settings(backend_db, p, NoticeChannel.NONE, by=Actor(ActorKind.PATIENT, other.id))
    assert e.value.sub_code == "EPH006"


def test_reading_the_settings_shows_in_the_access_log(backend_db: Database) -> None:
    p = with_email(backend_db)
    get_settings(backend_db, p)
    with backend_db.uow() as uow:
        records = uow.audit.for_patient(p.id)
    assert [(r.operation, r.action) for r in records][-1] == ("GetNoticeSettings", "READ")


def test_changing_the_settings_shows_in_the_access_log(backend_db: Database) -> None:
    p = with_email(backend_db)
    with backend_db.uow() as uow:
        records = uow.audit.for_patient(p.id)
    assert [(r.operation, r.action) for r in records] == [("SetNoticeSettings", "WRITE")]


# ------------------------------------------------------------------ events


def test_a_released_result_writes_a_new_result_notice(backend_db: Database) -> None:
    p = with_email(backend_db)
    set_result(backend_db, a_result(site_ordered(backend_db, p), 1))
    assert kinds(backend_db, p) == [NoticeKind.NEW_RESULT]


def test_a_withdrawal_writes_no_notice(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = site_ordered(backend_db, p)
    set_result(backend_db, a_result(oid, 1))
    withdrawal = replace(a_result(oid, 2, ReportStatus.CORRECTED), analysis_results=(
        AnalysisResult(demo.HBA1C.code, None, AnalysisStatus.ENTERED_IN_ERROR),))
    set_result(backend_db, replace(withdrawal, report_time=withdrawal.report_time + timedelta(minutes=3)))
    assert kinds(backend_db, p) == [NoticeKind.NEW_RESULT]  # the first version's alone


def test_the_notice_event_carries_no_address(backend_db: Database) -> None:
    p = with_email(backend_db)
    set_result(backend_db, a_result(site_ordered(backend_db, p), 1))
    assert EMAIL not in repr(notice_events(backend_db, p)[0])


def test_without_notices_no_notice_event_is_written(backend_db: Database) -> None:
    p = new_patient()
    set_result(backend_db, a_result(site_ordered(backend_db, p), 1))
    assert notice_events(backend_db, p) == []


def test_notices_turned_off_write_no_event(backend_db: Database) -> None:
    p = with_email(backend_db)
    set_settings(backend_db, p, NoticeChannel.NONE)
    set_result(backend_db, a_result(site_ordered(backend_db, p), 1))
    assert notice_events(backend_db, p) == []


def added(db: Database, *events: OutboxEvent) -> int:
    with db.uow() as uow:
        written = uow.outbox.add(*events)
        uow.commit()
    return written


def index_and_notice(patient: PersonId) -> tuple[OutboxEvent, OutboxEvent]:
    update = IndexUpdate(patient, demo.CARE_GIVER_A, demo.CARE_UNIT_A, str(uuid.uuid4()), NOW)
    index = OutboxEvent(str(uuid.uuid4()), EventKind.INDEX_UPDATE, update, NOW, NOW)
    return index, OutboxEvent.notice(patient, NoticeKind.NEW_RESULT, update.order_id, NOW)


def test_the_outbox_writes_a_notice_with_its_index_event_in_one_add(backend_db: Database) -> None:
    assert added(backend_db, *index_and_notice(with_email(backend_db))) == 2


def test_the_outbox_writes_the_index_event_alone_for_a_patient_without_notices(backend_db: Database) -> None:
    assert added(backend_db, *index_and_notice(new_patient())) == 1


def test_the_outbox_leaves_out_the_notice_of_a_patient_who_turned_them_off(backend_db: Database) -> None:
    p = with_email(backend_db)
    set_settings(backend_db, p, NoticeChannel.NONE)
    assert added(backend_db, index_and_notice(p)[1]) == 0


def test_a_kit_sent_writes_a_kit_sent_notice(backend_db: Database) -> None:
    p = with_email(backend_db)
    status(backend_db, kit_ordered(backend_db, p), OrderStatus.KIT_SENT)
    assert kinds(backend_db, p) == [NoticeKind.KIT_SENT]


def test_a_kit_sent_reported_again_writes_no_second_notice(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = kit_ordered(backend_db, p)
    status(backend_db, oid, OrderStatus.KIT_SENT)
    status(backend_db, oid, OrderStatus.KIT_SENT)
    assert len(notice_events(backend_db, p)) == 1



def test_a_result_held_for_review_writes_no_notice(backend_db: Database, reviewed: str) -> None:
    p = with_email(backend_db)
    oid = order(backend_db, p, assign(backend_db, p, reviewed)).order_id
    assert oid
    set_result(backend_db, a_result(oid, 1))
    assert notice_events(backend_db, p) == []


def test_a_withdrawal_released_after_review_writes_no_notice(backend_db: Database, reviewed: str) -> None:
    p = with_email(backend_db)
    oid = order(backend_db, p, assign(backend_db, p, reviewed)).order_id
    assert oid
    set_result(backend_db, a_result(oid, 1))
    services.release_results(backend_db.uow(), ctx("staff"), oid, STAFF)
    withdrawal = replace(a_result(oid, 2, ReportStatus.CORRECTED), analysis_results=(
        AnalysisResult(demo.HBA1C.code, None, AnalysisStatus.ENTERED_IN_ERROR),))
    set_result(backend_db, replace(withdrawal, report_time=withdrawal.report_time + timedelta(minutes=3)))
    services.release_results(backend_db.uow(), ctx("staff"), oid, STAFF)
    assert kinds(backend_db, p) == [NoticeKind.NEW_RESULT]  # the first release's alone


def test_a_patient_with_a_reservnummer_is_told_of_a_released_result(backend_db: Database, reviewed: str) -> None:
    # unlike the engagement index, a notice goes to every patient who chose one
    reserve = PersonId(f"99{uuid.uuid4().int % 10**10:010d}", demo.RESERVE_NUMBERS_A.oid)
    with backend_db.uow() as uow:
        uow.notices.put_settings(NoticeSettings(reserve, NoticeChannel.EMAIL, EMAIL, None, NOW))
        uow.commit()
    oid = order(backend_db, reserve, assign(backend_db, reserve, reviewed)).order_id
    assert oid
    set_result(backend_db, a_result(oid, 1))
    services.release_results(backend_db.uow(), ctx("staff"), oid, STAFF)
    assert kinds(backend_db, reserve) == [NoticeKind.NEW_RESULT]


def test_an_order_about_to_expire_gets_one_reminder(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = site_ordered(backend_db, p)
    with backend_db.uow() as uow:
        valid_to = uow.orders.get(oid).valid_to  # type: ignore[union-attr]
    services.remind_due(backend_db.uow(), valid_to - timedelta(days=1))
    services.remind_due(backend_db.uow(), valid_to - timedelta(hours=12))
    assert kinds(backend_db, p) == [NoticeKind.ORDER_EXPIRING]


def test_a_reminder_written_shows_in_the_access_log(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = site_ordered(backend_db, p)
    with backend_db.uow() as uow:
        valid_to = uow.orders.get(oid).valid_to  # type: ignore[union-attr]
    services.remind_due(backend_db.uow(), valid_to - timedelta(days=1))
    with backend_db.uow() as uow:
        records = uow.audit.for_patient(p.id)
    assert [(r.operation, r.action) for r in records][-1] == ("Housekeeping", "WRITE")


def test_an_order_far_from_expiry_gets_no_reminder(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = site_ordered(backend_db, p)
    with backend_db.uow() as uow:
        valid_to = uow.orders.get(oid).valid_to  # type: ignore[union-attr]
    services.remind_due(backend_db.uow(), valid_to - notices.ORDER_EXPIRY_NOTICE - timedelta(hours=1))
    assert notice_events(backend_db, p) == []


def test_a_kit_out_gets_one_return_reminder_before_its_window_closes(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = kit_ordered(backend_db, p)
    status(backend_db, oid, OrderStatus.KIT_SENT)
    with backend_db.uow() as uow:
        closes = uow.orders.get(oid).expires_at()  # type: ignore[union-attr]
    services.remind_due(backend_db.uow(), closes - timedelta(days=1))
    services.remind_due(backend_db.uow(), closes - timedelta(hours=2))
    assert kinds(backend_db, p) == [NoticeKind.KIT_SENT, NoticeKind.KIT_RETURN_REMINDER]


# ------------------------------------------------------------------ delivery


def due_event(db: Database, patient: PersonId, kind: NoticeKind = NoticeKind.NEW_RESULT) -> OutboxEvent:
    event = OutboxEvent.notice(patient, kind, str(uuid.uuid4()), NOW)
    with db.uow() as uow:
        uow.outbox.add(event)
        uow.commit()
    return event


def test_a_notice_goes_to_the_address_chosen(backend_db: Database) -> None:
    p = with_email(backend_db)
    outgoing = services.prepare_notice(backend_db.uow(), due_event(backend_db, p), NOW)
    assert outgoing is not None
    assert (outgoing.channel, outgoing.address) == (NoticeChannel.EMAIL, EMAIL)


def test_the_outgoing_notice_is_keyed_by_the_event(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    outgoing = services.prepare_notice(backend_db.uow(), event, NOW)
    assert outgoing is not None
    assert outgoing.event_id == event.event_id


def test_a_notice_sent_is_not_sent_again(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    outgoing = services.prepare_notice(backend_db.uow(), event, NOW)
    assert outgoing is not None
    services.record_notice_sent(backend_db.uow(), event, outgoing, NOW)
    assert services.prepare_notice(backend_db.uow(), event, NOW + timedelta(days=2)) is None


def test_recording_the_same_notice_twice_is_a_no_op(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    outgoing = services.prepare_notice(backend_db.uow(), event, NOW)
    assert outgoing is not None
    services.record_notice_sent(backend_db.uow(), event, outgoing, NOW)
    services.record_notice_sent(backend_db.uow(), event, outgoing, NOW)
    with backend_db.uow() as uow:
        assert len(uow.notices.sent_since(p, NOW - timedelta(days=1))) == 1


def test_a_patient_who_turned_notices_off_after_the_event_gets_none(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    set_settings(backend_db, p, NoticeChannel.NONE)
    assert services.prepare_notice(backend_db.uow(), event, NOW) is None


def send(db: Database, event: OutboxEvent, now=NOW) -> bool:  # type: ignore[no-untyped-def]
    outgoing = services.prepare_notice(db.uow(), event, now)
    if outgoing is not None:
        services.record_notice_sent(db.uow(), event, outgoing, now)
    return outgoing is not None


def test_a_second_notice_of_a_kind_within_the_hour_is_folded(backend_db: Database) -> None:
    p = with_email(backend_db)
    send(backend_db, due_event(backend_db, p))
    assert not send(backend_db, due_event(backend_db, p), NOW + timedelta(minutes=30))


def test_a_notice_of_another_kind_within_the_hour_goes_out(backend_db: Database) -> None:
    p = with_email(backend_db)
    send(backend_db, due_event(backend_db, p))
    assert send(backend_db, due_event(backend_db, p, NoticeKind.KIT_SENT), NOW + timedelta(minutes=30))


def test_a_notice_of_the_same_kind_after_the_hour_goes_out(backend_db: Database) -> None:
    p = with_email(backend_db)
    send(backend_db, due_event(backend_db, p))
    assert send(backend_db, due_event(backend_db, p), NOW + timedelta(minutes=61))


def test_at_most_four_notices_a_day(backend_db: Database) -> None:
    p = with_email(backend_db)
    for hours in range(4):
        send(backend_db, due_event(backend_db, p), NOW + timedelta(hours=2 * hours))
    assert not send(backend_db, due_event(backend_db, p), NOW + timedelta(hours=9))


def test_sending_reads_the_address_into_the_access_log(backend_db: Database) -> None:
    p = with_email(backend_db)
    send(backend_db, due_event(backend_db, p))
    with backend_db.uow() as uow:
        records = uow.audit.for_patient(p.id)
    assert [(r.operation, r.action) for r in records][-1] == ("SendNotice", "READ")


def test_a_channel_the_sender_cannot_use_is_refused(backend_db: Database) -> None:
    p = with_email(backend_db)
    with pytest.raises(notices.ChannelUnavailable):
        services.prepare_notice(backend_db.uow(), due_event(backend_db, p), NOW, channels=(NoticeChannel.SMS,))


def test_a_channel_the_sender_cannot_use_reads_no_address(backend_db: Database) -> None:
    p = with_email(backend_db)
    with pytest.raises(notices.ChannelUnavailable):
        services.prepare_notice(backend_db.uow(), due_event(backend_db, p), NOW, channels=(NoticeChannel.SMS,))
    with backend_db.uow() as uow:
        records = uow.audit.for_patient(p.id)
    assert "SendNotice" not in [r.operation for r in records]


def test_a_non_notice_event_is_not_prepared(backend_db: Database) -> None:
    p = with_email(backend_db)
    oid = site_ordered(backend_db, p)
    with backend_db.uow() as uow:
        order_ = uow.orders.get(oid)
    assert order_ is not None
    with pytest.raises(TypeError):
        services.prepare_notice(backend_db.uow(), OutboxEvent.index_update(order_, NOW), NOW)


def test_notice_events_are_of_their_own_kind(backend_db: Database) -> None:
    assert due_event(backend_db, with_email(backend_db)).kind is EventKind.NOTICE


def stored_payload(db: Database, event_id: str) -> dict[str, object]:
    with db.engine.connect() as conn:
        payload = conn.execute(select(outbox_event.c.payload).where(outbox_event.c.event_id == event_id)).scalar_one()
    return dict(payload)


def test_the_stored_notice_event_holds_whom_which_kind_and_order(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p, NoticeKind.ORDER_EXPIRING)
    assert set(stored_payload(backend_db, event.event_id)) == {"patientId", "patientType", "notice", "orderId"}


def test_the_stored_notice_event_holds_no_address(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    assert EMAIL not in str(stored_payload(backend_db, event.event_id))


def test_the_outbox_list_names_the_notice_s_kind(backend_db: Database) -> None:
    event = due_event(backend_db, with_email(backend_db), NoticeKind.KIT_RETURN_REMINDER)
    assert "notice KIT_RETURN_REMINDER" in outbox_line(event)


def test_the_outbox_list_names_no_patient(backend_db: Database) -> None:
    p = with_email(backend_db)
    assert p.id not in outbox_line(due_event(backend_db, p))


# ------------------------------------------------------------------ forgetting


def test_records_of_notices_sent_are_forgotten_after_two_days(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    assert send(backend_db, event)
    services.forget_sent(backend_db.uow(), NOW + notices.KEEP_SENT + timedelta(seconds=1))
    with backend_db.uow() as uow:
        assert not uow.notices.was_sent(event.event_id)


def test_records_of_notices_sent_are_kept_for_two_days(backend_db: Database) -> None:
    p = with_email(backend_db)
    event = due_event(backend_db, p)
    assert send(backend_db, event)
    services.forget_sent(backend_db.uow(), NOW + notices.KEEP_SENT - timedelta(seconds=1))
    with backend_db.uow() as uow:
        assert uow.notices.was_sent(event.event_id)
