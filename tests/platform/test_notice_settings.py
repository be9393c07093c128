"""The patient's notice settings over real HTTP through the platform to the service (RC4): the
citizen e-service sets and reads them for the patient it names; nobody else may; a bad address
is a VALIDATION_ERROR that names the field and not the value; the patient's access log shows
both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zeep.exceptions

from eph import demo
from tests.support import ROOT, PlatformProcess, Soap, patient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def citizen(platform: PlatformProcess) -> Soap:
    return Soap(platform.base_url, demo.CITIZEN_SERVICE, via_platform=platform.instance_id)


def set_notices(platform: PlatformProcess, p: dict[str, str], channel: str, by: dict[str, str] | None = None,
                **address: str) -> Any:
    return citizen(platform)("SetNoticeSettings", patientId=p, channel=channel,
                             changedBy=by or {"actorType": "PATIENT", "id": p["id"]}, **address).result


def test_the_patient_s_sms_choice_is_read_back_as_e164(demo_platform: PlatformProcess) -> None:
    p = patient()
    set_notices(demo_platform, p, "SMS", mobileNumber="070-123 45 67")
    settings = citizen(demo_platform)("GetNoticeSettings", patientId=p).noticeSettings
    assert (settings.channel, settings.mobileNumber) == ("SMS", "+46701234567")


def test_a_patient_who_never_chose_has_no_settings(demo_platform: PlatformProcess) -> None:
    assert citizen(demo_platform)("GetNoticeSettings", patientId=patient()).noticeSettings is None


def test_a_bad_e_mail_address_is_a_validation_error_naming_the_field(demo_platform: PlatformProcess) -> None:
    result = set_notices(demo_platform, patient(), "EMAIL", emailAddress="tolvan.example.se")
    assert (result.resultCode, result.errorCode) == ("ERROR", "VALIDATION_ERROR")


def test_the_refusal_does_not_echo_the_address(demo_platform: PlatformProcess) -> None:
    result = set_notices(demo_platform, patient(), "EMAIL", emailAddress="tolvan.example.se")
    assert "tolvan" not in result.message


def test_naming_another_patient_is_refused(demo_platform: PlatformProcess) -> None:
    result = set_notices(demo_platform, patient(), "NONE", by={"actorType": "PATIENT", "id": patient()["id"]})
    assert (result.resultCode, result.subCode) == ("ERROR", "EPH006")


def test_a_journal_system_may_not_read_them(demo_platform: PlatformProcess) -> None:
    ehr = Soap(demo_platform.base_url, demo.EHR_A, via_platform=demo_platform.instance_id)
    with pytest.raises(zeep.exceptions.Fault):
        ehr("GetNoticeSettings", patientId=patient())


def test_the_access_log_shows_the_change_and_the_read(demo_platform: PlatformProcess) -> None:
    p = patient()
    set_notices(demo_platform, p, "EMAIL", emailAddress="tolvan@example.se")
    citizen(demo_platform)("GetNoticeSettings", patientId=p)
    log = citizen(demo_platform)("GetAccessLog", patientId=p)
    assert [(e.interaction, e.action) for e in log.accessLogEntry][:2] == [
        ("GetNoticeSettings", "READ"), ("SetNoticeSettings", "WRITE")]


def test_the_same_choice_again_answers_info(demo_platform: PlatformProcess) -> None:
    p = patient()
    set_notices(demo_platform, p, "EMAIL", emailAddress="tolvan@example.se")
    assert set_notices(demo_platform, p, "EMAIL", emailAddress="tolvan@example.se").resultCode == "INFO"


def test_the_repeat_reads_back_in_the_access_log(demo_platform: PlatformProcess) -> None:
    # every entry the repeat leaves validates against the contract (the autouse check)
    p = patient()
    set_notices(demo_platform, p, "NONE")
    set_notices(demo_platform, p, "NONE")
    log = citizen(demo_platform)("GetAccessLog", patientId=p)
    assert [e.interaction for e in log.accessLogEntry] == ["SetNoticeSettings", "SetNoticeSettings"]


def eph_citizen(platform: PlatformProcess, *args: str) -> str:
    done = subprocess.run([str(Path(sys.executable).parent / "eph"), "citizen", *args, "--platform", platform.base_url,
                           "--instance-id", platform.instance_id], capture_output=True, text=True, check=True,
                          cwd=ROOT, timeout=60)
    return done.stdout


def test_eph_citizen_sets_and_shows_the_choice(demo_platform: PlatformProcess) -> None:
    number = patient()["id"]
    eph_citizen(demo_platform, "set-notices", number, "SMS", "--mobile", "0701234567")
    assert "+46701234567" in eph_citizen(demo_platform, "notices", number)
