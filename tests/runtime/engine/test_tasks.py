"""Department and supervisor actions; joins, staged release, cascades, certificates."""

from __future__ import annotations

import copy

import pytest

from builder.spec import At, Certificate, Join, Need
from runtime.engine import (
    NotPermitted,
    TransitionNotAllowed,
    UnknownTask,
    ValidationFailed,
    approve,
    claim,
    preliminary,
    reject,
    resume,
    suspend,
    transfer,
    unclaim,
    urge,
    withdraw,
)
from tests.runtime.engine.helpers import (
    APPLICANT,
    CAL,
    LICENSE_NO,
    NOW,
    SUPERVISOR,
    WINDOW,
    decide,
    fixture_data,
    fixture_matter,
    later,
    license_ok,
    make_matter,
    running,
    staff,
    status,
    step,
    task,
)

M = fixture_matter()
AMR, AMR2 = staff("amr"), staff("amr", 2)


def claimed_license() -> tuple[dict, str]:
    case = running()
    tid = task(case, "license")["id"]
    return claim(case, M, AMR, NOW, tid), tid


def test_claim_and_unclaim() -> None:
    case, tid = claimed_license()
    assert task(case, "license")["claimed_by"] == "u_amr1"
    assert status(case, "license") == "claimed"
    back = unclaim(case, M, AMR, NOW, tid)
    assert status(back, "license") == "ready" and task(back, "license")["claimed_by"] is None
    assert claim(back, M, AMR2, NOW, tid)["tasks"][0]["claimed_by"] == "u_amr2"


def test_claim_refusals() -> None:
    case = running()
    tid = task(case, "license")["id"]
    with pytest.raises(NotPermitted, match="department amr"):
        claim(case, M, staff("psb"), NOW, tid)
    with pytest.raises(NotPermitted):
        claim(case, M, WINDOW, NOW, tid)
    with pytest.raises(TransitionNotAllowed):  # still waiting
        claim(case, M, staff("psb"), NOW, task(case, "seal")["id"])
    with pytest.raises(UnknownTask):
        claim(case, M, AMR, NOW, "t_nope")
    taken = claim(case, M, AMR, NOW, tid)
    with pytest.raises(TransitionNotAllowed):
        claim(taken, M, AMR2, NOW, tid)


def test_only_the_claimer_works_a_claimed_task() -> None:
    case, tid = claimed_license()
    data = {"license_no": LICENSE_NO}
    with pytest.raises(NotPermitted, match="claimed"):
        approve(case, M, AMR2, NOW, tid, calendar=CAL, data=data)
    with pytest.raises(NotPermitted):
        reject(case, M, AMR2, NOW, tid, "x")
    with pytest.raises(NotPermitted):
        preliminary(case, M, AMR2, NOW, tid, "x", calendar=CAL)
    with pytest.raises(NotPermitted):
        unclaim(case, M, AMR2, NOW, tid)


def test_ready_tasks_must_be_claimed_first() -> None:
    case = running()
    tid = task(case, "license")["id"]
    with pytest.raises(TransitionNotAllowed) as err:
        approve(case, M, AMR, NOW, tid, calendar=CAL, data={"license_no": LICENSE_NO})
    assert (err.value.entity, err.value.state) == ("task", "ready")
    with pytest.raises(TransitionNotAllowed):
        reject(case, M, AMR, NOW, tid, "x")


def test_transfer_to_a_colleague() -> None:
    case, tid = claimed_license()
    moved = transfer(case, M, AMR, NOW, tid, "u_amr2")
    assert task(moved, "license")["claimed_by"] == "u_amr2"
    assert status(moved, "license") == "claimed"
    with pytest.raises(NotPermitted):  # the old claimer no longer holds it
        approve(moved, M, AMR, NOW, tid, calendar=CAL, data={"license_no": LICENSE_NO})
    with pytest.raises(ValidationFailed):
        transfer(case, M, AMR, NOW, tid, "u_amr1")


