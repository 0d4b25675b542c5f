"""Case use cases for applicants and the window, with authorisation.

Every change reads the case inside one write batch, lets the pure engine compute the
new case, and writes it back in the same batch: the store's single writer makes each
use case atomic, and the case number (受理编号) is allocated in the batch that saves it,
so numbers are unique and gap-free per day. Reads never write: time-driven changes
(超时默许) are applied by `apply_timeouts`, which the serving process runs on a clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from builder import Centre, MatterSpec
from runtime import engine, forms
from runtime.engine.actor import Actor
from runtime.engine.calendar import WorkCalendar
from runtime.engine.states import Role, TaskStatus
from runtime.engine.vocabulary import RUNNING_CASE
from runtime.services.accounts import Accounts, User
from runtime.services.agents import principal
from runtime.services.documents import Documents
from runtime.services.effects import Effects
from runtime.services.entrusted import entrusted_ids
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound
from runtime.services.matters import Matters
from runtime.services.problems import engine_errors
from runtime.services.schedule import mark
from runtime.store import Conflict as StoreConflict
from runtime.store import Store, WriteBatch

Document = dict[str, Any]
STAFF_ROLES = (Role.WINDOW, Role.SUPERVISOR, Role.ADMIN)
OWN_CASES = (Role.APPLICANT, Role.AGENT)
"""Roles that list their own cases: an agent's are those it applied for (它是 applicant)."""
QUERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8
NUMBER_DIGITS = 6
"""Digits of the daily sequence in a case number (受理编号): up to 999,999 acceptances a
day under one prefix, more than a province's busiest centre takes in a year's busiest
day; the number never grows a digit (docs/services.md)."""


def actor_of(user: User) -> Actor:
    """The engine's view of a user."""
    return Actor(id=user.id, role=user.role, department=user.department, name=user.display_name,
                 point=user.point[0])


def can_see(user: User, case: Mapping[str, Any]) -> bool:
    """Who may read a case: its applicant, the window, supervisors, admins, and a
    department that has a task on it."""
    if user.role in STAFF_ROLES:
        return True
    if user.role == Role.APPLICANT:  # their own, and those an agent carries for them
        return bool(case.get("applicant") == user.id) or bool(
            user.id_number and (case.get("on_behalf_of") or {}).get("id_number", "").upper()
            == user.id_number)
    if user.role == Role.AGENT:  # those entrusted to it; at a town point, those to forward
        return bool(case.get("agent") == user.id) or bool(
            user.point[1] == "town" and (case.get("forward") or {}).get("to") == user.point[0])
    if user.role == Role.DEPARTMENT:
        return any(t["department"] == user.department and t["status"] != TaskStatus.SKIPPED
                   for t in case.get("tasks", ()))
    return False


