"""Settings of the journal system's notification subscriber, from the environment (``EPH_EHR_*``;
the platform's address and instance id as the other consumers read them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..client import DEFAULT_INSTANCE_ID, Connection, Identity
from ..engagement_index.config import _env, _opt, _platform_url

# the demo journal system of care giver A: its HSA-id is also the logical address the index
# notifies it at
EHR_SYSTEM = "SE2321000016-EHR1"
CARE_GIVER = "SE2321000016-CG01"
CARE_UNIT = "SE2321000016-CU01"


@dataclass(frozen=True)
class JournalConfig:
    bind: str = field(default_factory=lambda: _env("EPH_EHR_BIND", "127.0.0.1:8085"))
    hsa_id: str = field(default_factory=lambda: _env("EPH_EHR_HSA_ID", EHR_SYSTEM))
    # the care giver whose results the journal imports (GetLaboratoryOrderOutcome's careGiverHSAId)
    care_giver: str = field(default_factory=lambda: _env("EPH_EHR_CARE_GIVER", CARE_GIVER))
    # the care unit the journal system acts for in its own calls (an offer it assigns)
    care_unit: str = field(default_factory=lambda: _env("EPH_EHR_CARE_UNIT", CARE_UNIT))
    # the journal's own database (not the service's)
    database_url: str = field(default_factory=lambda: _env("EPH_EHR_DATABASE_URL", "sqlite:///var/ehr-journal.sqlite3"))
    platform: str = field(default_factory=_platform_url)
    instance_id: str = field(default_factory=lambda: _env("EPH_VP_INSTANCE_ID", DEFAULT_INSTANCE_ID))
    cert: str | None = field(default_factory=lambda: _opt("EPH_EHR_CERT"))
    key: str | None = field(default_factory=lambda: _opt("EPH_EHR_KEY"))
    ca: str | None = field(default_factory=lambda: _opt("EPH_EHR_CA"))
    # the first delay before a failed fetch is tried again (doubling to an hour); 0: never again
    retry_seconds: float = field(default_factory=lambda: float(_env("EPH_EHR_RETRY_SECONDS", "30")))
    workers: int = field(default_factory=lambda: int(_env("EPH_EHR_WORKERS", "1")))
    threads: int = field(default_factory=lambda: int(_env("EPH_EHR_THREADS", "4")))

    @property
    def organisation(self) -> str:
        """The care giver's organisation as the index's dataController writes it (SE + its number)."""
        return self.care_giver.split("-")[0]

    def connection(self) -> Connection:
        identity = Identity(self.hsa_id, instance_id=self.instance_id, cert=self.cert, key=self.key, ca=self.ca)
        return Connection(identity, self.platform, self.hsa_id, timeout=30)