def test_approve_validates_the_step_form_with_pointers() -> None:
    case, tid = claimed_license()
    with pytest.raises(ValidationFailed) as err:
        approve(case, M, AMR, NOW, tid, calendar=CAL, data={"license_no": "abc"})
    assert [d["pointer"] for d in err.value.details] == ["/license_no"]
    with pytest.raises(ValidationFailed) as err:
        approve(case, M, AMR, NOW, tid, calendar=CAL)
    assert err.value.details[0] == {"pointer": "/license_no", "keyword": "required",
                                    "message": "'license_no' is a required property"}


def test_approve_records_the_decision_and_publishes_outputs() -> None:
    case, tid = claimed_license()
    out = approve(case, M, AMR, later(hours=1), tid, calendar=CAL, opinion="符合条件",
                  data={"license_no": LICENSE_NO})
    lic = task(out, "license")
    assert lic["decision"] == {"result": "approved", "opinion": "符合条件", "reply": None,
                               "data": {"license_no": LICENSE_NO}, "by": "u_amr1",
                               "at": "2026-03-02T11:00:00+08:00", "by_timeout": False}
    assert out["outputs"] == {"license": {"license_no": LICENSE_NO}}
    assert "license" not in case["outputs"]
    assert {status(out, s) for s in ("seal", "tax")} == {"ready"}


def test_certificate_is_issued_at_the_step_approval() -> None:
    case = license_ok(running())
    assert case["certificates"] == [{
        "name": "营业执照", "number": LICENSE_NO, "holder": "成都甲乙科技有限公司",
        "department": "amr", "step": "license", "issued_at": "2026-03-02T10:00:00+08:00"}]
    approval = next(e for e in case["events"] if e["action"] == "approve")
    assert ["certificates", 0] in [c[0] for c in approval["changes"]]


def test_certificate_number_falls_back_to_case_number_and_step() -> None:
    matter = make_matter([step("s", certificate=Certificate("准予许可决定书"))])
    case = decide(running(matter, data={}, materials={}), matter, "s")
    assert case["certificates"][0]["number"] == "CS2026000001-s"
    assert case["status"] == "approved"


def test_reply_must_be_one_of_the_options() -> None:
    matter = make_matter([step("s", reply_options=("同意", "不同意"))])
    case = running(matter, data={}, materials={})
    tid = task(case, "s")["id"]
    case = claim(case, matter, staff("a"), NOW, tid)
    for bad in (None, "可以"):
        with pytest.raises(ValidationFailed):
            approve(case, matter, staff("a"), NOW, tid, calendar=CAL, reply=bad)
    with pytest.raises(ValidationFailed):
        reject(case, matter, staff("a"), NOW, tid, "理由", reply="可以")
    out = approve(case, matter, staff("a"), NOW, tid, calendar=CAL, reply="同意")
    assert task(out, "s")["decision"]["reply"] == "同意"


def test_a_step_without_form_records_no_data() -> None:
    matter = make_matter([step("s")])
    case = running(matter, data={}, materials={})
    tid = task(case, "s")["id"]
    case = claim(case, matter, staff("a"), NOW, tid)
    with pytest.raises(ValidationFailed):
        approve(case, matter, staff("a"), NOW, tid, calendar=CAL, data={"x": 1})


def test_reject_needs_a_reason() -> None:
    case, tid = claimed_license()
    with pytest.raises(ValidationFailed):
        reject(case, M, AMR, NOW, tid, " ")


def test_reject_cancels_only_dependents() -> None:
    # a -> b -> c ; a -> d ; e independent ; f needs e and c
    matter = make_matter([step("a"), step("e", "y"), step("b", needs=["a"]),
                          step("c", needs=["b"]), step("d", needs=["a"]),
                          step("f", needs=["e", "c"])])
    case = running(matter, data={}, materials={})
    tid = task(case, "a")["id"]
    case = claim(case, matter, staff("a"), NOW, tid)
    out = reject(case, matter, staff("a"), NOW, tid, "不符合规划")
    assert {s: status(out, s) for s in "abcdef"} == {
        "a": "rejected", "b": "cancelled", "c": "cancelled", "d": "cancelled",
        "e": "ready", "f": "cancelled"}
    assert out["status"] == "in_progress"  # e still runs
    out = decide(out, matter, "e")
    assert out["status"] == "rejected" and out["decided_at"]
    assert task(out, "e")["decision"]["result"] == "approved"  # its result stays


