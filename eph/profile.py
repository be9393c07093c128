"""The profile the servers run in: ``EPH_PROFILE`` ``development`` (the default) or ``production``.

In the production profile ``eph serve`` refuses to start while a development convenience is in
effect: a development login, identities believed from headers, the development PKI (files in
``EPH_CERTS_DIR`` or certificates of its CA), the development platform's identity, a session
key made at start, outbox events turned off (``EPH_OUTBOX_EVENTS=0``, for measuring), (with the
index push on) the service calling the platform by the development identity headers or over
plain HTTP, or (with notices on) a mail login without STARTTLS or an SMS gateway over plain HTTP
or with the stand-in's token, or (service and staff web) no population register, one over plain
HTTP or with the stand-in's token; and the stand-ins of national systems start not at all. The
message names each setting and never a value that could be a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from routing.config import PlatformConfig
from staff_web.config import StaffWebConfig

from .config import Settings
from .devpki import CA_NAME, PLATFORM_HSA_ID, DevPki

PROFILE = "EPH_PROFILE"
PROFILES = ("development", "production")
DEV_INSTANCE_ID = "eph-vp-dev"


def current() -> str:
    """The profile in force; SystemExit for a value that is neither."""
    value = (os.environ.get(PROFILE) or "development").strip().lower()
    if value not in PROFILES:
        raise SystemExit(f"{PROFILE} must be 'development' or 'production'")
    return value


def _dev_ca_certificate(path: Path) -> bool:
    """Whether the file holds a certificate of the development CA, or one it issued."""
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return False  # not a certificate (a key, or missing): the server says so when it reads it
    for cert in certs:
        for name in (cert.subject, cert.issuer):
            if any(a.value == CA_NAME for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)):
                return True
    return False


def _dev_pki_files(settings: Settings) -> set[Path]:
    pki = DevPki(settings.certs_dir)
    return {p.resolve() for pair in (pki.ca, pki.platform, pki.service) for p in (pair.cert, pair.key)}


def _pki_problems(settings: Settings, files: dict[str, str | None]) -> list[str]:
    """The settings among ``files`` (setting name: the path in force) that name the development PKI."""
    dev = _dev_pki_files(settings)
    out = []
    for name, value in files.items():
        if not value or value == "none":
            continue
        path = Path(value)
        if path.resolve() in dev or _dev_ca_certificate(path):
            out.append(f"{name} is a file of the development PKI (its CA is '{CA_NAME}')")
    return out


def _unset(name: str) -> bool:
    return not os.environ.get(name)


def service_problems(settings: Settings) -> list[str]:
    out = []
    files = {"EPH_SERVICE_TLS_CERT": settings.tls_cert, "EPH_SERVICE_TLS_KEY": settings.tls_key,
             "EPH_SERVICE_TLS_CA": settings.tls_ca}
    for name in files:
        if _unset(name):
            out.append(f"{name} is not set: the service would use the development PKI (made on first start)")
    out += _pki_problems(settings, {k: v for k, v in files.items() if not _unset(k)})
    if PLATFORM_HSA_ID in settings.trusted_platforms:
        out.append(f"EPH_TRUSTED_PLATFORMS names the development platform {PLATFORM_HSA_ID} (the default when unset)")
    from .outbox import outbox_events_on

    if not outbox_events_on():
        out.append("EPH_OUTBOX_EVENTS is off: the service would write no outbox events (for measuring only), and "
                   "the index would never be told of the results stored")
    return out + index_push_problems(settings) + notice_problems() + population_problems()


def index_push_problems(settings: Settings) -> list[str]:
    """With the index push on, the service calls the platform as a client: by certificate over TLS."""
    from .outbox import index_push_on

    if not index_push_on():
        return []
    out = []
    if _unset("EPH_INDEX_PUSH_CERT"):
        out.append("EPH_INDEX_PUSH_CERT is not set: the index push would call the platform with the development "
                   "identity headers (x-vp-sender-id)")
    if not (os.environ.get("EPH_INDEX_PUSH_PLATFORM_URL") or "").lower().startswith("https://"):
        out.append("EPH_INDEX_PUSH_PLATFORM_URL is not an https:// address: the index push would call the "
                   "platform's plain listener")
    out += _pki_problems(settings, {name: os.environ.get(name) for name in
                                    ("EPH_INDEX_PUSH_CERT", "EPH_INDEX_PUSH_KEY", "EPH_INDEX_PUSH_CA")})
    return out


def notice_problems() -> list[str]:
    """Notices (docs/operations.md, "Notices"): mail only over STARTTLS (the addresses are personal
    data, and a login would be sent too), the SMS gateway over https:// and not with the
    stand-in's development token."""
    from consumers.sms_gateway.config import DEV_TOKEN

    from .notices.smtp import _on

    out = []
    if os.environ.get("EPH_NOTICE_SMTP_HOST") and not _on(os.environ.get("EPH_NOTICE_SMTP_STARTTLS")):
        out.append("EPH_NOTICE_SMTP_HOST is set without EPH_NOTICE_SMTP_STARTTLS: the patients' addresses (and a "
                   "mail login) would be sent in the clear")
    url = os.environ.get("EPH_NOTICE_SMS_URL") or ""
    if url and not url.lower().startswith("https://"):
        out.append("EPH_NOTICE_SMS_URL is not an https:// address: numbers and the token would be sent in the clear")
    if url and os.environ.get("EPH_NOTICE_SMS_TOKEN") == DEV_TOKEN:
        out.append("EPH_NOTICE_SMS_TOKEN is the SMS gateway stand-in's development token")
    return out