def new_query_code() -> str:
    """The receipt's query code (查询码): 8 characters a person reads without doubt
    (no 0/O, 1/I/L), about 10^12 codes, tried at most a few times a minute."""
    return "".join(secrets.choice(QUERY_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def shown(user: User, case: Document) -> Document:
    """The case as ``user`` may read it: the query code only for its applicant (or the
    agent that applied) and the window (a department or supervisor has no use for it)."""
    if "query_code" in case and not (
            user.role == Role.WINDOW
            or (user.role in OWN_CASES and case.get("applicant") == user.id)):
        case = {k: v for k, v in case.items() if k != "query_code"}
    return case


def task_ids_for(case_id: str) -> Callable[[str], str]:
    """Task ids carry their case id (``t_<case>-<n>``), so a task finds its case."""
    counter = iter(range(1, 10_000))
    return lambda prefix: f"t_{case_id.removeprefix('c_')}-{next(counter)}"


def case_of_task(task_id: str) -> str:
    """The case id inside a task id."""
    if not task_id.startswith("t_") or "-" not in task_id:
        raise NotFound("没有这个任务")
    return "c_" + task_id[2:].rsplit("-", 1)[0]


class Cases:
    """Applicant and window use cases."""

    def __init__(self, store: Store, matters: Matters, calendar: WorkCalendar, centre: Centre,
                 clock: Callable[[], datetime], accounts: Accounts,
                 documents: Documents, effects: Effects) -> None:
        self.store = store
        self.documents = documents
        self.effects = effects
        self.matters = matters
        self.calendar = calendar
        self.centre = centre
        self.clock = clock
        self.accounts = accounts

    # -- reading ----------------------------------------------------------------

    def spec(self, case: Mapping[str, Any]) -> MatterSpec:
        """The matter version this case is pinned to."""
        return self.matters.version(case["matter"], case["matter_version"])

    def get(self, user: User, case_id: str) -> Document:
        """A case the user may see (404 otherwise: its existence is not disclosed)."""
        case = self.store.get_case(case_id)
        if case is None or not can_see(user, case):
            raise NotFound("没有这个办件，或您无权查看")
        return shown(user, case)

    def by_number(self, user: User, number: str) -> Document:
        """A case by its public number."""
        case = self.store.get_case_by_number(number.strip())
        if case is None or not can_see(user, case):
            raise NotFound("没有这个受理编号的办件，或您无权查看")
        return shown(user, case)

    def entrusted(self, user: User) -> list[Document]:
        """The cases agents submitted for this applicant (全程代办, found by the account's
        ID number in the principal's index, never by reading every case), newest first."""
        if user.role != Role.APPLICANT or not user.id_number:
            return []
        found = (self.store.get_case(i) for i in entrusted_ids(self.store, user.id_number))
        return sorted((shown(user, c) for c in found if c is not None and can_see(user, c)),
                      key=lambda c: c["updated_at"], reverse=True)

    def list(self, user: User, *, status: Iterable[str] | None = None, limit: int = 50,
             offset: int = 0) -> list[Document]:
        """Cases for the window and supervisors; an applicant's (an agent's) own cases."""
        if user.role in OWN_CASES:
            return self.store.list_cases(status=status, applicant=user.id, limit=limit,
                                         offset=offset)
        if user.role not in STAFF_ROLES:
            raise Forbidden("部门人员请通过任务列表查看办件")
        return [shown(user, c) for c in self.store.list_cases(status=status, limit=limit,
                                                                offset=offset)]

    def count(self, user: User, *, status: Iterable[str] | None = None,
              at_most: int | None = None) -> int:
        """How many cases ``list`` would show without a limit (up to ``at_most``)."""
        if user.role in OWN_CASES:
            return self.store.count_cases(status=status, applicant=user.id, at_most=at_most)
        if user.role not in STAFF_ROLES:
            raise Forbidden("部门人员请通过任务列表查看办件")
        return self.store.count_cases(status=status, at_most=at_most)

    def document(self, user: User, case_id: str, kind: str, *,
                 pdf: bool = True) -> tuple[str, bytes]:
        """A formal document of a case the user may read, as archived: its file name and
        its PDF (or print-ready HTML) bytes; 404 when the case has none of that kind."""
        case = self.get(user, case_id)
        name = f"{case.get('number') or case['id']}-{kind}"
        if pdf:
            return f"{name}.pdf", self.documents.pdf(case, kind)
        return f"{name}.html", self.documents.html(case, kind).encode("utf-8")

    def actions(self, user: User, case: Mapping[str, Any]) -> frozenset[str]:
        """The case actions this user may take now (the engine's answer)."""
        return frozenset(str(a) for a in engine.case_actions(case, actor_of(user)))

    # -- time ---------------------------------------------------------------------

    def apply_timeouts(self, now: datetime | None = None) -> int:
        """Apply every due timeout (超时默许) of running cases; how many cases changed.

        Run by the serving process on a clock, so lists and the board are right even
        when nobody opens the case.
        """
        now = now or self.clock()
        changed, offset = 0, 0
        while True:
            page = self.store.list_cases(status=sorted(RUNNING_CASE), limit=500, offset=offset)
            for case in page:
                matter = self.spec(case)
                if engine.tick(case, matter, now, self.calendar) is case:
                    continue
                with self.store.write() as tx:
                    fresh = tx.get_case(case["id"])
                    if fresh is None:
                        continue
                    ticked = engine.tick(fresh, matter, now, self.calendar)
                    if ticked is not fresh:
                        self.put(tx, ticked, fresh, matter)
                        changed += 1
            if len(page) < 500:
                return changed
            offset += len(page)

    # -- the write path ---------------------------------------------------------

    def change(self, user: User, case_id: str,
               action: Callable[[Document, MatterSpec, WriteBatch], Document]) -> Document:
        """Read, authorise, compute with the engine, write — in one batch."""
        with self.store.write() as tx:
            case = tx.get_case(case_id)
            if case is None or not can_see(user, case):
                raise NotFound("没有这个办件，或您无权查看")
            matter = self.spec(case)
            with engine_errors(matter):
                new = action(case, matter, tx)
            return shown(user, self.put(tx, new, case, matter))

    def change_as_system(self, case_id: str,
                         action: Callable[[Document, MatterSpec, WriteBatch], Document]
                         ) -> Document:
        """`change` for a caller the services have already authenticated otherwise (the
        bank's signed callback): no user, so no reading check."""
        with self.store.write() as tx:
            case = tx.get_case(case_id)
            if case is None:
                raise NotFound("没有这个办件")
            matter = self.spec(case)
            with engine_errors(matter):
                new = action(case, matter, tx)
            return self.put(tx, new, case, matter)

    def put(self, tx: WriteBatch, case: Document, old: Document | None,
            matter: MatterSpec) -> Document:
        """Write a changed case with the notifications it causes (one batch); a concurrent
        change is a 409."""
        mark(case)  # its timed jobs are planned in this batch (effects.after)
        try:
            case["rev"] = tx.put_case(case, expected_rev=(old or {}).get("rev", 0))
        except StoreConflict as exc:
            raise Conflict("该办件刚被他人更新，请刷新后重试") from exc
        self.effects.after(tx, old, case, matter)
        return case

    def _check_files(self, user: User, matter: MatterSpec, materials: Mapping[str, Any] | None,
                     case: Mapping[str, Any] | None = None) -> None:
        """Each referenced file exists, was uploaded by this user (or is already on this
        case), and fits its material: nobody attaches another person's upload."""
        details = []
        known = {m.id: m for m in matter.materials}
        held = files_of(case) if case is not None else set()
        for material_id, file_ids in (materials or {}).items():
            pointer = f"/materials/{material_id}"
            spec = known.get(material_id)
            if spec is None:
                details.append({"pointer": pointer, "message": f"本事项没有材料“{material_id}”"})
                continue
            if not isinstance(file_ids, list) or not all(isinstance(f, str) for f in file_ids):
                details.append({"pointer": pointer, "message": "材料须为已上传文件编号的列表"})
                continue
            for file_id in file_ids:
                meta = self.store.get_file(file_id)
                if meta is None or (file_id not in held and meta.get("uploaded_by") != user.id):
                    details.append({"pointer": pointer, "message":
                                    f"“{spec.name}”的文件不存在或不是您上传的"})
                elif meta["name"].rpartition(".")[2].lower() not in spec.accept:
                    details.append({"pointer": pointer, "message":
                                    f"“{spec.name}”只接受 {'、'.join(spec.accept).upper()} 格式"})
                elif meta["size"] > spec.max_mb * 1024 * 1024:
                    details.append({"pointer": pointer, "message":
                                    f"“{spec.name}”单个文件不超过 {spec.max_mb:g} MB"})
        if details:
            raise Invalid("材料有误：" + "；".join(d["message"] for d in details), details)

    # -- applicant (and the window for a walk-in applicant) -----------------------

    def start(self, user: User, matter_id: str, *, data: Mapping[str, Any] | None = None,
              materials: Mapping[str, Any] | None = None,
              applicant: User | None = None,
              on_behalf_of: Mapping[str, Any] | None = None) -> Document:
        """A new draft, its form defaults filled in; the window starts one for a walk-in
        ``applicant`` (窗口代录) and may then fill it in, as itself; an agent names
        ``on_behalf_of`` (全程代办: its 转报 starts at submission)."""
        owner = self._owner(user, applicant)
        principal_, point = self.proxy(user, on_behalf_of)
        matter = self.matters.current(matter_id)
        self._check_files(user, matter, materials)
        answers = dict(forms.defaults(matter.form)) if data is None else data
        with engine_errors(matter):
            case = engine.new_case(matter, actor_of(user), self.clock(), data=answers,
                                   materials=materials,
                                   applicant=owner.id if owner is not user else None,
                                   on_behalf_of=principal_, agent_point=point)
        with self.store.write() as tx:
            return self.put(tx, case, None, matter)

    @staticmethod
    def proxy(user: User, on_behalf_of: Any) -> tuple[dict[str, str] | None,
                                                      dict[str, str] | None]:
        """(principal, service point) of an agent's application, checked; an agent must
        name its principal, nobody else may."""
        if user.role != Role.AGENT and on_behalf_of is None:
            return None, None
        if user.role != Role.AGENT:
            raise Invalid("只有代办员可以代为申请", [{"pointer": "/on_behalf_of",
                                             "message": "不支持的字段"}])
        point = {k: v for k, v in zip(("name", "level", "town"), user.point, strict=True)
                 if v} if user.point[0] else None
        return principal(on_behalf_of), point

    def _owner(self, user: User, applicant: User | None) -> User:
        if user.role in OWN_CASES and applicant in (None, user):
            return user
        if user.role == Role.WINDOW and applicant is not None and \
                applicant.role == Role.APPLICANT:
            return applicant
        if user.role == Role.WINDOW:
            raise Invalid("窗口代为申请须指定申请人账号",
                          [{"pointer": "/applicant", "message": "请指定申请人"}])
        raise Forbidden("只有申请人、代办员或综合窗口可以提出申请")

    def save(self, user: User, case_id: str, *, data: Mapping[str, Any] | None = None,
             materials: Mapping[str, Any] | None = None,
             on_behalf_of: Mapping[str, Any] | None = None) -> Document:
        """Update a draft (an agent's: its principal too)."""
        principal_ = self.proxy(user, on_behalf_of)[0] if on_behalf_of is not None else None

        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            self._check_files(user, matter, materials, case)
            return engine.save_draft(case, matter, actor_of(user), self.clock(), data=data,
                                     materials=materials, on_behalf_of=principal_)
        return self.change(user, case_id, act)

    def submit(self, user: User, case_id: str, *, dry_run: bool = False) -> Document:
        """Submit a draft (validated against the form and the material list); what the
        holder's certificates in the register satisfy needs no upload (免提交). A village
        agent's case starts its 转报 now. ``dry_run``: check only, write nothing (the
        site's 核对信息 asks what submission would refuse)."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            now = self.clock()
            return engine.submit(case, matter, actor_of(user), now,
                                 register=self.found(user, matter, case["data"], case),
                                 forward=engine.forwarding(case.get("agent_point"), now,
                                                           self.calendar))
        if not dry_run:
            return self.change(user, case_id, act)
        case = self.get(user, case_id)
        matter = self.spec(case)
        with engine_errors(matter):
            return act(case, matter, None)  # type: ignore[arg-type]

    def found(self, user: User, matter: MatterSpec, data: Any,
              case: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The applicant's certificates in the register this matter may take."""
        register = self.effects.register
        return register.found(user, matter, data, case) if register is not None else {}

    def apply(self, user: User, matter_id: str, data: Mapping[str, Any],
              materials: Mapping[str, Any], applicant: User | None = None,
              on_behalf_of: Mapping[str, Any] | None = None) -> Document:
        """Create and submit in one go (the API's ``POST /cases``); nothing is kept on error.
        An agent names ``on_behalf_of`` and uploads the entrustment letter (全程代办)."""
        owner = self._owner(user, applicant)
        principal_, point = self.proxy(user, on_behalf_of)
        matter = self.matters.current(matter_id)
        self._check_files(user, matter, materials)
        now = self.clock()
        actor = actor_of(user)
        with engine_errors(matter):
            case = engine.new_case(matter, actor, now, data=data, materials=materials,
                                   applicant=owner.id if owner is not user else None,
                                   on_behalf_of=principal_, agent_point=point,
                                   forward=engine.forwarding(point, now, self.calendar))
            case = engine.submit(case, matter, actor, now,
                                 register=self.found(user, matter, data, case))
        with self.store.write() as tx:
            return self.put(tx, case, None, matter)

    def withdraw(self, user: User, case_id: str, reason: str = "") -> Document:
        """The applicant withdraws (撤回)."""
        return self.change(user, case_id, lambda case, matter, _: engine.withdraw(
            case, matter, actor_of(user), self.clock(), reason))

    def answer_supplement(self, user: User, case_id: str, *,
                          data: Mapping[str, Any] | None = None,
                          materials: Mapping[str, Any] | None = None) -> Document:
        """Answer every item of the supplement notice, and change nothing else."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            self._check_files(user, matter, materials, case)
            return engine.answer_supplement(
                case, matter, actor_of(user), self.clock(), data=data, materials=materials,
                register=self.found(user, matter, case["data"] if data is None else data, case))
        return self.change(user, case_id, act)

    # -- window -------------------------------------------------------------------

    def pre_review(self, user: User, case_id: str, note: str) -> Document:
        """Record the window's pre-review opinion (预审)."""
        return self.change(user, case_id, lambda case, matter, _: engine.pre_review(
            case, matter, actor_of(user), self.clock(), note))

    def accept(self, user: User, case_id: str, *, deferred: Sequence[str] = ()) -> Document:
        """Accept (受理): number the case and start every first step in parallel."""
        def act(case: Document, matter: MatterSpec, tx: WriteBatch) -> Document:
            now = self.clock()
            day = now.strftime("%Y%m%d")
            key = f"{self.centre.case_prefix}{day}"
            # Engine errors abort the batch, so a refused acceptance consumes no number.
            sequence = tx.next_sequence(key)
            if sequence >= 10 ** NUMBER_DIGITS:  # a number never grows a digit
                raise Conflict(f"今日受理编号已用尽（{10 ** NUMBER_DIGITS - 1:,} 件），"
                               "请联系中心管理员")
            number = f"{key}{sequence:0{NUMBER_DIGITS}d}"
            new = engine.accept(case, matter, actor_of(user), now, number=number,
                                calendar=self.calendar, deferred=tuple(deferred),
                                new_id=task_ids_for(case["id"]), query_code=new_query_code())
            new = self.documents.issue(new, matter, "receipt", user, now)
            if new.get("deferred"):
                new = self.documents.issue(new, matter, "commitment", user, now)
            return new
        return self.change(user, case_id, act)

    def request_supplement(self, user: User, case_id: str,
                           items: Sequence[Mapping[str, Any]]) -> Document:
        """One supplement notice listing every item to correct (一次性告知补正)."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            now = self.clock()
            new = engine.request_supplement(case, matter, actor_of(user), now, items)
            return self.documents.issue(new, matter, "supplement", user, now)
        return self.change(user, case_id, act)

    def refuse(self, user: User, case_id: str, reason: str) -> Document:
        """Refuse to accept (不予受理), with the reason."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            now = self.clock()
            new = engine.refuse(case, matter, actor_of(user), now, reason)
            return self.documents.issue(new, matter, "refusal", user, now)
        return self.change(user, case_id, act)

    def supply_deferred(self, user: User, case_id: str, material: str,
                        file_ids: Sequence[str]) -> Document:
        """A deferred material (容缺) arrives: at the window, or uploaded by the applicant."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            self._check_files(user, matter, {material: list(file_ids)}, case)
            return engine.supply_deferred(case, matter, actor_of(user), self.clock(), material,
                                          file_ids)
        return self.change(user, case_id, act)

    def verify_original(self, user: User, case_id: str, material: str) -> Document:
        """The window records that it saw a material's original (原件核验)."""
        return self.change(user, case_id, lambda case, matter, _: engine.verify_original(
            case, matter, actor_of(user), self.clock(), material))

    def deliver(self, user: User, case_id: str) -> Document:
        """Hand over the outcome and every certificate (出件)."""
        def act(case: Document, matter: MatterSpec, _: WriteBatch) -> Document:
            now = self.clock()
            new = engine.deliver(case, matter, actor_of(user), now)
            return self.documents.issue(new, matter, "delivery", user, now)
        return self.change(user, case_id, act)


def files_of(case: Mapping[str, Any]) -> set[str]:
    """Every file id already attached to a case."""
    found = {f for ids in (case.get("materials") or {}).values() for f in ids}
    found |= {f for d in case.get("deferred") or () for f in d.get("files", ())}
    return found