def test_reject_leaves_parallel_siblings_running() -> None:
    case = license_ok(running())
    t = task(case, "tax")
    case = claim(case, M, staff("tax"), NOW, t["id"])
    out = reject(case, M, staff("tax"), NOW, t["id"], "信息不全")
    assert status(out, "tax") == "rejected"
    assert {status(out, "seal"), status(out, "site-check", "fire")} == {"ready"}
    assert out["status"] == "in_progress"


STAGED = make_matter([
    step("a", "x", days=2, preliminary_days=1),
    step("b", "y", needs=[Need("a", At.PRELIMINARY)]),
    step("c", "z", needs=["a"]),
])


def test_preliminary_releases_staged_steps_only() -> None:
    case = running(STAGED, data={}, materials={})
    assert [status(case, s) for s in "abc"] == ["ready", "waiting", "waiting"]
    tid = task(case, "a")["id"]
    case = claim(case, STAGED, staff("x"), NOW, tid)
    with pytest.raises(ValidationFailed):
        preliminary(case, STAGED, staff("x"), NOW, tid, "", calendar=CAL)
    case = preliminary(case, STAGED, staff("x"), later(hours=2), tid, "初审通过", calendar=CAL)
    assert task(case, "a")["preliminary"] == {"opinion": "初审通过", "by": "u_x1",
                                              "at": "2026-03-02T12:00:00+08:00"}
    assert [status(case, s) for s in "abc"] == ["preliminary", "ready", "waiting"]
    assert task(case, "b")["ready_at"] == "2026-03-02T12:00:00+08:00"
    case = approve(case, STAGED, staff("x"), NOW, tid, calendar=CAL)
    assert status(case, "c") == "ready"
    with pytest.raises(TransitionNotAllowed):  # no second preliminary after a decision
        preliminary(case, STAGED, staff("x"), NOW, tid, "x", calendar=CAL)


def fanout(join: Join) -> tuple:
    matter = make_matter([
        step("j", ("p", "q", "r"), join=join, outputs=("n", "m"),
             form={"type": "object", "properties": {"n": {"type": "integer"},
                                                    "m": {"type": "integer"}}}),
        step("after", "z", needs=["j"]),
    ])
    return matter, running(matter, data={}, materials={})


def work(case: dict, matter: object, dept: str, verdict: str, data: dict | None = None) -> dict:
    t = task(case, "j", dept)
    case = claim(case, matter, staff(dept), NOW, t["id"])  # type: ignore[arg-type]
    if verdict == "approve":
        return approve(case, matter, staff(dept), NOW, t["id"],  # type: ignore[arg-type]
                       calendar=CAL, data=data or {})
    return reject(case, matter, staff(dept), NOW, t["id"], "不同意")  # type: ignore[arg-type]


def test_join_all_approves_when_every_department_approved() -> None:
    matter, case = fanout(Join.ALL)
    assert [t["status"] for t in case["tasks"][:3]] == ["ready"] * 3
    case = work(case, matter, "r", "approve", {"n": 3, "m": 30})
    case = work(case, matter, "p", "approve", {"n": 1})
    assert "j" not in case["outputs"] and status(case, "after") == "waiting"
    case = work(case, matter, "q", "approve", {"n": 2})
    assert case["outputs"]["j"] == {"n": 3, "m": 30}  # merged in departments order p, q, r
    assert status(case, "after") == "ready"


def test_join_all_rejects_on_any_rejection_and_cancels_the_rest() -> None:
    matter, case = fanout(Join.ALL)
    case = work(case, matter, "p", "approve")
    case = work(case, matter, "q", "reject")
    assert [status(case, "j", d) for d in "pqr"] == ["approved", "rejected", "cancelled"]
    assert status(case, "after") == "cancelled"
    assert case["status"] == "rejected" and "j" not in case["outputs"]


