"""网上投诉: applicants file complaints about a case or a department; the supervisor
assigns them with a time limit; the department answers; the supervisor closes each with
the result the applicant sees and may rate. Kept as records (kind ``complaint``); the
lists read the copies `runtime.services.complaint_index` writes in the same batch."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from runtime.engine import complaints as engine
from runtime.engine.calendar import WorkCalendar
from runtime.engine.errors import EngineError, NotPermitted, TransitionNotAllowed
from runtime.engine.states import CaseAction, Role, TaskAction
from runtime.services.accounts import User
from runtime.services.cases import Cases, actor_of
from runtime.services.complaint_index import (
    KIND,
    applicant_kind,
    department_kind,
    track_complaint,
)
from runtime.services.complaint_index import read as read_index
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound

Document = dict[str, Any]
LABELS = engine.LABELS
Action = engine.ComplaintAction


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except TransitionNotAllowed as exc:
        if exc.reason == "already rated":
            raise Conflict("该投诉已评价") from exc
        raise Conflict(f"投诉当前为“{LABELS.get(str(exc.state), exc.state)}”，不能进行此操作") \
            from exc
    except NotPermitted as exc:
        raise Forbidden("无权处理该投诉") from exc
    except EngineError as exc:
        messages = {"/text": f"请填写内容（不超过 {engine.MAX_TEXT} 字）",
                    "/department": "请选择承办部门", "/level": "评价等级须为 1–5 的整数",
                    "/verdict": "请选择“投诉属实”或“投诉不属实”",
                    "/overturn": "只有投诉属实时才能撤销原决定"}
        details = [{"pointer": d["pointer"], "message": messages.get(d["pointer"], d["message"])}
                   for d in getattr(exc, "details", [])]
        raise Invalid("；".join(d["message"] for d in details) or "输入有误", details) from exc


class Complaints:
    """Filing, assigning, answering, closing and rating complaints."""

    def __init__(self, cases: Cases, calendar: WorkCalendar,
                 departments: Callable[[], Mapping[str, str]], clock: Callable[[], datetime],
                 answer_days: float) -> None:
        self.cases = cases
        self.store = cases.store
        self.calendar = calendar
        self.departments = departments
        self.clock = clock
        self.answer_days = answer_days

    def file(self, user: User, text: Any, *, case: str | None = None,
             department: str | None = None) -> Document:
        """The applicant's complaint, about one of their cases and/or a department."""
        if user.role != Role.APPLICANT:
            raise Forbidden("只有申请人可以投诉")
        number = None
        if case:
            number = self.cases.get(user, case).get("number")  # 404 unless theirs
        if department and department not in self.departments():
            raise Invalid("没有这个部门", [{"pointer": "/department", "message": "没有这个部门"}])
        with _translated():
            doc = engine.file("k_" + uuid.uuid4().hex[:12], actor_of(user), self.clock(), text,
                              case=case or None, case_number=number,
                              department=department or None)
        with self.store.write() as tx:
            tx.put_record(KIND, doc["id"], doc)
            track_complaint(tx, None, doc)
        return doc

    def get(self, user: User, complaint_id: str) -> Document:
        """One complaint the user may see (404 otherwise)."""
        doc = self.store.get_record(KIND, complaint_id)
        if doc is None or not self._sees(user, doc):
            raise NotFound("没有这个投诉")
        return doc

    @staticmethod
    def _sees(user: User, doc: Mapping[str, Any]) -> bool:
        if user.role in (Role.SUPERVISOR, Role.ADMIN):
            return True
        if user.role == Role.APPLICANT:
            return bool(doc["applicant"] == user.id)
        return user.role == Role.DEPARTMENT and doc["status"] != engine.ComplaintStatus.SUBMITTED \
            and doc.get("department") == user.department

    def listing(self, user: User) -> list[Document]:
        """Newest first: supervisors all, a department those assigned to it, an applicant
        their own."""
        if user.role == Role.WINDOW:
            raise Forbidden("综合窗口不处理投诉")
        if user.role == Role.APPLICANT:
            found = read_index(self.store, [applicant_kind(user.id)])
        elif user.role == Role.DEPARTMENT:
            found = read_index(self.store, [department_kind(user.department)]
                               if user.department else [])
        else:
            found = self.store.list_records(KIND)
        found = [d for d in found if self._sees(user, d)]  # (the copies say the same)
        return sorted(found, key=lambda d: d["created_at"], reverse=True)

    def _change(self, user: User, complaint_id: str, action: str, **given: Any) -> Document:
        with self.store.write() as tx:
            doc = tx.get_record(KIND, complaint_id)  # locked: the newer write wins
            if doc is None or not self._sees(user, doc):
                raise NotFound("没有这个投诉")
            with _translated():
                new = engine.act(doc, actor_of(user), self.clock(), action, **given)
            tx.put_record(KIND, complaint_id, new)
            track_complaint(tx, doc, new)
        return new

    def assign(self, user: User, complaint_id: str, department: str) -> Document:
        """The supervisor hands the complaint to a department, due in working days."""
        if department not in self.departments():
            raise Invalid("没有这个部门", [{"pointer": "/department", "message": "没有这个部门"}])
        due = self.calendar.add(self.clock(), self.answer_days).at
        return self._change(user, complaint_id, Action.ASSIGN, department=department, due=due)

    def reply(self, user: User, complaint_id: str, text: Any, *, verdict: Any = None,
              overturn: bool = False) -> Document:
        """A department answers; the supervisor closes with the result, a verdict
        (``upheld`` / ``not_upheld``) and, upheld, may overturn the refusal (不予受理) or
        rejection (不予许可) of the complaint's case (recorded, scored)."""
        action = Action.CLOSE if user.role == Role.SUPERVISOR else Action.ANSWER
        if user.role not in (Role.SUPERVISOR, Role.DEPARTMENT):
            raise Forbidden("只有电子监察和承办部门可以答复投诉")
        if action == Action.ANSWER:
            return self._change(user, complaint_id, action, text=text)
        overturned = self._refusal(self.get(user, complaint_id)) if overturn else None
        return self._change(user, complaint_id, action, text=text, verdict=verdict,
                            overturned=overturned)

    def _refusal(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """The refusal or rejection of the complaint's case: its last such event."""
        case = self.store.get_case(doc["case"]) if doc.get("case") else None
        tasks = {t["id"]: t for t in (case or {}).get("tasks") or ()}
        for event in reversed((case or {}).get("events") or ()):
            refused = event["entity"] == "case" and event["action"] == CaseAction.REFUSE
            rejected = event["entity"] == "task" and event["action"] == TaskAction.REJECT
            if refused or rejected:
                assert case is not None
                task = tasks.get(event.get("task") or "") or {}
                return {"case": case["id"], "number": case.get("number"),
                        "seq": event.get("seq", 0), "at": event["at"],
                        "action": "refuse" if refused else "reject",
                        "department": task.get("department"), "staff": event.get("actor")}
        raise Invalid("该办件没有不予受理或不予许可的决定，无可撤销",
                      [{"pointer": "/overturn", "message": "该办件没有不予受理或不予许可的决定"}])

    def rate(self, user: User, complaint_id: str, level: Any) -> Document:
        """The applicant rates the closed complaint's handling, once."""
        return self._change(user, complaint_id, Action.RATE, level=level)

    def actions(self, user: User, doc: Mapping[str, Any]) -> list[str]:
        """What ``user`` may do now (for the page's forms)."""
        found = []
        for action in (Action.ASSIGN, Action.ANSWER, Action.CLOSE, Action.RATE):
            if not engine.COMPLAINT.allows(doc["status"], action):
                continue
            try:
                engine.COMPLAINT.check_role(action, user.role)
            except EngineError:
                continue
            if action == Action.ANSWER and doc.get("department") != user.department:
                continue
            if action == Action.RATE and (doc.get("rating") or doc["applicant"] != user.id):
                continue
            found.append(str(action))
        return found

    @staticmethod
    def verdicts() -> Mapping[str, str]:
        """A closing's verdicts (核查结论) and their labels."""
        return engine.VERDICTS

    def label(self, doc: Mapping[str, Any]) -> str:
        """The complaint's state in Chinese."""
        return LABELS.get(doc["status"], doc["status"])

