"""What `eph serve all` starts: in development also the stand-ins of the engagement index and of the
demo journal system's subscriber and of an SMS gateway, with the index push and the notices on by
default; in production none."""

from __future__ import annotations

from eph import demo
from eph.cli.serve import serve_all_plan


def test_development_starts_the_engagement_index() -> None:
    assert "engagement-index" in serve_all_plan({}, production=False)[0]


def test_development_starts_the_journal_subscriber() -> None:
    assert "ehr-subscriber" in serve_all_plan({}, production=False)[0]


def test_production_starts_no_stand_in() -> None:
    assert serve_all_plan({}, production=True)[0] == ("service", "platform", "staff", "citizen")


def test_development_turns_the_index_push_on() -> None:
    assert serve_all_plan({}, production=False)[1]["EPH_INDEX_PUSH"] == "1"


def test_an_explicit_index_push_off_stays_off() -> None:
    assert serve_all_plan({"EPH_INDEX_PUSH": "0"}, production=False)[1]["EPH_INDEX_PUSH"] == "0"


def test_production_leaves_the_index_push_as_configured() -> None:
    assert "EPH_INDEX_PUSH" not in serve_all_plan({}, production=True)[1]


def test_the_index_s_subscriber_is_the_journal_system() -> None:
    assert serve_all_plan({}, production=False)[1]["EPH_EI_SUBSCRIBERS"] == demo.EHR_A


def test_configured_subscribers_are_kept() -> None:
    assert serve_all_plan({"EPH_EI_SUBSCRIBERS": "X"}, production=False)[1]["EPH_EI_SUBSCRIBERS"] == "X"


def test_an_index_bind_of_none_leaves_the_index_out() -> None:
    assert "engagement-index" not in serve_all_plan({"EPH_EI_BIND": "none"}, production=False)[0]


def test_without_the_index_the_push_stays_off() -> None:
    assert "EPH_INDEX_PUSH" not in serve_all_plan({"EPH_EI_BIND": "none"}, production=False)[1]


def test_a_journal_bind_of_none_leaves_the_subscriber_out() -> None:
    assert "ehr-subscriber" not in serve_all_plan({"EPH_EHR_BIND": "none"}, production=False)[0]


def test_development_starts_the_sms_gateway() -> None:
    assert "sms-gateway" in serve_all_plan({}, production=False)[0]


def test_development_sends_notices_to_the_sms_gateway() -> None:
    plan = serve_all_plan({"EPH_SMS_GATEWAY_BIND": "127.0.0.1:9999"}, production=False)[1]
    assert plan["EPH_NOTICE_SMS_URL"] == "http://127.0.0.1:9999/sms"


def test_development_gives_the_notices_the_gateway_s_token() -> None:
    plan = serve_all_plan({"EPH_SMS_GATEWAY_TOKEN": "t0ken"}, production=False)[1]
    assert plan["EPH_NOTICE_SMS_TOKEN"] == "t0ken"


def test_a_configured_mail_server_keeps_the_notices_off_the_stand_in() -> None:
    assert "EPH_NOTICE_SMS_URL" not in serve_all_plan({"EPH_NOTICE_SMTP_HOST": "mail"}, production=False)[1]


def test_a_gateway_bind_of_none_leaves_the_gateway_out() -> None:
    assert "sms-gateway" not in serve_all_plan({"EPH_SMS_GATEWAY_BIND": "none"}, production=False)[0]


def test_production_sends_no_notice_to_a_stand_in() -> None:
    assert "EPH_NOTICE_SMS_URL" not in serve_all_plan({}, production=True)[1]


def test_development_starts_the_population_register() -> None:
    assert "population-register" in serve_all_plan({}, production=False)[0]


def test_development_points_the_service_at_the_register() -> None:
    plan = serve_all_plan({"EPH_POPULATION_REGISTER_BIND": "127.0.0.1:9998"}, production=False)[1]
    assert plan["EPH_POPULATION_URL"] == "http://127.0.0.1:9998"


def test_development_gives_the_service_the_register_s_token() -> None:
    plan = serve_all_plan({"EPH_POPULATION_REGISTER_TOKEN": "t0ken"}, production=False)[1]
    assert plan["EPH_POPULATION_TOKEN"] == "t0ken"


def test_a_configured_register_is_kept() -> None:
    plan = serve_all_plan({"EPH_POPULATION_URL": "https://pu.example"}, production=False)[1]
    assert plan["EPH_POPULATION_URL"] == "https://pu.example"


def test_a_register_bind_of_none_leaves_the_register_out() -> None:
    assert "population-register" not in serve_all_plan({"EPH_POPULATION_REGISTER_BIND": "none"}, production=False)[0]


def test_production_points_nothing_at_the_register_stand_in() -> None:
    assert "EPH_POPULATION_URL" not in serve_all_plan({}, production=True)[1]