def test_join_any_approves_on_first_approval() -> None:
    matter, case = fanout(Join.ANY)
    case = work(case, matter, "q", "reject")
    assert status(case, "after") == "waiting"
    case = work(case, matter, "r", "approve", {"n": 9})
    assert [status(case, "j", d) for d in "pqr"] == ["cancelled", "rejected", "approved"]
    assert case["outputs"]["j"] == {"n": 9}
    assert status(case, "after") == "ready"


def test_join_any_rejects_only_when_all_rejected() -> None:
    matter, case = fanout(Join.ANY)
    case = work(case, matter, "p", "reject")
    case = work(case, matter, "q", "reject")
    assert status(case, "after") == "waiting" and case["status"] == "in_progress"
    case = work(case, matter, "r", "reject")
    assert status(case, "after") == "cancelled" and case["status"] == "rejected"


def test_outputs_of_parallel_steps_stay_in_their_own_namespace() -> None:
    form = {"type": "object", "properties": {"no": {"type": "string"}}}
    matter = make_matter([step("a", "x", outputs=("no",), form=form),
                          step("b", "y", outputs=("no",), form=form)])
    case = running(matter, data={}, materials={})
    case = decide(case, matter, "b", data={"no": "B-1"})
    case = decide(case, matter, "a", data={"no": "A-1"})
    assert case["outputs"] == {"a": {"no": "A-1"}, "b": {"no": "B-1"}}


def test_suspend_and_resume_shift_the_due_date_by_the_suspended_working_time() -> None:
    matter = make_matter([step("s", days=3)])
    case = running(matter, data={}, materials={})
    tid = task(case, "s")["id"]
    assert task(case, "s")["due"] == "2026-03-05T23:59:59+08:00"
    case = claim(case, matter, staff("a"), NOW, tid)
    with pytest.raises(ValidationFailed):
        suspend(case, matter, staff("a"), NOW, tid, "")
    with pytest.raises(NotPermitted):
        suspend(case, matter, staff("a", 2), NOW, tid, "现场核查")
    case = suspend(case, matter, staff("a"), later(hours=2), tid, "组织听证")
    t = task(case, "s")
    assert (t["status"], t["previous"]) == ("suspended", "claimed")
    assert t["suspensions"] == [{"reason": "组织听证", "from": "2026-03-02T12:00:00+08:00",
                                 "to": None}]
    with pytest.raises(TransitionNotAllowed):
        approve(case, matter, staff("a"), NOW, tid, calendar=CAL)
    # Monday 12:00 -> Wednesday 12:00 is two working days
    case = resume(case, matter, staff("a"), later(days=2, hours=2), tid, calendar=CAL)
    t = task(case, "s")
    assert (t["status"], t["previous"]) == ("claimed", None)
    assert t["suspensions"][0]["to"] == "2026-03-04T12:00:00+08:00"
    assert t["due"] == "2026-03-09T23:59:59+08:00"  # Thu + 2 working days (over a weekend)
    assert approve(case, matter, staff("a"), NOW, tid, calendar=CAL)["status"] == "approved"


def test_suspended_over_a_weekend_costs_no_working_time() -> None:
    matter = make_matter([step("s", days=3)])
    case = running(matter, data={}, materials={})
    tid = task(case, "s")["id"]
    sat = later(days=5)
    case = suspend(case, matter, staff("a"), sat, tid, "专家评审")
    case = resume(case, matter, staff("a"), later(days=6), tid, calendar=CAL)
    assert task(case, "s")["due"] == "2026-03-05T23:59:59+08:00"
    assert status(case, "s") == "ready"


def test_urge_appends_without_moving() -> None:
    case = running()
    tid = task(case, "license")["id"]
    with pytest.raises(NotPermitted):
        urge(case, M, WINDOW, NOW, tid, "请加快")
    out = urge(case, M, SUPERVISOR, later(hours=1), tid, "请于今日办结")
    assert task(out, "license")["urges"] == [{"by": "u_sup", "at": "2026-03-02T11:00:00+08:00",
                                              "note": "请于今日办结"}]
    assert status(out, "license") == "ready"
    assert out["events"][-1]["entity"] == "task"
    with pytest.raises(TransitionNotAllowed):
        urge(case, M, SUPERVISOR, NOW, task(case, "seal")["id"])


