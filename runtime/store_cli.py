"""``onewindow store verify|repair|copy``: check the embedded store, repair it on request,
copy it into PostgreSQL.

Exit codes: 0 clean (verify) or repaired/nothing to repair (repair), 1 damage found
(verify) or the directory cannot be inspected (in use, no store), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from runtime.services import LIFECYCLE
from runtime.store import StoreError
from runtime.store.check import repair, verify


def _store_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) / "store"


def cmd_verify(args: argparse.Namespace) -> int:
    """Print every problem as ``FILE:OFFSET: message``; exit 1 if there is any."""
    try:
        found = verify(_store_dir(args), LIFECYCLE)
    except StoreError as exc:
        print(f"onewindow store verify: {exc}", file=sys.stderr)
        return 1
    for problem in found.problems:
        print(problem)
    for note in found.torn:
        print(f"note: {note}", file=sys.stderr)
    checked = (f"{found.cases} cases, {found.files} files, {found.blobs} blobs, "
               f"{found.segments} segments ({found.bytes / 1e6:.1f} MB)")
    if found.problems:
        print(f"onewindow store verify: {len(found.problems)} problem(s) in {args.data_dir}: "
              f"the server refuses to start on it; 'onewindow store repair --data-dir "
              f"{args.data_dir}' keeps what verifies and lists what is lost", file=sys.stderr)
        return 1
    print(f"onewindow store verify: clean: {checked} verified", file=sys.stderr)
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    """Keep what verifies, move the damaged journal aside, print every loss."""
    try:
        done = repair(_store_dir(args), LIFECYCLE)
    except StoreError as exc:
        print(f"onewindow store repair: {exc}", file=sys.stderr)
        return 1
    for line in done.lost:
        print(line)
    if done.moved_to is None:
        print("onewindow store repair: " + ("done" if done.lost else "nothing to repair: "
              "the store verifies"), file=sys.stderr)
        return 0
    print(f"onewindow store repair: kept {done.kept_cases} cases, {done.kept_files} files, "
          f"{done.kept_rows} table rows; lost {done.lost_cases} case(s), "
          f"{done.reverted_cases} case(s) back to an earlier version; the damaged files are "
          f"in {done.moved_to}", file=sys.stderr)
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    """``onewindow store copy --data-dir DIR --to URL``: prints the verified counts."""
    from runtime.store.postgres.copy import copy_data_dir

    try:
        copied = copy_data_dir(Path(args.data_dir), args.to, LIFECYCLE)
    except StoreError as exc:
        print(f"onewindow store copy: {exc}", file=sys.stderr)
        return 1
    for line in copied.lines():
        print(line)
    return 0


def add_store_commands(sub: Any) -> None:
    """Register ``onewindow store ...`` on the main parser's subcommands."""
    store = sub.add_parser("store", help="check, repair or copy the data store").add_subparsers(
        dest="store_command", required=True, metavar="COMMAND")
    check = store.add_parser("verify", help="check every record of a data directory "
                             "(exit 1 if damaged); changes nothing")
    check.add_argument("--data-dir", default="data", metavar="DIR")
    check.set_defaults(func=cmd_verify)
    fix = store.add_parser("repair", help="keep what verifies, move the damaged files "
                           "aside and list exactly what was lost")
    fix.add_argument("--data-dir", default="data", metavar="DIR")
    fix.set_defaults(func=cmd_repair)
    copy = store.add_parser("copy", help="copy an embedded data directory into an empty "
                            "PostgreSQL database")
    copy.add_argument("--data-dir", default="data", metavar="DIR")
    copy.add_argument("--to", required=True, metavar="URL")
    copy.set_defaults(func=cmd_copy)
