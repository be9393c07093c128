"""``eph staff`` (the staff registry: members, their functions at each care unit, the
development-login password) and ``eph systems key`` (journal systems' uthopp signing keys)."""

from __future__ import annotations

import argparse
import getpass
import hashlib
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from service_domain import services
from service_domain.clock import utcnow
from service_domain.commands import CallContext
from service_domain.model import SystemKey
from service_domain.staff import StaffFunction, StaffMember
from staff_web.auth import MIN_PASSWORD_LENGTH, hash_password
from staff_web.uthopp import load_key

from .common import database

FUNCTIONS = [f.value for f in StaffFunction]


def _show(member: StaffMember) -> str:
    units = "; ".join(
        f"{u}: {','.join(sorted(member.functions_at(u))) or '-'}" for u in member.care_units
    ) or "no care unit"
    return f"{member.hsa_id:<31} {member.care_giver:<20} {member.name:<30} {units}"


def cmd_add(args: argparse.Namespace, settings: Any) -> int:
    db = database(settings)
    member = services.register_staff(db.uow(), CallContext.operator(utcnow()), args.hsa_id, args.name, args.care_giver)
    if args.unit:
        member = services.grant_functions(db.uow(), CallContext.operator(utcnow()), member.hsa_id, args.unit, args.function or ())
    elif args.function:
        print("--function needs --unit", file=sys.stderr)
        return 1
    print(f"registered {_show(member)}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Any) -> int:
    members = services.list_staff(database(settings).uow(), CallContext.operator(utcnow()), args.care_giver)
    for m in members:
        print(_show(m))
    if not members:
        print("no staff registered")
    return 0


def cmd_grant(args: argparse.Namespace, settings: Any) -> int:
    member = services.grant_functions(database(settings).uow(), CallContext.operator(utcnow()), args.hsa_id, args.unit, args.functions)
    print(_show(member))
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Any) -> int:
    if not args.functions and not args.leave_unit:
        print("name the functions to revoke, or --leave-unit", file=sys.stderr)
        return 1
    member = services.revoke_functions(
        database(settings).uow(), CallContext.operator(utcnow()), args.hsa_id, args.unit, args.functions, leave_unit=args.leave_unit
    )
    print(_show(member))
    return 0


def cmd_password(args: argparse.Namespace, settings: Any) -> int:
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("development-login password: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ; nothing changed", file=sys.stderr)
            return 1
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"a password has at least {MIN_PASSWORD_LENGTH} characters; nothing changed", file=sys.stderr)
        return 1
    services.set_dev_password(database(settings).uow(), CallContext.operator(utcnow()), args.hsa_id, hash_password(password))
    print("development-login password set (it works only where EPH_STAFF_DEV_LOGIN is on)")
    return 0


def cmd_person_id(args: argparse.Namespace, settings: Any) -> int:
    """The number is read from standard input, never from the command line (which shells and
    process lists keep)."""
    number = None if args.remove else sys.stdin.readline().strip()
    if not args.remove and not number:
        print("give the personal identity number on standard input, or --remove", file=sys.stderr)
        return 1
    services.set_staff_person_id(database(settings).uow(), CallContext.operator(utcnow()), args.hsa_id, number)
    print("personal identity number " + ("removed" if args.remove else "registered") + f" for {args.hsa_id}")
    return 0


def key_id(key: Any) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def cmd_key_add(args: argparse.Namespace, settings: Any) -> int:
    try:
        pem = Path(args.file).read_text(encoding="ascii")
        key = load_key(pem)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        print(f"cannot use {args.file}: {e}", file=sys.stderr)
        return 1
    kid = args.kid or key_id(key)
    services.add_system_key(database(settings).uow(), SystemKey(args.hsa_id, kid, pem, utcnow()))
    print(f"key {kid} registered for {args.hsa_id} (uthopp tokens name it in the 'kid' header, or carry none)")
    return 0


def cmd_key_list(args: argparse.Namespace, settings: Any) -> int:
    db = database(settings)
    if args.hsa_id:
        ids = [args.hsa_id]
    else:
        with db.uow() as uow:
            ids = [s.hsa_id for s in uow.systems.list()]
    count = 0
    for hsa_id in ids:
        _, keys = services.signing_keys(db.uow(), hsa_id)
        for k in keys:
            count += 1
            print(f"{k.hsa_id:<31} {k.key_id:<24} added {k.added_time:%Y-%m-%d %H:%M}")
    if not count:
        print("no signing keys registered")
    return 0


def cmd_key_remove(args: argparse.Namespace, settings: Any) -> int:
    if services.remove_system_key(database(settings).uow(), args.hsa_id, args.kid):
        print(f"key {args.kid} of {args.hsa_id} removed")
        return 0
    print("no such key", file=sys.stderr)
    return 1


def add_parsers(sub: Any) -> None:
    staff = sub.add_parser("staff", help="the staff registry").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="register a staff member")
    add.add_argument("hsa_id")
    add.add_argument("--name", required=True)
    add.add_argument("--care-giver", required=True)
    add.add_argument("--unit", help="a care unit they work at")
    add.add_argument("--function", action="append", choices=FUNCTIONS, help="a function at --unit (repeatable)")
    add.set_defaults(func=cmd_add)
    ls = staff.add_parser("list", help="staff members, their units and functions")
    ls.add_argument("--care-giver")
    ls.set_defaults(func=cmd_list)
    grant = staff.add_parser("grant", help="let a staff member use functions at a care unit")
    grant.add_argument("hsa_id")
    grant.add_argument("unit")
    grant.add_argument("functions", nargs="+", choices=FUNCTIONS)
    grant.set_defaults(func=cmd_grant)
    revoke = staff.add_parser("revoke", help="take functions at a care unit away")
    revoke.add_argument("hsa_id")
    revoke.add_argument("unit")
    revoke.add_argument("functions", nargs="*", choices=FUNCTIONS)
    revoke.add_argument("--leave-unit", action="store_true", help="the member no longer works at the unit")
    revoke.set_defaults(func=cmd_revoke)
    pw = staff.add_parser("password", help="set the development-login password")
    pw.add_argument("hsa_id")
    pw.add_argument("--stdin", action="store_true", help="read it from standard input")
    pw.set_defaults(func=cmd_password)
    pid = staff.add_parser("person-id", help="register the member's personal identity number (read from standard "
                           "input; for the log review's check of reads of one's own data)")
    pid.add_argument("hsa_id")
    pid.add_argument("--remove", action="store_true", help="remove the registered number")
    pid.set_defaults(func=cmd_person_id)


def add_key_parsers(systems: Any) -> None:
    key = systems.add_parser("key", help="journal systems' uthopp signing keys").add_subparsers(
        dest="key_command", required=True
    )
    ka = key.add_parser("add", help="register a public key (PEM) a journal system signs uthopp tokens with")
    ka.add_argument("hsa_id")
    ka.add_argument("file")
    ka.add_argument("--kid", help="the key id tokens name (default: a digest of the key)")
    ka.set_defaults(func=cmd_key_add)
    kl = key.add_parser("list")
    kl.add_argument("hsa_id", nargs="?")
    kl.set_defaults(func=cmd_key_list)
    kr = key.add_parser("remove")
    kr.add_argument("hsa_id")
    kr.add_argument("kid")
    kr.set_defaults(func=cmd_key_remove)