def test_task_actions_need_a_running_case() -> None:
    case = withdraw(running(), M, APPLICANT, NOW)
    with pytest.raises(TransitionNotAllowed) as err:
        claim(case, M, AMR, NOW, task(case, "license")["id"])
    assert err.value.entity == "case"


def test_actions_never_mutate_their_input() -> None:
    case, tid = claimed_license()
    before = copy.deepcopy(case)
    approve(case, M, AMR, NOW, tid, calendar=CAL, data={"license_no": LICENSE_NO})
    reject(case, M, AMR, NOW, tid, "x")
    suspend(case, M, AMR, NOW, tid, "x")
    assert case == before


def test_the_last_decision_concludes_the_case() -> None:
    case = license_ok(running(data=fixture_data(needs_seal=False)))
    for step_id, dept in [("tax", None), ("site-check", "fire")]:
        case = decide(case, M, step_id, dept)
    assert case["status"] == "in_progress"
    case = decide(case, M, "site-check", "env")
    assert case["status"] == "approved"
    last = case["events"][-1]
    assert (last["actor"], last["action"], last["from"], last["to"]) == (
        "system", "approve", "in_progress", "approved")


def test_a_staged_need_on_a_join_all_step_waits_for_every_department() -> None:
    matter = make_matter([step("j", ("p", "q")),
                          step("b", "y", needs=[Need("j", At.PRELIMINARY)])])
    case = running(matter, data={}, materials={})
    for n, dept in enumerate("pq"):
        t = task(case, "j", dept)
        case = claim(case, matter, staff(dept), NOW, t["id"])
        case = preliminary(case, matter, staff(dept), NOW, t["id"], "初审", calendar=CAL)
        assert status(case, "b") == ("waiting", "ready")[n]


def test_needing_a_step_both_staged_and_at_finish_waits_for_the_finish() -> None:
    matter = make_matter([step("a", "x"),
                          step("b", "y", needs=[Need("a", At.PRELIMINARY), Need("a")])])
    case = running(matter, data={}, materials={})
    tid = task(case, "a")["id"]
    case = claim(case, matter, staff("x"), NOW, tid)
    case = preliminary(case, matter, staff("x"), NOW, tid, "初审", calendar=CAL)
    assert status(case, "b") == "waiting"
    case = approve(case, matter, staff("x"), NOW, tid, calendar=CAL)
    assert status(case, "b") == "ready"


def test_a_preliminary_task_can_be_transferred_but_not_unclaimed() -> None:
    case = running(STAGED, data={}, materials={})
    tid = task(case, "a")["id"]
    case = claim(case, STAGED, staff("x"), NOW, tid)
    case = preliminary(case, STAGED, staff("x"), NOW, tid, "初审通过", calendar=CAL)
    with pytest.raises(TransitionNotAllowed):
        unclaim(case, STAGED, staff("x"), NOW, tid)
    case = transfer(case, STAGED, staff("x"), NOW, tid, "u_x2")
    t = task(case, "a")
    assert (t["status"], t["claimed_by"]) == ("preliminary", "u_x2")
    case = approve(case, STAGED, staff("x", 2), NOW, tid, calendar=CAL)
    assert task(case, "a")["decision"]["by"] == "u_x2"


def test_withdrawal_cancels_a_suspended_task_and_it_can_be_urged_before() -> None:
    case = running()
    tid = task(case, "license")["id"]
    case = suspend(case, M, AMR, NOW, tid, "现场核查")
    case = urge(case, M, SUPERVISOR, NOW, tid, "请说明中止原因")
    assert status(case, "license") == "suspended" and len(task(case, "license")["urges"]) == 1
    out = withdraw(case, M, APPLICANT, NOW)
    assert status(out, "license") == "cancelled"
    with pytest.raises(TransitionNotAllowed):
        resume(out, M, AMR, NOW, tid, calendar=CAL)
