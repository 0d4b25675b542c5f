"""Scores under the project's catalog/scoring.yaml, from a history worked out by hand."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from builder import load_catalog
from runtime.engine.calendar import CHINA_TZ
from runtime.engine.scoring import band, collect, officers, score

RULES = load_catalog(Path(__file__).parents[3] / "catalog").scoring
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=CHINA_TZ)
DEPARTMENTS = {"amr": "市场监督管理局", "psb": "公安局", "tax": "税务局",
               "hrss": "人力资源和社会保障局"}
STAFF = {"u_amr1": "amr", "u_psb1": "psb", "u_win": None}


def ev(seq: int, at: str, action: str, entity: str = "case", task: str | None = None,
       actor: str = "system", role: str = "system") -> dict[str, Any]:
    return {"seq": seq, "at": f"2026-12-{at}+08:00", "action": action, "entity": entity,
            "task": task, "actor": actor, "role": role}


def task(task_id: str, department: str, due: str) -> dict[str, Any]:
    return {"id": task_id, "department": department, "due": f"2026-12-{due}+08:00",
            "step": "s", "status": "approved"}


CASES = [
    # X: amr's officer decides two days late (-2 to amr and to u_amr1); psb on time.
    {"id": "c_x", "number": "ZW1", "tasks": [task("t1", "amr", "01T12:00:00"),
                                             task("t2", "psb", "05T12:00:00")],
     "events": [ev(1, "01T09:00:00", "accept"),
                ev(2, "03T10:00:00", "approve", "task", "t1", "u_amr1", "department"),
                ev(3, "04T10:00:00", "approve", "task", "t2", "u_psb1", "department")]},
    # Y: tax's step consented by timeout (-1 to tax; not also counted as overdue).
    {"id": "c_y", "number": "ZW2", "tasks": [task("t3", "tax", "02T12:00:00")],
     "events": [ev(1, "02T12:00:01", "consent", "task", "t3")]},
    # Z: the window asks for supplements twice: the second one costs u_win 1 point.
    {"id": "c_z", "number": "ZW3", "tasks": [],
     "events": [ev(1, "01T09:00:00", "request_supplement", actor="u_win", role="window"),
                ev(2, "02T09:00:00", "request_supplement", actor="u_win", role="window")]},
    # R: a 差评 for hrss (-2), its rectification due 10 Dec never answered (-3).
    {"id": "c_r", "number": "ZW4", "tasks": [],
     "rating": {"level": 1, "department": "hrss", "comment": "慢",
                "rectification": {"department": "hrss", "status": "open",
                                  "due": "2026-12-10T23:59:59+08:00", "reply": None,
                                  "appeal": None}},
     "events": [ev(1, "03T09:00:00", "rate", "rating", actor="u_app", role="applicant")]},
    # G: 非常满意 for amr (+0.5).
    {"id": "c_g", "number": "ZW5", "tasks": [],
     "rating": {"level": 5, "department": "amr", "rectification": None},
     "events": [ev(1, "04T09:00:00", "rate", "rating", actor="u_app", role="applicant")]},
    # N: all in November: nothing counts in December.
    {"id": "c_n", "number": "ZW6", "tasks": [task("t9", "amr", "01T00:00:00")],
     "events": [{**ev(1, "01", "approve", "task", "t9", "u_amr1", "department"),
                 "at": "2026-11-20T09:00:00+08:00"}]},
]
COMPLAINTS = [{"id": "k_1", "department": "psb", "case_number": "ZW1", "text": "态度差",
               "history": [{"action": "file", "at": "2026-12-01T09:00:00+08:00"},
                           {"action": "close", "at": "2026-12-08T09:00:00+08:00"}]}]


def run(annulled: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    hits = collect(CASES, COMPLAINTS, "2026-12", NOW)
    people = officers(CASES, "2026-12", lambda u: u in STAFF)
    people |= {h.staff for h in hits if h.staff}
    depts, staff = score(hits, RULES, departments=DEPARTMENTS,
                         staff={u: u for u in people}, annulled=annulled or {})
    return {s.subject: s for s in depts}, {s.subject: s for s in staff}


def test_department_scores_by_hand() -> None:
    depts, _ = run()
    amr = depts["amr"]
    assert amr.score == 100 - 2 + 0.5 and amr.band_points == 2
    assert {i.rule: (i.count, i.points) for i in amr.items} == {
        "overdue-task": (1, -2.0), "good-rating": (1, 0.5)}
    assert [h.number for i in amr.items if i.rule == "overdue-task" for h in i.hits] == ["ZW1"]
    assert depts["tax"].score == 99 and [i.rule for i in depts["tax"].items] == [
        "consent-timeout"]
    assert depts["hrss"].score == 100 - 2 - 3
    assert depts["psb"].score == 98  # the complaint; its task was on time
    assert {d: s.score for d, s in depts.items()} == {
        "amr": 98.5, "psb": 98, "tax": 99, "hrss": 95}


def test_staff_scores_and_grades_by_hand() -> None:
    _, staff = run()
    assert {u: s.score for u, s in staff.items()} == {"u_amr1": 98, "u_psb1": 100, "u_win": 99}
    # 优秀 needs 95 and the top 20%: of three officers, only the first.
    assert {u: s.grade for u, s in staff.items()} == {
        "u_psb1": "优秀", "u_win": "称职", "u_amr1": "称职"}


def test_an_annulled_deduction_no_longer_counts_but_stays_visible() -> None:
    key = "overdue-task:c_x:2"
    depts, staff = run({key: {"reason": "系统故障", "by": "u_sup"}})
    amr = depts["amr"]
    assert amr.score == 100.5
    [overdue] = [i for i in amr.items if i.rule == "overdue-task"]
    assert overdue.count == 0 and overdue.annulled[0][1]["reason"] == "系统故障"
    assert staff["u_amr1"].score == 100


@pytest.mark.parametrize(("value", "points"), [
    (100, 2), (94.5, 2), (94, 0), (85, 0), (84, -1), (80, -1), (79, -2), (60, -3), (0, -3)])
def test_department_bands(value: float, points: float) -> None:
    assert band(value, RULES["bands"]) == points


# Closed in December with a verdict: k_2 upheld against tax, overturning tax's 不予许可
# of case c_q decided by u_tax1 (event seq 3); k_3 not upheld against amr; k_4 about no
# department, overturning the window's 不予受理 of case c_w by u_win (seq 1).
VERDICTS = [
    {"id": "k_2", "department": "tax", "case_number": "ZW7", "text": "不予许可理由不成立",
     "result": {"text": "属实，撤销", "verdict": "upheld",
                "overturned": {"case": "c_q", "seq": 3, "department": "tax",
                               "staff": "u_tax1", "number": "ZW7", "action": "reject"}},
     "history": [{"action": "close", "at": "2026-12-09T09:00:00+08:00"}]},
    {"id": "k_3", "department": "amr", "case_number": None, "text": "排队久",
     "result": {"text": "不属实", "verdict": "not_upheld"},
     "history": [{"action": "close", "at": "2026-12-10T09:00:00+08:00"}]},
    {"id": "k_4", "department": None, "case_number": "ZW8", "text": "不予受理有误",
     "result": {"text": "属实", "verdict": "upheld",
                "overturned": {"case": "c_w", "seq": 1, "department": None,
                               "staff": "u_win", "number": "ZW8", "action": "refuse"}},
     "history": [{"action": "close", "at": "2026-12-11T09:00:00+08:00"}]},
    # Closed in November: nothing counts in December.
    {"id": "k_5", "department": "psb", "text": "x", "result": {"verdict": "upheld"},
     "history": [{"action": "close", "at": "2026-11-30T23:00:00+08:00"}]},
]


def test_complaint_upheld_and_refusal_overturned_by_hand() -> None:
    hits = collect(CASES, COMPLAINTS + VERDICTS, "2026-12", NOW)
    people = officers(CASES, "2026-12", lambda u: u in STAFF) | {h.staff for h in hits
                                                                   if h.staff}
    depts, staff = score(hits, RULES, departments=DEPARTMENTS, staff={u: u for u in people},
                         annulled={})
    by_dept = {s.subject: s for s in depts}
    # tax: 超时默许 -1, k_2 closed -2, upheld -2, its rejection overturned -3.
    assert by_dept["tax"].score == 100 - 1 - 2 - 2 - 3
    assert {i.rule: i.count for i in by_dept["tax"].items} == {
        "consent-timeout": 1, "complaint": 1, "complaint-upheld": 1, "refusal-overturned": 1}
    [overturned] = [h for i in by_dept["tax"].items if i.rule == "refusal-overturned"
                    for h in i.hits]
    assert (overturned.key, overturned.number) == ("c_q:3:overturned", "ZW7")
    # amr: overdue -2, 非常满意 +0.5, k_3 closed but not upheld -2 only.
    assert by_dept["amr"].score == 100 - 2 + 0.5 - 2
    assert by_dept["psb"].score == 98  # k_1 only: k_5 was closed in November
    by_staff = {s.subject: s.score for s in staff}
    # u_win: the second supplement -1 and the overturned refusal -3; u_tax1: -3.
    assert by_staff["u_win"] == 100 - 1 - 3 and by_staff["u_tax1"] == 97
