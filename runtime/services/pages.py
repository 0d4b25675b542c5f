"""The pages' read models, assembled from the use cases: a view only renders them.

Each method authorises through `Cases` / `Tasks` (a case or task the user may not see
is a 404) and returns titled values, state labels and the actions allowed now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from builder import MatterSpec
from builder.plan import Plan, make_plan
from builder.svg import render_svg
from runtime.engine.agency import forward_light
from runtime.engine.states import CaseAction
from runtime.engine.vocabulary import (
    DEPARTMENT_TABS,
    FIRST_COME_QUEUES,
    LIGHT_RANK,
    ROLE_LABELS,
    RUNNING_CASE,
    WINDOW_QUEUES,
    Group,
    case_label,
    task_label,
    worst_light,
)
from runtime.services import reading
from runtime.services.accounts import Accounts, User
from runtime.services.cases import Cases, files_of
from runtime.services.describe import describe_condition
from runtime.services.errors import Invalid, NotFound
from runtime.services.fees import CASHIER, Owed, owed
from runtime.services.files import Files
from runtime.services.forwarding import agency_view
from runtime.services.tasks import Tasks

Document = dict[str, Any]
FILTER_KEY = "tasks.filter"
PREVIEWABLE = ("application/pdf", "image/png", "image/jpeg")
SORTS = {"due": "按到期时间", "ready": "按到达时间"}
#: Tabs count up to this many (then show "1000+"): a page's work stays bounded
#: however many cases a centre has finished over the years.
COUNT_CAP = 1_000
"""A department list's orders: by due date, or by when the task arrived."""


@dataclass(frozen=True)
class CaseRow:
    """A case in a list."""

    case: Document
    matter_name: str
    status_label: str
    actions: frozenset[str] = frozenset()
    proxy: Mapping[str, str] | None = None
    """An entrusted case in its principal's list: the agent's name and service point."""


@dataclass(frozen=True)
class WorkRow:
    """A task in a department's list."""

    task: Mapping[str, Any]
    case: Mapping[str, Any]
    light: str | None
    step_name: str
    matter_name: str
    status_label: str
    urged: bool


@dataclass(frozen=True)
class Tab:
    """A queue or tab with its count (counted up to `COUNT_CAP` + 1)."""

    key: str
    label: str
    count: int

    @property
    def shown(self) -> str:
        """The count as the tab shows it: "1000+" beyond the cap."""
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


@dataclass(frozen=True)
class Listing:
    """A list page: its tabs, the chosen one and its rows."""

    tabs: list[Tab]
    current: str
    rows: list[Any]
    sort: str = "due"
    title: str = ""
    remember: dict[str, str] | None = None  # a changed choice for `Tasks.remember`
    sorts: dict[str, str] = field(default_factory=dict)  # order -> label


@dataclass(frozen=True)
class Notice:
    """A matter as the public reads it before applying."""

    matter: MatterSpec
    departments: dict[str, str]
    plan: Plan
    materials: list[tuple[Any, str]]
    steps: list[tuple[Any, str, Any]]
    picture: str


@dataclass(frozen=True)
class BoardRow:
    """A running case on the supervisor's board with its worst light."""

    case: Document
    matter_name: str
    worst: str | None
    running: list[tuple[str, str | None]]


@dataclass(frozen=True)
class Board:
    """Every running case, red first, and how many tasks shine which light."""

    rows: list[BoardRow]
    counts: dict[str, int]