def population_problems() -> list[str]:
    """The population register (protected identity): configured, over https://, and not with the
    stand-in's development token."""
    from consumers.population_register.config import DEV_TOKEN

    url = os.environ.get("EPH_POPULATION_URL") or ""
    if not url:
        return ["EPH_POPULATION_URL is not set: no population register, so nobody would be known to have "
                "protected identity"]
    out = []
    if not url.lower().startswith("https://"):
        out.append("EPH_POPULATION_URL is not an https:// address: identity numbers and the token would be sent "
                   "in the clear")
    if os.environ.get("EPH_POPULATION_TOKEN") == DEV_TOKEN:
        out.append("EPH_POPULATION_TOKEN is the population register stand-in's development token")
    return out


def platform_problems(settings: Settings, config: PlatformConfig) -> list[str]:
    out = []
    if config.http_allow:
        out.append("EPH_VP_HTTP_ALLOW is not empty (loopback when unset): from those addresses x-vp-sender-id "
                   "with the instance id identifies a caller on the plain listener; set it empty")
    if config.instance_id == DEV_INSTANCE_ID:
        out.append(f"EPH_VP_INSTANCE_ID is the development instance id {DEV_INSTANCE_ID} (the default when unset)")
    if not config.producer_client_cert:
        out.append("EPH_VP_PRODUCER_CERT is not set: the platform would show producers the development "
                   "platform certificate ('none' for no certificate)")
    out += _pki_problems(settings, {
        "EPH_VP_PRODUCER_CERT": config.producer_client_cert, "EPH_VP_PRODUCER_KEY": config.producer_client_key,
        "EPH_VP_PRODUCER_CA": config.producer_ca, "EPH_VP_TLS_CERT": config.tls_cert,
        "EPH_VP_TLS_KEY": config.tls_key, "EPH_VP_TLS_CA": config.tls_ca,
    })
    return out


def staff_problems(settings: Settings, config: StaffWebConfig) -> list[str]:
    # the staff web's only key (CSRF and the anonymous cookie) is made at random by its migration,
    # one per database: there is no default key to refuse
    out = []
    if config.dev_login:
        out.append("EPH_STAFF_DEV_LOGIN is on: the development password login")
    out += population_problems()
    out += _pki_problems(settings, {"EPH_STAFF_TLS_CERT": config.tls_cert, "EPH_STAFF_TLS_KEY": config.tls_key,
                                    "EPH_STAFF_TLS_CA": config.tls_ca})
    return out


def citizen_problems(settings: Settings) -> list[str]:
    from consumers.citizen_web.config import CitizenWebConfig

    config = CitizenWebConfig()
    out = []
    if config.dev_login:
        out.append("EPH_CITIZEN_WEB_DEV_LOGIN is on: the login by personnummer alone")
    if not config.cert:
        out.append("EPH_CITIZEN_WEB_CERT is not set: the web would call the platform with the development "
                   "identity headers (x-vp-sender-id)")
    if not config.platform.lower().startswith("https://"):
        out.append("EPH_PLATFORM_URL is not an https:// address: the web would call the platform's plain listener")
    if not config.session_key:
        out.append("EPH_CITIZEN_WEB_SESSION_KEY is not set: a key would be made at each start")
    if os.environ.get("EPH_POPULATION_URL"):  # the home region asked of the register: as safely as the service asks
        out += population_problems()
    out += _pki_problems(settings, {"EPH_CITIZEN_WEB_CERT": config.cert, "EPH_CITIZEN_WEB_KEY": config.key,
                                    "EPH_CITIZEN_WEB_CA": config.ca})
    return out


# stand-ins of national systems: in production the national systems themselves are used
STAND_INS = {
    "engagement-index": "the engagement index stand-in stands in for the national engagement index",
    "ehr-subscriber": "the journal system's subscriber is a stand-in for a care giver's own journal system",
    "sms-gateway": "the SMS gateway stand-in keeps the notices' SMS instead of sending them",
    "population-register": "the population register stand-in stands in for the national person service (PU)",
}


def problems(what: str, settings: Settings) -> dict[str, list[str]]:
    """The development settings in effect for ``eph serve <what>``, by server."""
    servers = ("service", "platform", "staff", "citizen") if what == "all" else (what,)
    found = {}
    for server in servers:
        if server in STAND_INS:
            found[server] = [f"eph serve {server}: {STAND_INS[server]}, not a production server"]
        elif server == "service":
            found[server] = service_problems(settings)
        elif server == "platform":
            found[server] = platform_problems(settings, PlatformConfig())
        elif server == "staff":
            found[server] = staff_problems(settings, StaffWebConfig())
        else:
            found[server] = citizen_problems(settings)
    return {k: v for k, v in found.items() if v}


def check(what: str, settings: Settings) -> None:
    """In the production profile, SystemExit naming every development setting in effect."""
    if current() != "production":
        return
    found = problems(what, settings)
    if not found:
        return
    lines = [f"eph serve {what}: {PROFILE}=production, and development settings are in effect:"]
    for server, items in found.items():
        lines += [f"  {server}: {item}" for item in items]
    lines.append("Configure these for production (docs/operations.md), or start without EPH_PROFILE=production.")
    raise SystemExit("\n".join(lines))
