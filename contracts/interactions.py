"""The interactions of the service domain release: the single list that producers,
consumers, the platform's demo catalogue and the tests take names, namespaces,
files and URLs from."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

WSDL_ROOT = Path(os.environ.get("EPH_WSDL_DIR") or Path(__file__).resolve().parent.parent / "wsdl")
SCHEMAS = WSDL_ROOT / "schemas"
CORE_COMPONENTS = SCHEMAS / "core_components"
INTERACTIONS_DIR = SCHEMAS / "interactions"
# national contracts the service produces, each taken unchanged from its public release, in
# the release's own folders (its core_components and interactions)
NATIONAL = WSDL_ROOT / "national"
ACTOUTCOME_SCHEMAS = NATIONAL / "clinicalprocess-healthcond-actoutcome"
ENGAGEMENTINDEX_SCHEMAS = NATIONAL / "itintegration-engagementindex"

RIVTA_PROFILE = "rivtabp21"


@dataclass(frozen=True, slots=True)
class Interaction:
    name: str
    domain: str  # "clinicalprocess:activity:selfsampling"
    write: bool  # writes answer with ResultType; reads answer faults
    major: int = 1
    schemas: Path = SCHEMAS  # the release folder holding core_components/ and interactions/

    @property
    def responder_ns(self) -> str:
        return f"urn:riv:{self.domain}:{self.name}Responder:{self.major}"

    @property
    def wsdl_ns(self) -> str:
        return f"urn:riv:{self.domain}:{self.name}:{self.major}:{RIVTA_PROFILE}"

    @property
    def soap_action(self) -> str:
        return f"{self.responder_ns}:{self.name}"

    @property
    def request_element(self) -> str:
        return f"{{{self.responder_ns}}}{self.name}"

    @property
    def folder(self) -> Path:
        return self.schemas / "interactions" / f"{self.name}Interaction"

    @property
    def core_components(self) -> Path:
        return self.schemas / "core_components"

    @property
    def wsdl_path(self) -> Path:
        return self.folder / f"{self.name}Interaction_{self.major}.0_RIVTABP21.wsdl"

    @property
    def xsd_path(self) -> Path:
        return self.folder / f"{self.name}Responder_{self.major}.0.xsd"

    @property
    def path(self) -> str:
        """The conventional address path, e.g. /clinicalprocess/activity/selfsampling/GetOrders/1/rivtabp21."""
        return f"/{self.domain.replace(':', '/')}/{self.name}/{self.major}/{RIVTA_PROFILE}"

    @property
    def url_path(self) -> str:
        """Where the service answers it: /eph + path."""
        return "/eph" + self.path


SELFSAMPLING = "clinicalprocess:activity:selfsampling"
MONITORING = "itintegration:monitoring"

GET_OFFER_CATALOG = Interaction("GetOfferCatalog", SELFSAMPLING, write=False)
ASSIGN_OFFER = Interaction("AssignOffer", SELFSAMPLING, write=True)
REVOKE_OFFER = Interaction("RevokeOffer", SELFSAMPLING, write=True)
GET_OFFERS = Interaction("GetOffers", SELFSAMPLING, write=False)
CREATE_ORDER = Interaction("CreateOrder", SELFSAMPLING, write=True)
GET_ORDERS = Interaction("GetOrders", SELFSAMPLING, write=False)
SET_ORDER_STATUS = Interaction("SetOrderStatus", SELFSAMPLING, write=True)
CANCEL_ORDER = Interaction("CancelOrder", SELFSAMPLING, write=True)
SET_RESULT = Interaction("SetResult", SELFSAMPLING, write=True)
GET_RESULTS = Interaction("GetResults", SELFSAMPLING, write=False)
GET_SAMPLING_SITES = Interaction("GetSamplingSites", SELFSAMPLING, write=False)
GET_ACCESS_LOG = Interaction("GetAccessLog", SELFSAMPLING, write=False)
GET_NOTICE_SETTINGS = Interaction("GetNoticeSettings", SELFSAMPLING, write=False)
SET_NOTICE_SETTINGS = Interaction("SetNoticeSettings", SELFSAMPLING, write=True)
PING_FOR_CONFIGURATION = Interaction("PingForConfiguration", MONITORING, write=False)

SELFSAMPLING_INTERACTIONS: tuple[Interaction, ...] = (
    GET_OFFER_CATALOG,
    ASSIGN_OFFER,
    REVOKE_OFFER,
    GET_OFFERS,
    CREATE_ORDER,
    GET_ORDERS,
    SET_ORDER_STATUS,
    CANCEL_ORDER,
    SET_RESULT,
    GET_RESULTS,
    GET_SAMPLING_SITES,
    GET_ACCESS_LOG,
    GET_NOTICE_SETTINGS,
    SET_NOTICE_SETTINGS,
)
ALL_INTERACTIONS: tuple[Interaction, ...] = SELFSAMPLING_INTERACTIONS + (PING_FOR_CONFIGURATION,)

# The platform's catalogue look-ups (served by the platform, not by the service).
REGISTRY_V2 = "infrastructure:itintegration:registry"
GET_LOGICAL_ADDRESSEES = Interaction("GetLogicalAddresseesByServiceContract", REGISTRY_V2, write=False, major=2)
GET_SUPPORTED_CONTRACTS = Interaction("GetSupportedServiceContracts", REGISTRY_V2, write=False, major=2)
REGISTRY_INTERACTIONS: tuple[Interaction, ...] = (GET_LOGICAL_ADDRESSEES, GET_SUPPORTED_CONTRACTS)

RELEASE: tuple[Interaction, ...] = ALL_INTERACTIONS + REGISTRY_INTERACTIONS

# The national contract for laboratory results, which the service produces for released results.
ACTOUTCOME = "clinicalprocess:healthcond:actoutcome"
GET_LABORATORY_ORDER_OUTCOME = Interaction(
    "GetLaboratoryOrderOutcome", ACTOUTCOME, write=False, major=4, schemas=ACTOUTCOME_SCHEMAS
)
NATIONAL_INTERACTIONS: tuple[Interaction, ...] = (GET_LABORATORY_ORDER_OUTCOME,)

# every contract the service answers: its own domain's, the monitoring ping and the national ones
SERVED_INTERACTIONS: tuple[Interaction, ...] = ALL_INTERACTIONS + NATIONAL_INTERACTIONS
BY_NAME: dict[str, Interaction] = {i.name: i for i in RELEASE + NATIONAL_INTERACTIONS}
BY_RESPONDER_NS: dict[str, Interaction] = {i.responder_ns: i for i in RELEASE + NATIONAL_INTERACTIONS}

# The national engagement index's contracts, which the index stand-in (consumers/engagement_index)
# produces (Update, FindContent) and sends to its subscribers (ProcessNotification); the
# self-sampling service neither serves nor routes them itself.
ENGAGEMENTINDEX = "itintegration:engagementindex"
UPDATE = Interaction("Update", ENGAGEMENTINDEX, write=True, schemas=ENGAGEMENTINDEX_SCHEMAS)
FIND_CONTENT = Interaction("FindContent", ENGAGEMENTINDEX, write=False, schemas=ENGAGEMENTINDEX_SCHEMAS)
PROCESS_NOTIFICATION = Interaction("ProcessNotification", ENGAGEMENTINDEX, write=True, schemas=ENGAGEMENTINDEX_SCHEMAS)
ENGAGEMENTINDEX_INTERACTIONS: tuple[Interaction, ...] = (UPDATE, FIND_CONTENT, PROCESS_NOTIFICATION)
