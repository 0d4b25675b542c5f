"""The ``onewindow`` command line (CONTRACT.md): check, plan, serve, user, token.

Exit codes: 0 fine, 1 a problem with the input (an invalid catalog), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from builder import CatalogInvalid, UnknownMatter, check_paths, load_catalog, load_matter
from builder.plan import make_plan
from builder.svg import render_svg
from builder.table import render_table


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``onewindow`` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
