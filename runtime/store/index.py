"""In-memory indexes over cases: where each case lives, by status/applicant/number,
counts by (status, matter, version), each department's decided tasks, and the task
worklists of unfinished cases.

Every case costs one small `CaseRef` tuple (no document) and one small tuple per
decided task; only unfinished cases keep their tasks and a summary, so memory
follows the open workload, not history.
"""

from __future__ import annotations

import heapq
import json
import sys
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Final

from runtime.store.base import (
    SUMMARY_FIELDS,
    Document,
    Lifecycle,
    StoreError,
)

#: Where a stored document's JSON text is: (segment, byte offset, byte length).
Loc = tuple[int, int, int]

#: Where a case's records are: its latest full image, then the deltas after it.
Chain = tuple[Loc, ...]

#: A worklist entry: (due, ready_at, case id, task id, task JSON); sorts most urgent first.
TaskItem = tuple[str, str, str, str, str]

#: A decided task: (decided at, case id, position in the case's tasks, department).
#: Sorts oldest first; the task itself is read from its case on demand.
Decided = tuple[str, str, int, str]

_LAST = "\uffff"  # sorts after every ISO timestamp: tasks without a due date go last


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
# The C encoder json.dumps builds on every call, built once: the store encodes several
# small values per write (a delta, a summary, changed tasks), where that setup is a
# third of the cost. Without the circularity check a cyclic value hits RecursionError.
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)  # absent from the stubs
_C_ENCODER = None if _make_c_encoder is None else _make_c_encoder(
    None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)


def dumps(value: Any) -> str:
    """Serialise a document the one way the store does (compact, UTF-8, strict)."""
    try:
        if _C_ENCODER is None:
            return _ENCODER.encode(value)
        return "".join(_C_ENCODER(value, 0))
    except (TypeError, ValueError, RecursionError) as err:
        raise StoreError(f"document is not JSON-serialisable: {err}") from err


def status_set(status: Iterable[str] | str | None) -> frozenset[str] | None:
    """Normalise a status filter; a lone string means that one status."""
    if status is None:
        return None
    if isinstance(status, str):
        return frozenset((status,))
    return frozenset(status)


#: What the index keeps for every case: (chain, rev, status, applicant, updated_at,
#: number, matter, matter_version, decided tasks). A plain tuple of atoms (and
#: tuples of atoms) on purpose: CPython's garbage collector stops tracking such
#: tuples, so 100k of them do not lengthen full collections (a slots class did:
#: 25 ms instead of 6 ms per full collection at 100k cases).
CaseRef = tuple[Chain, int, str, "str | None", str, "str | None", "str | None", "int | None",
                tuple[Decided, ...]]
CHAIN: Final = 0
REV: Final = 1
STATUS: Final = 2
APPLICANT: Final = 3
UPDATED_AT: Final = 4
NUMBER: Final = 5
MATTER: Final = 6
MATTER_VERSION: Final = 7
DECIDED: Final = 8

#: A key of the case counts: (status, matter, matter_version).
CountKey = tuple[str, "str | None", "int | None"]


@dataclass(slots=True)
class OpenCase:
    """What the index keeps in addition for an unfinished case."""

    summary: str
    tasks: list[tuple[str, TaskItem]]  # (worklist key, item)


@dataclass(slots=True)
class CaseFacts:
    """The indexed facts of one stored case version."""

    id: str
    chain: Chain
    rev: int
    status: str
    applicant: str | None
    updated_at: str
    number: str | None
    matter: str | None
    matter_version: int | None
    decided: tuple[Decided, ...]
    open: OpenCase | None

    def ref(self) -> CaseRef:
        """Return the tuple the index keeps."""
        return (self.chain, self.rev, self.status, self.applicant, self.updated_at, self.number,
                self.matter, self.matter_version, self.decided)


def _opt_str(doc: Mapping[str, Any], field: str) -> str | None:
    value = doc.get(field)
    if value is not None and not isinstance(value, str):
        raise StoreError(f"case field {field!r} must be a string or null, got {value!r}")
    return value


def _opt_int(doc: Mapping[str, Any], field: str) -> int | None:
    value = doc.get(field)
    if value is not None and (type(value) is not int):
        raise StoreError(f"case field {field!r} must be an integer or null, got {value!r}")
    return value


