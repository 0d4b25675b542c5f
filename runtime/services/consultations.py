"""网上咨询: applicants ask about a matter before applying; its lead department answers
and may publish the answer in the matter's public FAQ. Kept as records."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from runtime.engine import consultations as engine
from runtime.engine.errors import EngineError, NotPermitted, TransitionNotAllowed
from runtime.engine.states import Role
from runtime.services.accounts import User
from runtime.services.cases import actor_of
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound
from runtime.services.matters import Matters
from runtime.store import Store

KIND = "consultation"
MAX_TEXT = 2000
Document = dict[str, Any]
LABELS = engine.LABELS


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except TransitionNotAllowed as exc:
        raise Conflict("该咨询已答复") from exc
    except NotPermitted as exc:
        raise Forbidden("只有该事项的牵头部门可以答复") from exc
    except EngineError as exc:
        details = [{"pointer": d["pointer"], "message": "请填写内容"}
                   for d in getattr(exc, "details", [])]
        raise Invalid("请填写内容", details) from exc


class Consultations:
    """Questions, answers and the public FAQ."""

    def __init__(self, store: Store, matters: Matters, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.matters = matters
        self.clock = clock

    def ask(self, user: User, matter_id: str, question: Any) -> Document:
        """An applicant's question on a published matter."""
        if user.role != Role.APPLICANT:
            raise Forbidden("请以申请人身份登录后咨询")
        matter = self.matters.current(matter_id)  # 404 for an unknown matter
        if isinstance(question, str) and len(question) > MAX_TEXT:
            raise Invalid("咨询内容过长", [{"pointer": "/question",
                                         "message": f"不超过 {MAX_TEXT} 字"}])
        with _translated():
            doc = engine.ask("q_" + uuid.uuid4().hex[:12], actor_of(user), self.clock(),
                             matter.id, matter.lead, question)
        with self.store.write() as tx:
            tx.put_record(KIND, doc["id"], doc)
        return doc

    def _sees(self, user: User, doc: Document) -> bool:
        if user.role in (Role.SUPERVISOR, Role.ADMIN):
            return True
        if user.role == Role.APPLICANT:
            return bool(doc["applicant"] == user.id)
        return user.role == Role.DEPARTMENT and doc["department"] == user.department

    def listing(self, user: User) -> list[Document]:
        """Newest first: an applicant's own, a lead department's, all for supervisors."""
        found = [d for d in self.store.list_records(KIND) if self._sees(user, d)]
        return sorted(found, key=lambda d: d["asked_at"], reverse=True)

    def answer(self, user: User, question_id: str, text: Any, publish: bool) -> Document:
        """The lead department answers, publishing it in the FAQ or not."""
        if isinstance(text, str) and len(text) > MAX_TEXT:
            raise Invalid("答复过长", [{"pointer": "/answer", "message": f"不超过 {MAX_TEXT} 字"}])
        with self.store.write() as tx:
            doc = self.store.get_record(KIND, question_id)
            if doc is None or not self._sees(user, doc):
                raise NotFound("没有这个咨询")
            with _translated():
                new = engine.answer(doc, actor_of(user), self.clock(), text, publish)
            tx.put_record(KIND, question_id, new)
        return new

    def faq(self, matter_id: str) -> list[dict[str, str]]:
        """The published questions and answers of a matter, newest first (no names)."""
        found = [d for d in self.store.list_records(KIND)
                 if d["matter"] == matter_id and d.get("published") and d.get("answer")]
        found.sort(key=lambda d: d["answer"]["at"], reverse=True)
        return [{"question": d["question"], "answer": d["answer"]["text"],
                 "date": d["answer"]["at"][:10]} for d in found]

    def label(self, doc: Document) -> str:
        """The question's state in Chinese."""
        return LABELS.get(doc["status"], doc["status"])
