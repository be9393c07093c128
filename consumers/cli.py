"""Command lines of the consumer systems, for a person at a terminal: ``eph lab``, ``eph sampling``,
``eph citizen``, ``eph ehr``, ``eph aggregator`` and ``eph demo`` (``eph --help`` and each command's ``--help`` list
them). Every command takes --as HSA-ID (who calls), --platform URL, --json, and for TLS
--cert/--key/--ca. Tables are for people; --json is for scripts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import output, result_files
from .aggregator import Aggregator
from .client import DEFAULT_INSTANCE_ID, DEFAULT_LOGICAL_ADDRESS, DEFAULT_PLATFORM, Connection, Identity
from .engagement_index.config import ENGAGEMENT_INDEX
from .errors import ConsumerError, LogicalError, VpFault
from .roles import CitizenService, EhrSystem, LabSystem, SamplingSystem, actor, extension
from .sms_gateway.config import DEV_TOKEN as DEV_SMS_TOKEN

DEFAULT_SENDERS = {
    "lab": "SE2321000016-LAB1",
    "sampling": "SE2321000016-PT01",
    "citizen": "SE5565594230-1177",
    "ehr": "SE2321000016-EHR1",
    "aggregator": "SE5565594230-AGP1",
}
SNOMED = "1.2.752.116.2.1.1"


# ------------------------------------------------------------------ commands


def _connection(args: argparse.Namespace, role: str) -> Connection:
    sender = args.sender or DEFAULT_SENDERS[role]
    identity = Identity(sender, instance_id=args.instance_id, cert=args.cert, key=args.key, ca=args.ca)
    return Connection(identity, args.platform, args.logical_address)


def _emit(args: argparse.Namespace, value: Any, table: Callable[[Any], None]) -> None:
    if args.json:
        json.dump(output.plain(value), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        table(value)


def _result_line(args: argparse.Namespace, response: Any, what: str) -> None:
    if args.json:
        _emit(args, response, lambda _: None)
        return
    r = response.result
    ids = {k: getattr(response, k, None) for k in ("offerId", "orderId", "referralId")}
    extra = "  ".join(f"{k} {v}" for k, v in ids.items() if v)
    print(f"{what}: {r.resultCode}" + (f" ({r.message})" if r.message else "") + (f"  {extra}" if extra else "")
          + f"  logId {r.logId}")


def lab_poll(args: argparse.Namespace) -> int:
    lab = LabSystem(_connection(args, "lab"), args.lab)
    progress = output.Progress("polling", enabled=args.progress or None)
    orders = list(lab.poll_orders(args.status or (), args.page_size, lambda pages, n: progress.update(n, f"orders, {pages} pages")))
    progress.close()
    _emit(args, orders, output.orders_table)
    return 0


def lab_status(args: argparse.Namespace) -> int:
    lab = LabSystem(_connection(args, "lab"), args.lab)
    if args.lab_command == "received":
        response = lab.mark_received(args.order_id)
    elif args.lab_command == "kit-sent":
        response = lab.kit_sent(args.order_id)
    else:
        response = lab.reject(args.order_id, comment=args.reason)
    _result_line(args, response, f"{args.lab_command} {args.order_id}")
    return 0


def lab_result(args: argparse.Namespace) -> int:
    lab = LabSystem(_connection(args, "lab"), args.lab)
    results = [r for f in args.files for r in result_files.read_results(Path(f))]
    problems = {n: result_files.check_result_file_entry({"performingLabHSAId": lab.lab, **r}) for n, r in enumerate(results, 1)}
    if any(problems.values()):
        for n, errors in problems.items():
            for e in errors:
                print(f"result {n}: {e}", file=sys.stderr)
        print("nothing sent", file=sys.stderr)
        return 1
    progress = output.Progress("sending", total=len(results), enabled=args.progress or None)
    failed = 0
    rows = []
    for n, result in enumerate(results, 1):
        try:
            r = lab.send_result(result).result
            rows.append((result.get("orderId"), result.get("resultVersion"), r.resultCode, "", r.logId))
        except LogicalError as e:
            failed += 1
            rows.append((result.get("orderId"), result.get("resultVersion"), "ERROR",
                         f"{e.error_code} {e.sub_code or ''}: {e.message}", e.log_id))
        progress.update(n)
    progress.close()
    if args.json:
        json.dump([dict(zip(("orderId", "resultVersion", "resultCode", "error", "logId"), r, strict=True)) for r in rows],
                  sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        output.table(rows, ("orderId", "version", "result", "error", "logId"))
    return 1 if failed else 0


def sampling_find(args: argparse.Namespace) -> int:
    s = SamplingSystem(_connection(args, "sampling"), args.unit)
    orders = s.find_by_referral(args.referral) if args.referral else s.find_by_patient(args.patient)
    _emit(args, orders, output.orders_table)
    return 0


def sampling_collected(args: argparse.Namespace) -> int:
    s = SamplingSystem(_connection(args, "sampling"), args.unit)
    material = {"code": args.material, "codeSystem": SNOMED} if args.material else None
    _result_line(args, s.register_collected(args.order_id, args.barcode, material), f"collected {args.order_id}")
    return 0


def citizen_cmd(args: argparse.Namespace) -> int:
    c = CitizenService(_connection(args, "citizen"))
    cmd = args.citizen_command
    if cmd == "offers":
        _emit(args, c.offers(args.number), lambda offers: output.table(
            [(o.offerId, o.offerCode, o.displayName, o.status, o.validTo, f"{o.ordersPlaced}/{o.maxOrders}",
              ",".join(o.samplingMode)) for o in offers],
            ("offerId", "code", "name", "status", "validTo", "orders", "modes")))
    elif cmd == "orders":
        _emit(args, c.orders(args.number), output.orders_table)
    elif cmd == "results":
        _emit(args, c.results(args.number), output.results_table)
    elif cmd == "access-log":
        _emit(args, list(c.access_log(args.number)), lambda entries: output.table(
            [(e.time, e.action, e.interaction, e.systemName or e.systemHSAId or "-",
              extension(e, "careUnitName") or e.careUnitHSAId or "-",
              (e.performedBy.name or e.performedBy.id) if e.performedBy else "-") for e in entries],
            ("time", "action", "what", "system", "care unit", "by")))
    elif cmd == "self-service":
        _emit(args, c.self_service_offers(args.care_giver), lambda defs: output.table(
            [(d.offerCode, d.displayName, ",".join(d.samplingMode), d.minAge or "-", d.selfServiceOrdersPerYear or "-")
             for d in defs], ("code", "name", "modes", "min age", "per year")))
    elif cmd == "sites":
        _emit(args, c.sites("", care_giver=args.care_giver), lambda sites: output.table(
            [(x.samplingUnitHSAId, x.name, f"{x.address.street}, {x.address.postalCode} {x.address.city}",
              x.openingHours or "-", x.performingLabHSAId) for x in sites], ("site", "name", "address", "hours", "lab")))
    elif cmd == "order":
        offer_id = None if args.offer_id == "-" else args.offer_id
        if (offer_id is None) != bool(args.care_giver and args.code):
            print("give an OFFER-ID, or - with --care-giver and --code for a self-service order", file=sys.stderr)
            return 2
        entry = {"care_giver": args.care_giver, "offer_code": args.code}
        if args.home_kit and args.unit:  # to a pickup point: the site where the patient collects the kit
            response = c.order_home_kit(offer_id, args.number, None, pickup_point=args.unit, **entry)
        elif args.home_kit:
            address = {"name": args.name, "street": args.street, "postalCode": args.postal_code, "city": args.city}
            if not all(address.values()):
                print("a home kit needs --name, --street, --postal-code and --city, or --unit (a pickup point)",
                      file=sys.stderr)
                return 2
            response = c.order_home_kit(offer_id, args.number, address, **entry)
        else:
            response = c.order_site_sampling(offer_id, args.number, args.unit, performing_lab=args.lab, **entry)
        _result_line(args, response, "order")
    elif cmd == "notices":
        settings = c.notice_settings(args.number)
        _emit(args, settings, lambda s: output.table(
            [(s.channel, s.emailAddress or s.mobileNumber or "-", s.changedTime)] if s else [],
            ("channel", "address", "changed")))
    elif cmd == "set-notices":
        _result_line(args, c.set_notice_settings(args.number, args.channel, args.email, args.mobile), "notices")
    else:
        _result_line(args, c.cancel(args.order_id, args.number), f"cancel {args.order_id}")
    return 0


def ehr_cmd(args: argparse.Namespace) -> int:
    e = EhrSystem(_connection(args, "ehr"), args.care_giver, args.care_unit)
    staff = actor("STAFF", args.staff)
    cmd = args.ehr_command
    if cmd == "catalog":
        _emit(args, e.catalogue(), lambda defs: output.table(
            [(d.offerCode, d.displayName, ",".join(d.samplingMode), d.resultRelease, "yes" if d.notifiable else "",
              ", ".join(a.code.code for a in d.analysis)) for d in defs],
            ("code", "name", "modes", "release", "notifiable", "analyses")))
    elif cmd == "assign":
        _result_line(args, e.assign(args.number, args.offer_code, staff, args.comment), "assign")
    elif cmd == "revoke":
        _result_line(args, e.revoke(args.offer_id, staff, args.reason), f"revoke {args.offer_id}")
    elif cmd == "orders":
        _emit(args, e.orders(args.number), output.orders_table)
    else:
        _emit(args, e.results(args.number), output.results_table)
    return 0


def aggregator_cmd(args: argparse.Namespace) -> int:
    """The patient's laboratory results from every source the engagement index names, merged."""
    found = Aggregator(_connection(args, "aggregator"), args.index).laboratory_outcomes(args.number)
    if args.json:
        json.dump({"laboratoryOrderOutcome": output.plain(found.outcomes),
                   "sources": [{"logicalAddress": s.logical_address, "records": s.records, "error": s.error}
                               for s in found.sources]}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        output.outcomes_table(found.outcomes)
        for s in found.sources:
            print(f"source {s.logical_address}: " + (f"failed, {s.error}" if s.error else f"{s.records} records"),
                  file=sys.stderr)
    return 0 if found.complete else 6


def demo_cmd(args: argparse.Namespace) -> int:
    from .demo import SmsGatewayInbox, play

    inbox = SmsGatewayInbox(args.sms_gateway, args.sms_token) if args.sms_gateway else None
    return 0 if play(args.platform, args.instance_id, sms_gateway=inbox) else 1


# ------------------------------------------------------------------ parsers


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--as", dest="sender", help="HSA-id of the calling system (default: the demo system of this role)")
    p.add_argument("--platform", default=os.environ.get("EPH_PLATFORM_URL", DEFAULT_PLATFORM))
    p.add_argument("--instance-id", default=os.environ.get("EPH_VP_INSTANCE_ID", DEFAULT_INSTANCE_ID),
                   help="the platform's instance id (development identity over plain HTTP)")
    p.add_argument("--logical-address", default=DEFAULT_LOGICAL_ADDRESS)
    p.add_argument("--cert", help="client certificate (TLS); its subject SERIALNUMBER is the sender")
    p.add_argument("--key")
    p.add_argument("--ca", help="the CA of the platform's certificate")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--progress", action="store_true", help="show progress even when not on a terminal")
    return p


def add_parsers(sub: Any) -> None:
    common = _common()
    lab = sub.add_parser("lab", help="act as a lab system").add_subparsers(dest="lab_command", required=True)
    poll = lab.add_parser("poll", parents=[common], help="orders addressed to the lab")
    poll.add_argument("--status", action="append", help="only orders in this status (repeatable)")
    poll.add_argument("--page-size", type=int, default=100)
    poll.set_defaults(func=lab_poll)
    for name, helptext in (("received", "the specimen arrived at the lab"), ("kit-sent", "a home kit was sent"),
                           ("reject", "the specimen cannot be analysed")):
        p = lab.add_parser(name, parents=[common], help=helptext)
        p.add_argument("order_id")
        if name == "reject":
            p.add_argument("--reason")
        p.set_defaults(func=lab_status)
    res = lab.add_parser("result", parents=[common], help="send results from JSON or XML files")
    res.add_argument("files", nargs="+")
    res.set_defaults(func=lab_result)
    for p in (poll, res, *[lab.choices[n] for n in ("received", "kit-sent", "reject")]):
        p.add_argument("--lab", help="the lab's HSA-id (default: the caller's)")

    sampling = sub.add_parser("sampling", help="act as a sampling site's system").add_subparsers(
        dest="sampling_command", required=True)
    find = sampling.add_parser("find", parents=[common], help="find an order")
    which = find.add_mutually_exclusive_group(required=True)
    which.add_argument("--referral", help="the referral code the patient shows")
    which.add_argument("--patient", help="personal identity number")
    find.set_defaults(func=sampling_find)
    col = sampling.add_parser("collected", parents=[common], help="register the collected specimen")
    col.add_argument("order_id")
    col.add_argument("--barcode", required=True)
    col.add_argument("--material", help="SNOMED CT-SE code of the specimen material")
    col.set_defaults(func=sampling_collected)
    for p in (find, col):
        p.add_argument("--unit", help="the sampling unit's HSA-id (default: the caller's)")

    citizen = sub.add_parser("citizen", help="act as the 1177 e-service").add_subparsers(
        dest="citizen_command", required=True)
    for name in ("offers", "orders", "results", "access-log", "notices"):
        p = citizen.add_parser(name, parents=[common])
        p.add_argument("number", help="the patient's personal identity number")
        p.set_defaults(func=citizen_cmd)
    for name in ("self-service", "sites"):
        p = citizen.add_parser(name, parents=[common])
        p.add_argument("care_giver", help="HSA-id of the care giver (region)")
        p.set_defaults(func=citizen_cmd)
    order = citizen.add_parser("order", parents=[common], help="order from an offer, or (OFFER-ID -) a self-service entry")
    order.add_argument("offer_id", help="the offer's id, or - for a self-service order")
    order.add_argument("number")
    order.add_argument("--care-giver", help="self-service: the care giver whose entry it is")
    order.add_argument("--code", help="self-service: the entry's offer code")
    order.add_argument("--home-kit", action="store_true")
    order.add_argument("--unit", help="the sampling site of choice (site sampling), or with --home-kit the pickup point "
                       "where the patient collects the kit (no address)")
    order.add_argument("--lab", help="performing lab of choice (site sampling; default: the site's or the offer's)")
    for field in ("name", "street", "postal-code", "city"):
        order.add_argument(f"--{field}")
    order.set_defaults(func=citizen_cmd)
    notices = citizen.add_parser("set-notices", parents=[common],
                                 help="choose notices by e-mail, SMS or none (as the patient)")
    notices.add_argument("number")
    notices.add_argument("channel", choices=("NONE", "EMAIL", "SMS"))
    notices.add_argument("--email", help="the e-mail address (EMAIL)")
    notices.add_argument("--mobile", help="the mobile number, 07… or +467… (SMS)")
    notices.set_defaults(func=citizen_cmd)
    cancel = citizen.add_parser("cancel", parents=[common])
    cancel.add_argument("order_id")
    cancel.add_argument("number")
    cancel.set_defaults(func=citizen_cmd)

    ehr = sub.add_parser("ehr", help="act as a journal system").add_subparsers(dest="ehr_command", required=True)
    ehr_parsers = [ehr.add_parser("catalog", parents=[common])]
    assign = ehr.add_parser("assign", parents=[common])
    assign.add_argument("number")
    assign.add_argument("offer_code")
    assign.add_argument("--comment")
    revoke = ehr.add_parser("revoke", parents=[common])
    revoke.add_argument("offer_id")
    revoke.add_argument("--reason")
    ehr_parsers += [assign, revoke]
    for name in ("orders", "results"):
        p = ehr.add_parser(name, parents=[common])
        p.add_argument("number")
        ehr_parsers.append(p)
    for p in ehr_parsers:
        p.add_argument("--care-giver", default="SE2321000016-CG01")
        p.add_argument("--care-unit", default="SE2321000016-CU01")
        p.add_argument("--staff", default="SE2321000016-ST01", help="HSA-id of the staff member acting")
        p.set_defaults(func=ehr_cmd)

    aggregator = sub.add_parser("aggregator", help="act as a national aggregating service (NPÖ, 1177 Journalen)"
                                ).add_subparsers(dest="aggregator_command", required=True)
    agg = aggregator.add_parser("results", parents=[common], help="a patient's laboratory results from every source "
                                "the engagement index names (FindContent, then GetLaboratoryOrderOutcome at each)")
    agg.add_argument("number", help="the patient's personal identity number")
    agg.add_argument("--index", default=ENGAGEMENT_INDEX, help="the engagement index's logical address")
    agg.set_defaults(func=aggregator_cmd)

    demo = sub.add_parser("demo", parents=[common], help="play the whole story through the platform")
    demo.add_argument("--sms-gateway", metavar="URL",
                      help="the SMS gateway stand-in's message list, where the patient's notice is looked for "
                           "(default: http://EPH_SMS_GATEWAY_BIND/messages, as eph serve all starts it)")
    demo.add_argument("--sms-token", default=os.environ.get("EPH_SMS_GATEWAY_TOKEN") or DEV_SMS_TOKEN,
                      help="its bearer token (EPH_SMS_GATEWAY_TOKEN; default the development token)")
    demo.set_defaults(func=demo_cmd)


def report(e: ConsumerError) -> int:
    """Print a consumer error for a person; the exit code tells scripts what kind it was."""
    if isinstance(e, VpFault):
        print(f"the platform refused the call: {e}", file=sys.stderr)
        print("  resending may help" if e.resend_may_help else "  resending will not help until this is fixed",
              file=sys.stderr)
        code = 3
    elif isinstance(e, LogicalError):
        print(f"the service refused: {e}", file=sys.stderr)
        code = 4
    else:
        print(f"error: {e}", file=sys.stderr)
        code = 5
    if e.correlation_id:
        print(f"  correlation id {e.correlation_id}", file=sys.stderr)
    return code

