"""The ``onewindow`` command line (CONTRACT.md): check, plan, serve, user, token, store.

Exit codes: 0 fine, 1 a problem with the input (an invalid catalog), 2 bad usage.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from builder import CatalogInvalid, UnknownMatter, check_paths, load_catalog, load_matter
from builder.plan import make_plan
from builder.svg import render_svg
from builder.table import render_table
from runtime.exchange_cli import add_exchange_commands
from runtime.services.accounts import ROLES
from runtime.services.container import Services
from runtime.services.errors import ServiceError
from runtime.settings import Settings, SettingsError
from runtime.store import StoreBusy, StoreError
from runtime.store_cli import add_store_commands


def _print_problems(problems: Sequence[object]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    """``onewindow check [PATH ...]``: every problem, one per line."""
    paths = [Path(p) for p in args.paths] or [Path("catalog")]
    loaded = check_paths(paths)
    for problem in loaded.problems:
        print(problem)
    errors = sum(p.is_error for p in loaded.problems)
    warnings = len(loaded.problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def cmd_plan(args: argparse.Namespace) -> int:
    """``onewindow plan MATTER``: the table, or the plan JSON, and optionally the SVG."""
    try:
        matter = load_matter(args.matter, Path(args.catalog))
    except CatalogInvalid as exc:
        _print_problems(exc.problems)
        return 1
    except UnknownMatter as exc:
        print(f"onewindow plan: {exc}", file=sys.stderr)
        return 1
    data = None
    if args.data:
        try:
            data = json.loads(Path(args.data).read_text(encoding="utf-8"))
        except OSError as exc:
            print(f"onewindow plan: cannot read --data {args.data}: {exc.strerror}",
                  file=sys.stderr)
            return 1
        except json.JSONDecodeError as exc:
            print(f"{args.data}:{exc.lineno}:{exc.colno}: error: invalid JSON: {exc.msg}",
                  file=sys.stderr)
            return 1
        if not isinstance(data, dict):
            print(f"{args.data}:1:1: error: --data must be a JSON object of answers",
                  file=sys.stderr)
            return 1
    plan = make_plan(matter, data)
    departments = _department_names(Path(args.catalog))
    if args.json:
        print(json.dumps(plan.to_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(render_table(matter, plan, departments))
    if args.svg:
        Path(args.svg).write_text(render_svg(matter, plan, departments), encoding="utf-8")
    return 0


def _department_names(catalog_dir: Path) -> dict[str, str]:
    try:
        catalog = load_catalog(catalog_dir)
    except CatalogInvalid:
        return {}
    return {d.id: d.name for d in catalog.departments.values()}


_BUSY_HINTS = {
    "add": "stop it first, or add the user in the admin pages (/admin/users) or with "
           "POST /api/v1/users",
    "list": "stop it first, or see the tokens on the user's admin page (/admin/users)",
    "revoke": "stop it first, or revoke the token on the user's admin page (/admin/users)",
    "worker": "no worker is needed: with the embedded store `serve` runs the jobs itself",
}


def _database(args: argparse.Namespace) -> dict[str, str]:
    """``--database`` when given; otherwise ONEWINDOW_DATABASE (or nothing) applies."""
    database = getattr(args, "database", None)
    return {} if database is None else {"database": database}


def _services(args: argparse.Namespace) -> Services | int:
    """The services on ``--data-dir``, or an exit code after one line saying what to do."""
    action = str(getattr(args, "user_command", None) or getattr(args, "token_command", None)
                 or "")
    hint = _BUSY_HINTS.get(action or args.command, "stop it first, then run this command again")
    command = f"onewindow {args.command} {action}".rstrip()
    try:
        settings = Settings.load({"data_dir": args.data_dir,
                                  "catalog_dir": getattr(args, "catalog", None),
                                  **_database(args)})
        return Services.open(settings)
    except SettingsError as exc:
        print(f"onewindow: {exc}", file=sys.stderr)
        return 2
    except CatalogInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"onewindow: the catalog {settings.catalog_path} has errors; fix them first",
              file=sys.stderr)
        return 1
    except StoreBusy:
        print(f"{command}: {settings.data_path} is in use by a running `onewindow serve`; "
              f"{hint}",
              file=sys.stderr)
        return 1
    except StoreError as exc:
        where = "" if settings.database else f"cannot open {settings.data_path}: "
        print(f"{command}: {where}{exc}", file=sys.stderr)
        return 1


def cmd_serve(args: argparse.Namespace) -> int:
    """``onewindow serve``: refuses to start on an invalid catalog."""
    import uvicorn

    from runtime.demo import create_demo_users, format_users
    from runtime.web.app import create_app

    given = {"data_dir": args.data_dir, "catalog_dir": args.catalog, "host": args.host,
             "port": args.port, "demo": args.demo, "workers": args.workers, **_database(args)}
    try:
        settings = Settings.load(given)
    except SettingsError as exc:
        print(f"onewindow serve: {exc}", file=sys.stderr)
        return 2
    if settings.workers > 1 and not settings.database:
        print(f"onewindow serve: --workers {settings.workers} needs PostgreSQL (--database URL "
              "or ONEWINDOW_DATABASE): the embedded store in --data-dir is served by one "
              "process", file=sys.stderr)
        return 2
    try:
        services = Services.open(settings)
    except CatalogInvalid as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("onewindow serve: not started: the catalog has errors", file=sys.stderr)
        return 1
    except StoreError as exc:  # damage: one line, the first problem; verify lists them all
        hint = "" if settings.database else (f"; run 'onewindow store verify --data-dir "
                                             f"{args.data_dir}'")
        print(f"onewindow serve: not started: {exc}{hint}", file=sys.stderr)
        return 1
    # The store's indexes are long-lived; keep them out of every full GC pass.
    gc.freeze()
    if settings.demo:
        made = create_demo_users(services)
        if made:
            print(format_users(made), flush=True)
    print(f"onewindow: serving {services.catalog.centre.name} on "
          f"http://{settings.host}:{settings.port}"
          + (f" with {settings.workers} processes" if settings.workers > 1 else ""), flush=True)
    # Forwarded headers are read by `client_address`, from `trusted_proxies` only.
    if settings.workers == 1:
        uvicorn.run(create_app(settings, services), host=settings.host, port=settings.port,
                    log_level="warning", proxy_headers=False)
        return 0
    # Several processes: each opens its own services from the same settings, handed
    # down as ONEWINDOW_* variables (this one has checked the catalog and the schema).
    services.close()
    for name, value in given.items():
        if value is not None and name != "demo":
            os.environ[f"ONEWINDOW_{name.upper()}"] = str(value)
    os.environ.pop("ONEWINDOW_DEMO", None)
    uvicorn.run("runtime.web.app:app_from_environment", factory=True,
                workers=settings.workers, host=settings.host, port=settings.port,
                log_level="warning", proxy_headers=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """``onewindow worker``: runs due jobs until interrupted (SIGINT or SIGTERM)."""
    import signal
    import threading

    services = _services(args)
    if isinstance(services, int):
        return services
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"onewindow worker: running jobs as {services.worker.name}", flush=True)
    try:
        services.worker.run_forever(stop, services.settings.tick_seconds)
    finally:
        services.close()
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    """``onewindow user add NAME --role ROLE``."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
    else:
        print("onewindow user add: no terminal to ask for the password; use --password-stdin",
              file=sys.stderr)
        return 2
    services = _services(args)
    if isinstance(services, int):
        return services
    try:
        user = services.accounts.create_user(args.name, password, args.role,
                                             department=args.department,
                                             display_name=args.display_name or "")
    except ServiceError as exc:
        details = "; ".join(d["message"] for d in exc.details) or exc.message
        print(f"onewindow user add: {details}", file=sys.stderr)
        return 1
    finally:
        services.close()
    print(f"created {user.role} {user.name}" + (f" ({user.department})" if user.department
                                                  else ""), file=sys.stderr)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    """``onewindow token create NAME``: only the token on stdout."""
    services = _services(args)
    if isinstance(services, int):
        return services
    try:
        print(services.accounts.create_token(args.name))
    except ServiceError as exc:
        print(f"onewindow token create: {exc.message}", file=sys.stderr)
        return 1
    finally:
        services.close()
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    """``onewindow token list NAME``: one line per token: id, created, last used."""
    services = _services(args)
    if isinstance(services, int):
        return services
    try:
        user = services.store.get_user_by_name(args.name)
        if user is None:
            print(f"onewindow token list: no user {args.name!r}", file=sys.stderr)
            return 1
        for token in services.accounts.tokens_of(user["id"]):
            print(f"{token.id}\tcreated {token.created_at or '-'}\t"
                  f"last used {token.last_used_at or 'never'}")
    finally:
        services.close()
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    """``onewindow token revoke REF``: REF is a token id (``t_…``) or the token itself."""
    services = _services(args)
    if isinstance(services, int):
        return services
    try:
        info = services.accounts.revoke_token(args.ref)
    except ServiceError:
        print("onewindow token revoke: no such token (give a token id from "
              "`onewindow token list NAME`, or the token itself)", file=sys.stderr)
        return 1
    finally:
        services.close()
    print(f"revoked {info.id}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="onewindow", description="onewindow: joint approval (并联审批) for service centres")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check a catalog folder or files")
    check.add_argument("paths", nargs="*", metavar="PATH")
    check.set_defaults(func=cmd_check)

    plan = sub.add_parser("plan", help="print the parallel plan of a matter")
    plan.add_argument("matter", metavar="MATTER", help="matter id or matter file")
    plan.add_argument("--catalog", default="catalog", metavar="DIR")
    plan.add_argument("--data", metavar="FILE", help="JSON file of applicant answers")
    plan.add_argument("--json", action="store_true", help="print the plan JSON")
    plan.add_argument("--svg", metavar="FILE", help="also write the plan picture")
    plan.set_defaults(func=cmd_plan)

    serve = sub.add_parser("serve", help="run the web app")
    serve.add_argument("--catalog", default="catalog", metavar="DIR")
    serve.add_argument("--data-dir", default="data", metavar="DIR")
    serve.add_argument("--host", default="127.0.0.1", metavar="H")
    serve.add_argument("--port", default=8000, type=int, metavar="P")
    serve.add_argument("--database", metavar="URL",
                       help="PostgreSQL URL (default: ONEWINDOW_DATABASE, else the embedded store)")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="server processes (default 1; more need --database)")
    serve.add_argument("--demo", action="store_true",
                       help="create demo users on first start and print their passwords")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the time-driven jobs (超时默许, reminders, "
                                           "notifications)")
    worker.add_argument("--data-dir", default="data", metavar="DIR")
    worker.add_argument("--catalog", default="catalog", metavar="DIR")
    worker.add_argument("--database", metavar="URL")
    worker.set_defaults(func=cmd_worker)

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", required=True, metavar="COMMAND")
    add = user.add_parser("add", help="add a user")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--department", metavar="ID")
    add.add_argument("--display-name", metavar="TEXT")
    add.add_argument("--password-stdin", action="store_true")
    add.add_argument("--data-dir", default="data", metavar="DIR")
    add.add_argument("--catalog", default="catalog", metavar="DIR")
    add.add_argument("--database", metavar="URL")
    add.set_defaults(func=cmd_user_add)

    token = sub.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", required=True, metavar="COMMAND")
    create = token.add_parser("create", help="print a new API token for a user")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--data-dir", default="data", metavar="DIR")
    create.add_argument("--catalog", default="catalog", metavar="DIR")
    create.add_argument("--database", metavar="URL")
    create.set_defaults(func=cmd_token_create)
    listing = token.add_parser("list", help="list a user's tokens with their last use")
    listing.add_argument("name", metavar="NAME")
    listing.add_argument("--data-dir", default="data", metavar="DIR")
    listing.add_argument("--catalog", default="catalog", metavar="DIR")
    listing.add_argument("--database", metavar="URL")
    listing.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a token (its id, or the token itself)")
    revoke.add_argument("ref", metavar="TOKEN", help="a token id (t_…) or the token (ow_…)")
    revoke.add_argument("--data-dir", default="data", metavar="DIR")
    revoke.add_argument("--catalog", default="catalog", metavar="DIR")
    revoke.add_argument("--database", metavar="URL")
    revoke.set_defaults(func=cmd_token_revoke)
    add_store_commands(sub)
    add_exchange_commands(sub, _services)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``onewindow`` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