def _decided_at(task: Mapping[str, Any], updated_at: str) -> str:
    """When a decided task was decided: its decision's ``at``, else the case's update."""
    decision = task.get("decision")
    at = decision.get("at") if isinstance(decision, Mapping) else None
    return at if isinstance(at, str) else updated_at


def case_summary(doc: Mapping[str, Any]) -> Document:
    """The small summary of a case returned with each task row."""
    summary = {field: doc.get(field) for field in SUMMARY_FIELDS}
    if "summary" in doc:
        summary["summary"] = doc["summary"]
    return summary


def _req_str(doc: Mapping[str, Any], field: str, what: str) -> str:
    value = doc.get(field)
    if not isinstance(value, str) or not value:
        raise StoreError(f"{what} needs a non-empty string {field!r}, got {value!r}")
    return value


def case_facts(
    doc: Mapping[str, Any],
    chain: Chain,
    lifecycle: Lifecycle,
    *,
    reuse: CaseFacts | None = None,
    changed: set[int] | None = None,
) -> CaseFacts:
    """Check a case document's indexed fields and extract them (`StoreError` if bad).

    With ``reuse`` (the facts of the previous version of an open case) and
    ``changed`` (the indexes of the tasks that differ from it), the other tasks'
    worklist items are taken over instead of being checked and encoded again.
    """
    case_id = _req_str(doc, "id", "a case")
    if not isinstance(doc.get("schema"), int):
        raise StoreError(f"case {case_id} needs an integer 'schema'")
    rev = doc.get("rev")
    if not isinstance(rev, int):
        raise StoreError(f"case {case_id} needs an integer 'rev'")
    status = sys.intern(_req_str(doc, "status", f"case {case_id}"))
    applicant = _opt_str(doc, "applicant")
    applicant = None if applicant is None else sys.intern(applicant)  # shared by many cases
    updated_at = _req_str(doc, "updated_at", f"case {case_id}")
    number = _opt_str(doc, "number")
    matter = _opt_str(doc, "matter")
    matter = None if matter is None else sys.intern(matter)
    matter_version = _opt_int(doc, "matter_version")
    tasks = doc.get("tasks", [])
    if not isinstance(tasks, list):
        raise StoreError(f"case {case_id}: 'tasks' must be a list")
    closed = status in lifecycle.closed_case
    open_tasks: list[tuple[str, TaskItem]] = []
    decided: list[Decided] = []
    seen: set[str] = set()
    kept: list[tuple[str, TaskItem]] = []
    redo: set[int] = set()
    if not closed and changed is not None and reuse is not None and reuse.open is not None:
        kept, redo = reuse.open.tasks, changed
    for position, task in enumerate(tasks):
        if position < len(kept) and position not in redo:
            entry = kept[position]
            if entry[1][3] in seen:
                raise StoreError(f"case {case_id}: duplicate task id {entry[1][3]}")
            seen.add(entry[1][3])
            open_tasks.append(entry)
            if task["status"] in lifecycle.decided_task:  # checked with the version it is from
                decided.append((_decided_at(task, updated_at), case_id, position,
                                sys.intern(task["department"])))
            continue
        if not isinstance(task, Mapping):
            raise StoreError(f"case {case_id}: every task must be an object")
        task_id = _req_str(task, "id", f"a task of case {case_id}")
        if task_id in seen:
            raise StoreError(f"case {case_id}: duplicate task id {task_id}")
        seen.add(task_id)
        department = _req_str(task, "department", f"task {task_id}")
        task_status = _req_str(task, "status", f"task {task_id}")
        due = _opt_str(task, "due") or _LAST
        ready = _opt_str(task, "ready_at") or _LAST
        if task_status in lifecycle.decided_task:
            decided.append((_decided_at(task, updated_at), case_id, position,
                            sys.intern(department)))
        if not closed:
            item = (due, ready, case_id, task_id, dumps(task))
            open_tasks.append((f"{department}\x00{task_status}", item))
    open_case = None if closed else OpenCase(dumps(case_summary(doc)), open_tasks)
    return CaseFacts(case_id, chain, rev, status, applicant, updated_at, number, matter,
                     matter_version, tuple(decided), open_case)


