"""A large published version shaped like the national catalogue's, made on demand (deterministic).

What it holds that real published versions hold: thousands of rows; contracts of many
domains in several major versions; logical addresses and components that predate TAK's
HSA-id rule (names with Swedish letters, spaces, a line separator); authorizations granted
twice; routings that hand over to a new producer at the instant the old one ends; and a key
with two routings valid at once. ``tests/data/tak-export-script-dump.json`` is a small one,
written by hand, in the form TAK's export script writes.
"""

from __future__ import annotations

import random
from typing import Any

DOMAINS = ("clinicalprocess:healthcond:description", "clinicalprocess:activityprescription:actoutcome",
           "crm:scheduling", "clinicalprocess:logistics:logistics", "infrastructure:itintegration:registry",
           "itintegration:engagementindex", "ehr:patientconsent:querying", "insuranceprocess:healthreporting")
ODD_ADDRESSES = ("Ärendelådan", "SE 12345", "SE2321000016-ÖSTRA", "SE2321000016-LS\u2028", "Vårdcentralen Kärna",
                 "SE2321000016-TAB\t1")
ODD_COMPONENTS = ("Journalsystem Väst", "SE2321000016-LAB 2")
FOREVER = "2113-12-31T00:00:00+0100"


def published_version(rows: int = 3000, seed: int = 1177) -> dict[str, Any]:
    """About ``rows`` routings plus authorizations, and the entities they need."""
    rnd = random.Random(seed)
    contracts = [
        {"id": 1000 + i, "namnrymd": f"urn:riv:{DOMAINS[i % len(DOMAINS)]}:Contract{i}Responder:{1 + i % 3}",
         "beskrivning": f"Tjänstekontrakt {i}", "majorVersion": 1 + i % 3, "minorVersion": i % 2, "pubversion": str(i)}
        for i in range(120)
    ]
    addresses = [{"id": 5000, "hsaId": "*", "beskrivning": "Standardvägval", "pubversion": "1"},
                 {"id": 5001, "hsaId": "SE", "beskrivning": "HSA-trädets rot", "pubversion": "1"}]
    addresses += [{"id": 5002 + i, "hsaId": name, "beskrivning": "äldre adress", "pubversion": "40"}
                  for i, name in enumerate(ODD_ADDRESSES)]
    addresses += [{"id": 5100 + i, "hsaId": f"SE2321000016-{i:05X}", "beskrivning": f"Vårdenhet {i}",
                   "pubversion": str(100 + i % 50)} for i in range(900)]
    components = [{"id": 8000 + i, "hsaId": f"SE2321000016-SYS{i:03d}", "beskrivning": f"System {i}",
                   "pubversion": "7"} for i in range(150)]
    components += [{"id": 8500 + i, "hsaId": name, "beskrivning": "äldre komponent", "pubversion": "3"}
                   for i, name in enumerate(ODD_COMPONENTS)]
    call_addresses = [{"id": 9000 + i, "adress": f"https://producer{i}.example/vp/service/{i}",
                       "pubversion": "8", "relationships": {"rivtaprofil": 1 + i % 2,
                                                            "tjanstekomponent": components[i % 150]["id"]}}
                      for i in range(300)]
    routings: list[dict[str, Any]] = []
    authorizations: list[dict[str, Any]] = []
    used: set[tuple[int, int]] = set()
    next_id = 20000
    while len(routings) + len(authorizations) < rows:
        contract = rnd.choice(contracts)["id"]
        address = rnd.choice(addresses)["id"]
        if (contract, address) in used:
            continue
        used.add((contract, address))
        call = rnd.choice(call_addresses)["id"]
        if len(routings) % 25 == 0:  # a hand-over: the next producer starts the instant the old one ends
            routings.append(_row(next_id, "2015-01-01T00:00:00+0100", "2021-06-01T00:00:00+0200",
                                 {"anropsadress": call, "logiskadress": address, "tjanstekontrakt": contract}))
            next_id += 1
            routings.append(_row(next_id, "2021-06-01T00:00:00+0200", FOREVER,
                                 {"anropsadress": rnd.choice(call_addresses)["id"], "logiskadress": address,
                                  "tjanstekontrakt": contract}))
        else:
            routings.append(_row(next_id, "2014-03-10T00:00:00+0100", FOREVER,
                                 {"anropsadress": call, "logiskadress": address, "tjanstekontrakt": contract}))
        next_id += 1
        for _ in range(rnd.randint(0, 2)):
            consumer = rnd.choice(components)["id"]
            grant = _row(next_id, "2014-03-10T00:00:00+0100", FOREVER,
                         {"logiskAdress": address, "tjanstekomponent": consumer, "tjanstekontrakt": contract},
                         integrationsavtal=f"AVT-{next_id % 97}")
            authorizations.append(grant)
            next_id += 1
            if next_id % 40 == 0:  # granted twice
                authorizations.append({**grant, "id": next_id})
                next_id += 1
    # one key with two routings valid at once (the router answers VP006 for it)
    first = routings[1]
    routings.append({**first, "id": next_id, "relationships": {**first["relationships"],
                                                               "anropsadress": call_addresses[0]["id"]}})
    filters = [{"id": 30000 + i, "servicedomain": "riv:clinicalprocess:logistics:logistics", "pubversion": "9",
                "relationships": {"anropsbehorighet": authorizations[i]["id"]}} for i in range(20)]
    categorizations = [{"id": 31000 + i, "category": "vko", "pubversion": "9",
                        "relationships": {"filter": filters[i]["id"]}} for i in range(20)]
    return {
        "formatVersion": "1", "version": "2210", "tidpunkt": "2025-02-03T14:22:09+0100", "utforare": "tak-admin",
        "kommentar": "Publicerad version", "data": {
            "rivtaprofil": [{"id": 1, "namn": "RIVTABP20", "beskrivning": "RIV TA BP 2.0", "pubversion": "1"},
                            {"id": 2, "namn": "RIVTABP21", "beskrivning": "RIV TA BP 2.1", "pubversion": "1"}],
            "tjanstekontrakt": contracts, "logiskadress": addresses, "tjanstekomponent": components,
            "anropsadress": call_addresses, "anropsbehorighet": authorizations, "vagval": routings,
            "filter": filters, "filtercategorization": categorizations,
        },
    }


def _row(row_id: int, start: str, end: str, relationships: dict[str, int], **fields: str) -> dict[str, Any]:
    return {"id": row_id, **fields, "fromTidpunkt": start, "tomTidpunkt": end, "pubversion": "2200",
            "relationships": relationships}
