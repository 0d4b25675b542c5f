"""``onewindow exchange status``: the peers, whether they answer, the messages not yet
acknowledged and those refused; from the data (a stopped embedded server, or
PostgreSQL) or from a running server's API (``--url`` with an admin's token)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from runtime.engine.states import Role
from runtime.services import Services
from runtime.services.accounts import User

STATUS_PATH = "/api/v1/exchange/status"
SYSTEM = User(id="cli", name="cli", role=Role.ADMIN, department=None, display_name="命令行")


def render(report: Mapping[str, Any]) -> str:
    """The report as lines a person reads."""
    lines = [f"centre {report['centre'] or '-'} ({report['name']})"]
    if not report["peers"]:
        lines.append("no peers (centre.yaml lists none)")
    for p in report["peers"]:
        reach = {True: "reachable", False: "UNREACHABLE", None: "not probed"}[p["reachable"]]
        if p.get("problem"):
            reach += f" ({p['problem']})"
        lines.append(f"peer {p['id']} {p['name']} {p['url']}: {reach}; {p['key_count']} key(s) in "
                     f"{p['key_env']}; {p['queued']} queued, {p['failed']} failing")
    lines.append(f"queued messages: {len(report['queued'])}")
    for q in report["queued"]:
        lines.append(f"  [{q['light']}] {q['id']} {q['kind']} to {q['peer']} case "
                     f"{q['number'] or '-'}: waited {q['waited']}, {q['tries']} tries"
                     + (f", last error: {q['error']}" if q["error"] else "")
                     + f"  (retry: job {q['job']})")
    alarm = report.get("alarm") or {}
    for t in alarm.get("theirs") or ():
        lines.append(f"  [red] {t['id']} {t['kind']} from {t['peer']} case {t['number'] or '-'}: "
                     f"undelivered to us for {t['waited']} (as {t['peer']} last said)")
    for a in alarm.get("away") or ():
        lines.append(f"  [red] peer {a['peer']} unreachable for {a['waited']} with open "
                     f"cross-centre tasks: {a['error']}")
    lines.append(f"refused messages: {len(report['refusals'])}")
    for r in report["refusals"]:
        lines.append(f"  {r['at']} from {r['centre'] or '-'}: {r['reason']}")
    return "\n".join(lines)


def healthy(report: Mapping[str, Any]) -> bool:
    """No peer unreachable and no message past the alarm, in either direction."""
    alarm = report.get("alarm") or {}
    return all(p["reachable"] is not False for p in report["peers"]) and \
        all(q["light"] != "red" for q in report["queued"]) and \
        not alarm.get("theirs") and not alarm.get("away")


def _from_server(url: str, token: str) -> Mapping[str, Any]:
    request = urllib.request.Request(url.rstrip("/") + STATUS_PATH,
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        found: Mapping[str, Any] = json.loads(response.read())
        return found


def cmd_status(args: argparse.Namespace,
               open_services: Callable[[argparse.Namespace], Services | int]) -> int:
    """``onewindow exchange status``: exit 0 healthy, 1 a peer away or a message late."""
    if args.url:
        if not args.token:
            print("onewindow exchange status: --url needs --token (an admin's API token)",
                  file=sys.stderr)
            return 2
        try:
            report = _from_server(args.url, args.token)
        except (OSError, ValueError) as exc:
            print(f"onewindow exchange status: {args.url}: {exc}", file=sys.stderr)
            return 1
    else:
        services = open_services(args)
        if isinstance(services, int):
            return services
        try:
            report = services.exchange.report(SYSTEM, probe=not args.no_probe)
        finally:
            services.close()
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else render(report))
    return 0 if healthy(report) else 1


def add_exchange_commands(sub: Any,
                          open_services: Callable[[argparse.Namespace], Services | int]) -> None:
    """Register ``onewindow exchange status`` on the main parser's subcommands."""
    exchange = sub.add_parser("exchange", help="the exchange between centres").add_subparsers(
        dest="exchange_command", required=True, metavar="COMMAND")
    status = exchange.add_parser("status", help="peers, reachability, queued and refused "
                                 "messages (exit 1: a peer away or a message late)")
    status.add_argument("--data-dir", default="data", metavar="DIR")
    status.add_argument("--catalog", default="catalog", metavar="DIR")
    status.add_argument("--database", metavar="URL")
    status.add_argument("--url", metavar="URL", help="ask this running server instead")
    status.add_argument("--token", metavar="TOKEN", help="an admin's API token (with --url)")
    status.add_argument("--json", action="store_true", help="print the report as JSON")
    status.add_argument("--no-probe", action="store_true", help="do not contact the peers")
    status.set_defaults(func=lambda args: cmd_status(args, open_services))