class CaseIndex:
    """Indexes of all cases; worklists of unfinished ones. Not thread-safe by itself."""

    def __init__(self) -> None:
        self.refs: dict[str, CaseRef] = {}
        self._by_number: dict[str, str] = {}
        self._by_status: dict[str, list[tuple[str, str]]] = {}
        self._by_applicant: dict[str, set[str]] = {}
        self._counts: dict[CountKey, int] = {}
        self._decided: dict[str, list[Decided]] = {}  # department -> oldest first
        self._bulk = False  # loading: decided lists are appended to, sorted at the end
        self._open: dict[str, OpenCase] = {}
        # "department\x00status" -> sorted worklist items
        self._tasks: dict[str, list[TaskItem]] = {}

    def __len__(self) -> int:
        return len(self.refs)

    def rows(self) -> Iterator[tuple[str, CaseRef]]:
        """Yield every (case id, ref), grouped by status, oldest first within one."""
        for keys in self._by_status.values():
            for _, case_id in keys:
                yield case_id, self.refs[case_id]

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Load many cases: sort the decided lists once at the end, not on every put
        (at 100k cases, inserting in order cost a third of the open time)."""
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False
            for items in self._decided.values():
                items.sort()

    def has_worklist(self, case_id: str) -> bool:
        """Tell whether an unfinished case's tasks are indexed."""
        return case_id in self._open

    def facts(self, case_id: str) -> CaseFacts | None:
        """Return the indexed facts of a case (``open`` is None until its tasks are indexed)."""
        ref = self.refs.get(case_id)
        if ref is None:
            return None
        return CaseFacts(case_id, *ref, self._open.get(case_id))

    def id_for_number(self, number: str) -> str | None:
        """Return the id of the case with this number, or None."""
        return self._by_number.get(number)

    def put(self, facts: CaseFacts) -> Chain | None:
        """Index a new case version; return the chain of the version it replaces."""
        current, same = self.refs.get(facts.id), False
        if current is not None and current[DECIDED] == facts.decided:
            facts.decided, same = current[DECIDED], True  # most writes decide nothing
        old = self._remove(facts.id, keep_decided=same)
        self.refs[facts.id] = facts.ref()
        if facts.number is not None:
            self._by_number[facts.number] = facts.id
        insort(self._by_status.setdefault(facts.status, []), (facts.updated_at, facts.id))
        if facts.applicant is not None:
            self._by_applicant.setdefault(facts.applicant, set()).add(facts.id)
        key = (facts.status, facts.matter, facts.matter_version)
        self._counts[key] = self._counts.get(key, 0) + 1
        for decided in () if same else facts.decided:
            if self._bulk:
                self._decided.setdefault(decided[3], []).append(decided)
            else:
                insort(self._decided.setdefault(decided[3], []), decided)
        if facts.open is not None:
            self._open[facts.id] = facts.open
            for list_key, item in facts.open.tasks:
                insort(self._tasks.setdefault(list_key, []), item)
        return old[CHAIN] if old is not None else None

    def move(self, case_id: str, chain: Chain) -> Chain:
        """Record that an unchanged case version now lives at ``chain``; return the old one."""
        ref = self.refs[case_id]
        self.refs[case_id] = (chain, *ref[1:])
        return ref[CHAIN]

    def _remove(self, case_id: str, *, keep_decided: bool = False) -> CaseRef | None:
        ref = self.refs.pop(case_id, None)
        if ref is None:
            return None
        number, applicant = ref[NUMBER], ref[APPLICANT]
        if number is not None and self._by_number.get(number) == case_id:
            del self._by_number[number]
        _discard_sorted(self._by_status[ref[STATUS]], (ref[UPDATED_AT], case_id))
        if applicant is not None:
            same_applicant = self._by_applicant[applicant]
            same_applicant.discard(case_id)
            if not same_applicant:
                del self._by_applicant[applicant]
        key = (ref[STATUS], ref[MATTER], ref[MATTER_VERSION])
        self._counts[key] -= 1
        if not self._counts[key]:
            del self._counts[key]
        for decided in () if keep_decided else ref[DECIDED]:
            if self._bulk:
                self._decided[decided[3]].remove(decided)
            else:
                _discard_sorted(self._decided[decided[3]], decided)
        open_case = self._open.pop(case_id, None)
        if open_case is not None:
            for list_key, item in open_case.tasks:
                _discard_sorted(self._tasks[list_key], item)
        return ref

    def list_ids(self, status: frozenset[str] | None, applicant: str | None,
                 matter: str | None, matter_version: int | None,
                 limit: int, offset: int) -> list[str]:
        """Return case ids, newest first, after filtering and paging.

        A matter filter scans the status lists (no index by matter: counts suffice
        for the admin pages; listing one matter's cases is rare).
        """
        if applicant is not None:
            ids = self._by_applicant.get(applicant, set())
            keys = sorted(
                ((self.refs[i][UPDATED_AT], i) for i in ids
                 if self._matches(self.refs[i], status, matter, matter_version)),
                reverse=True,
            )
            return [case_id for _, case_id in keys[offset:offset + limit]]
        lists = [lst for s, lst in self._by_status.items() if status is None or s in status]
        merged: Iterator[tuple[str, str]] = heapq.merge(
            *(reversed(lst) for lst in lists), reverse=True
        )
        if matter is not None or matter_version is not None:
            merged = (key for key in merged
                      if self._matches(self.refs[key[1]], None, matter, matter_version))
        return [case_id for _, case_id in islice(merged, offset, offset + limit)]

    @staticmethod
    def _matches(ref: CaseRef, status: frozenset[str] | None, matter: str | None,
                 matter_version: int | None) -> bool:
        return ((status is None or ref[STATUS] in status)
                and (matter is None or ref[MATTER] == matter)
                and (matter_version is None or ref[MATTER_VERSION] == matter_version))

    def count(self, status: frozenset[str] | None, applicant: str | None,
              matter: str | None = None, matter_version: int | None = None) -> int:
        """Count cases matching the filters (no scan unless by applicant)."""
        if applicant is not None:
            ids = self._by_applicant.get(applicant, set())
            return sum(1 for i in ids
                       if self._matches(self.refs[i], status, matter, matter_version))
        if matter is None and matter_version is None:
            if status is None:
                return len(self.refs)
            return sum(len(self._by_status.get(s, ())) for s in status)
        return sum(n for (s, m, v), n in self._counts.items()
                   if (status is None or s in status) and (matter is None or m == matter)
                   and (matter_version is None or v == matter_version))

    def _task_lists(self, department: str, status: frozenset[str] | None) -> list[list[TaskItem]]:
        prefix = department + "\x00"
        return [
            lst for key, lst in self._tasks.items()
            if key.startswith(prefix) and (status is None or key[len(prefix):] in status)
        ]

    def list_tasks(
        self, department: str, status: frozenset[str] | None, limit: int, offset: int
    ) -> list[tuple[str, str]]:
        """Return (task JSON, case summary JSON) pairs, most urgent first."""
        merged = heapq.merge(*self._task_lists(department, status))
        return [(item[4], self._open[item[2]].summary)
                for item in islice(merged, offset, offset + limit)]

    def count_tasks(self, department: str, status: frozenset[str] | None) -> int:
        """Count a department's tasks in unfinished cases."""
        return sum(len(lst) for lst in self._task_lists(department, status))

    def task_counts(self, department: str) -> dict[str, int]:
        """A department's tasks in unfinished cases, per status."""
        prefix = department + "\x00"
        return {key[len(prefix):]: len(lst) for key, lst in self._tasks.items()
                if key.startswith(prefix) and lst}

    def list_decided(self, department: str, limit: int, offset: int) -> list[Decided]:
        """Return a department's decided tasks in every case, newest decision first."""
        items = self._decided.get(department, [])
        end = max(len(items) - offset, 0)
        return items[max(end - limit, 0):end][::-1]

    def count_decided(self, department: str) -> int:
        """Count a department's decided tasks in every case."""
        return len(self._decided.get(department, ()))


def _discard_sorted(items: list[Any], item: Any) -> None:
    pos = bisect_left(items, item)
    if pos < len(items) and items[pos] == item:
        del items[pos]