class Pages:
    """Read models for every page about cases and tasks."""

    def __init__(self, cases: Cases, tasks: Tasks, files: Files, accounts: Accounts) -> None:
        self.cases = cases
        self.tasks = tasks
        self.files = files
        self.accounts = accounts

    def departments(self) -> dict[str, str]:
        """Department id -> name, as the catalog now says (an edit reaches it at once)."""
        return {d.id: d.name for d in self.accounts.departments.values()}

    # -- one case ---------------------------------------------------------------

    def case(self, user: User, case_id: str) -> reading.CaseView:
        """A case as ``user`` sees it, with the actions they may take now."""
        return self._view(user, self.cases.get(user, case_id))

    def _view(self, user: User, case: Document) -> reading.CaseView:
        matter = self.cases.spec(case)
        names = _Names(self.accounts)
        progress = reading.progress(matter, case, self.cases.calendar, self.tasks.light,
                                    self.departments(), names)
        return reading.CaseView(
            case=case, matter=matter, status_label=case_label(case["status"]),
            actions=self.cases.actions(user, case), progress=progress,
            materials=reading.material_state(matter, case, self.cases.clock()),
            supplement=reading.supplement_items(matter, case.get("supplement")),
            timeline=reading.timeline(matter, case, names,
                                      lambda r: ROLE_LABELS.get(r, r)),
            applicant=names(case["applicant"]),
            entered_by=names(case["entered_by"]) if case.get("entered_by") else "",
            files=self.file_meta(case),
            task_actions={t["id"]: self.tasks.actions(user, case, t["id"])
                          for t in case.get("tasks", ())},
            documents=[(kind.id, kind.title)
                       for kind, _ in self.cases.documents.issued(case)],
            owed=self._owed(user, matter, case), cashier=CASHIER in user.duties,
            agency=agency_view(case, forward_light(case, self.cases.clock(), self.cases.calendar,
                                                   *self.cases.effects.yellow), names))

    def _owed(self, user: User, matter: MatterSpec, case: Document) -> list[Owed]:
        if CaseAction.ISSUE_FEES not in self.cases.actions(user, case):
            return []
        try:
            return owed(matter, case["data"])
        except Invalid:  # an answer the fee needs is missing: issuing will say so
            return []

    def file_meta(self, case: Document) -> dict[str, list[dict[str, Any]]]:
        """{material_id: [file metadata]} for display."""
        out: dict[str, list[dict[str, Any]]] = {}
        for material_id, ids in case["materials"].items():
            metas = [self.files.meta(file_id) for file_id in ids]
            out[material_id] = [m for m in metas if m is not None]
        return out

    def case_file(self, user: User, case_id: str, file_id: str, *,
                  previewable: bool = False) -> tuple[dict[str, Any], bytes]:
        """A file of a case the user may read: (metadata, content); 404 for a file not on
        the case (nobody reads another case's upload through this one)."""
        case = self.cases.get(user, case_id)
        meta = self.files.meta(file_id) if file_id in files_of(case) else None
        if meta is None or (previewable and meta["content_type"] not in PREVIEWABLE):
            raise NotFound("没有这个文件" if not previewable else "没有可预览的文件")
        return meta, self.files.read(meta)

    def task(self, user: User, task_id: str) -> reading.TaskView:
        """A task page: the whole case, what the step reads, its pre-filled form."""
        case, task = self.tasks.get(user, task_id)
        view = self._view(user, case)
        step = view.matter.step(task["step"])
        now = self.tasks.clock()
        due = datetime.fromisoformat(task["due"]) if task.get("due") else None
        names = _Names(self.accounts)
        return reading.TaskView(
            view=view, task=task, step=step, light=self.tasks.light(task, now),
            remaining=self.tasks.calendar.remaining(now, due) if due else None,
            actions=view.task_actions[task_id],
            reads=reading.reads(view.matter, step, case),
            prefill=reading.prefill(step, case), upstream=reading.upstream(view.progress),
            colleagues=self.tasks.colleagues(user),
            claimer=names(task["claimed_by"]) if task.get("claimed_by") else "",
            mine=task.get("claimed_by") == user.id)

    def supplement_notice(self, user: User, case_id: str) -> tuple[reading.CaseView, Document,
                                                                  list[reading.SupplementItem]]:
        """The latest supplement notice (补正通知书) of a case, titled."""
        view = self.case(user, case_id)
        notices = [(e, new) for e in view.case["events"]
                   if e["action"] == "request_supplement"
                   for path, _old, new in e.get("changes", ())
                   if list(path) == ["supplement"] and isinstance(new, dict)]
        if not notices:
            raise NotFound("该办件没有补正通知")
        event, notice = notices[-1]
        return view, event, reading.supplement_items(view.matter, notice)

    def plan_picture(self, view: reading.CaseView) -> str:
        """The case's plan as SVG, every step in its live state and light."""
        return render_svg(view.matter, view.progress.plan, view.progress.departments,
                          view.progress.step_states())

    # -- lists --------------------------------------------------------------------

    def matter_names(self) -> dict[str, str]:
        """Published matter id -> name."""
        return {m.id: m.name for m in self.cases.matters.published()}

    def _matter_name(self, case: Document, names: dict[str, str]) -> str:
        return names.get(case["matter"]) or self.cases.spec(case).name

    def my_cases(self, user: User) -> list[CaseRow]:
        """An applicant's cases and drafts, and those agents submitted for it, newest first."""
        names = self.matter_names()
        rows = [CaseRow(c, self._matter_name(c, names), case_label(c["status"]),
                        self.cases.actions(user, c))
                for c in self.cases.list(user, limit=200)]
        entrusted = [CaseRow(c, self._matter_name(c, names), case_label(c["status"]),
                             self.cases.actions(user, c), {
                                 "agent": self.accounts.name_of(c["agent"]),
                                 "point": (c.get("agent_point") or {}).get("name", "")})
                     for c in self.cases.entrusted(user)]
        if not entrusted:
            return rows
        return sorted([*rows, *entrusted], key=lambda r: r.case["updated_at"], reverse=True)

    def window_queue(self, user: User, queue: str) -> Listing:
        """The window's queues; intake and supplements first come, first served."""
        groups = {g.key: g for g in WINDOW_QUEUES}
        chosen = groups.get(queue, WINDOW_QUEUES[0])
        cases = self.cases.list(user, status=chosen.states, limit=200)
        if chosen.key in FIRST_COME_QUEUES:
            cases = list(reversed(cases))
        names = self.matter_names()
        return Listing(
            tabs=[Tab(g.key, g.label, self.cases.count(user, status=g.states,
                                                       at_most=COUNT_CAP + 1))
                  for g in WINDOW_QUEUES],
            current=chosen.key,
            rows=[CaseRow(c, self._matter_name(c, names), case_label(c["status"]))
                  for c in cases])

    def worklist(self, user: User, tab: str | None, sort: str | None) -> Listing:
        """A department's tasks. Without a chosen tab, the remembered one — unless it is
        empty while another has work, so the list never opens on nothing to do.

        Reads only (it runs on the event loop, the hot page): a changed choice comes back
        as ``remember`` for the caller to keep with `Tasks.remember` (a durable write)."""
        saved = self.tasks.store.get_setting(user.id, FILTER_KEY) or {}
        groups = {g.key: g for g in DEPARTMENT_TABS}
        counts = self._counts(user)
        key = str(tab) if tab in groups else ""
        if not key:
            key = str(saved["view"]) if saved.get("view") in groups else "ready"
            if counts[key] == 0:
                key = next((g.key for g in DEPARTMENT_TABS if counts[g.key]), key)
        order = next((o for o in (sort, saved.get("sort")) if o in SORTS), "due")
        choice = {"view": key, "sort": order}
        rows = self._work_rows(user, groups[key], order)
        department = self.departments().get(user.department or "", "")
        return Listing([Tab(g.key, g.label, counts[g.key]) for g in DEPARTMENT_TABS], key,
                       rows, order, department, None if choice == saved else choice, SORTS)

    def _counts(self, user: User) -> dict[str, int]:
        """Every tab's count: one tally of the open tasks, and the decided ones capped."""
        mine = next(g for g in DEPARTMENT_TABS if g.key == "mine")
        tally = self.tasks.tally(user, mine.states)
        counts = {}
        for group in DEPARTMENT_TABS:
            if group.key == "done":  # every task the department ever decided: capped
                counts[group.key] = self.tasks.count_decided(user, at_most=COUNT_CAP + 1)
            else:
                found = tally.held if group is mine else tally.by_status
                counts[group.key] = sum(found.get(s, 0) for s in group.states)
        return counts

    def _work_rows(self, user: User, group: Group, sort: str) -> list[WorkRow]:
        if group.key == "done":
            found = self.tasks.decided(user, limit=200)
        else:
            found = self.tasks.worklist(user, status=group.states, limit=200)
        if group.key == "mine":
            found = [r for r in found if r.task.get("claimed_by") == user.id]
        if sort != "due":  # by when the task arrived
            found.sort(key=lambda r: r.task.get("ready_at") or "")
        names = self.matter_names()
        steps: dict[tuple[str, int, str], str] = {}
        rows = []
        for r in found:
            key = (r.case["matter"], r.case["matter_version"], r.task["step"])
            if key not in steps:
                steps[key] = self.tasks.matters.version(key[0], key[1]).step(key[2]).name
            rows.append(WorkRow(r.task, r.case, r.light, steps[key],
                                names.get(r.case["matter"], steps[key]),
                                task_label(r.task["status"]), bool(r.task.get("urges"))))
        return rows

    def board(self, user: User) -> Board:
        """Running cases with the worst light of their running tasks, red first."""
        cases = self.cases.list(user, status=sorted(RUNNING_CASE), limit=1000)
        departments = self.departments()
        names = self.matter_names()
        counts = {"red": 0, "yellow": 0, "green": 0}
        rows = []
        now = self.tasks.clock()
        for case in cases:
            running = [(departments.get(t["department"], t["department"]),
                        self.tasks.light(t, now)) for t in case.get("tasks", ())]
            running = [(d, light) for d, light in running if light]
            for _, light in running:
                counts[str(light)] += 1
            rows.append(BoardRow(case, self._matter_name(case, names),
                                 worst_light([light for _, light in running]), running))
        rows.sort(key=lambda r: (LIGHT_RANK[r.worst], r.case.get("accepted_at") or ""))
        return Board(rows, counts)

    def notice(self, matter_id: str) -> Notice:
        """The one-time notice (一次性告知) of a published matter, with its plan."""
        matter = self.cases.matters.current(matter_id)
        departments = self.departments()
        plan = make_plan(matter)
        return Notice(
            matter=matter, departments=departments, plan=plan,
            materials=[(m, describe_condition(m.when, matter.form)) for m in matter.materials],
            steps=[(s, describe_condition(s.when, matter.form), plan.steps[s.id])
                   for s in matter.steps],
            picture=render_svg(matter, plan, departments, public=True))

    @staticmethod
    def plan_json(matter: MatterSpec) -> dict[str, Any]:
        """A matter's plan as the API shows it."""
        return make_plan(matter).to_json()


class _Names:
    """User id -> how people see the name, looked up once per page."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self.seen: dict[str, str] = {}

    def __call__(self, user_id: str) -> str:
        if user_id not in self.seen:
            self.seen[user_id] = self.accounts.name_of(user_id)
        return self.seen[user_id]
