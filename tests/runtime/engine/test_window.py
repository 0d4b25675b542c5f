"""Window actions: pre_review, request_supplement, refuse, accept, supply_deferred, deliver."""

from __future__ import annotations

from datetime import datetime

import pytest

from builder.spec import Material
from runtime.engine import (
    CHINA_TZ,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
    accept,
    claim,
    deliver,
    pre_review,
    refuse,
    reject,
    request_supplement,
    supply_deferred,
)
from tests.runtime.engine.helpers import (
    APPLICANT,
    CAL,
    NOW,
    WINDOW,
    decide,
    draft,
    fixture_data,
    fixture_matter,
    ids,
    license_ok,
    make_matter,
    running,
    staff,
    status,
    step,
    submitted,
    task,
)

M = fixture_matter()


def pointers(err: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [d.get("material", d["pointer"]) for d in err.value.details]


def test_pre_review_records_a_note_without_moving() -> None:
    case = pre_review(submitted(), M, WINDOW, NOW, "材料齐全，待现场核验原件")
    assert case["status"] == "submitted"
    assert case["notes"] == [{"by": "u_win", "at": "2026-03-02T10:00:00+08:00",
                              "note": "材料齐全，待现场核验原件"}]
    event = case["events"][-1]
    assert (event["action"], event["from"], event["to"]) == ("pre_review", "submitted",
                                                             "submitted")


def test_pre_review_needs_a_note_a_window_and_a_submitted_case() -> None:
    with pytest.raises(ValidationFailed):
        pre_review(submitted(), M, WINDOW, NOW, "  ")
    with pytest.raises(NotPermitted):
        pre_review(submitted(), M, APPLICANT, NOW, "x")
    with pytest.raises(TransitionNotAllowed):
        pre_review(draft(), M, WINDOW, NOW, "x")


def test_request_supplement_is_one_notice_listing_every_item() -> None:
    items = [{"field": "company_name", "reason": "名称有误"},
             {"material": "id-card", "reason": "不清晰"}]
    case = request_supplement(submitted(), M, WINDOW, NOW, items)
    assert case["status"] == "supplement_requested"
    assert case["supplement"] == {"items": items, "requested_at": "2026-03-02T10:00:00+08:00",
                                  "requested_by": "u_win"}
    with pytest.raises(TransitionNotAllowed):  # ONE notice: no second request meanwhile
        request_supplement(case, M, WINDOW, NOW, items)


def test_request_supplement_reports_every_bad_item() -> None:
    with pytest.raises(ValidationFailed) as err:
        request_supplement(submitted(), M, WINDOW, NOW, [])
    assert pointers(err) == ["/items"]
    with pytest.raises(ValidationFailed) as err:
        request_supplement(submitted(), M, WINDOW, NOW, [
            {"field": "no_such_field", "reason": "x"},
            {"material": "no-such", "reason": "x"},
            {"material": "id-card"},
            {"field": "company_name", "material": "id-card", "reason": "x"},
            {"field": "company_name", "reason": "x", "extra": 1},
        ])
    assert pointers(err) == ["/items/0/field", "/items/1/material", "/items/2/reason",
                             "/items/3", "/items/4/extra"]


def test_a_supplement_notice_lists_at_most_every_field_and_material_once() -> None:
    spec = M.form["properties"]
    limit = len(spec) + len(M.materials)
    items = [{"field": "company_name", "reason": "名称有误"}] * 10_000
    with pytest.raises(ValidationFailed) as err:
        request_supplement(submitted(), M, WINDOW, NOW, items)
    assert err.value.details == [{"pointer": "/items", "keyword": "maxItems",
                                  "params": {"limit": limit},
                                  "message": f"list at most {limit} items (the matter's fields "
                                             "and materials)"}]
    case = request_supplement(submitted(), M, WINDOW, NOW, items[:limit])
    assert len(case["supplement"]["items"]) == limit


def test_refuse_needs_a_reason_and_closes_the_case() -> None:
    with pytest.raises(ValidationFailed) as err:
        refuse(submitted(), M, WINDOW, NOW, "")
    assert pointers(err) == ["/reason"]
    case = refuse(submitted(), M, WINDOW, NOW, "不属于本中心受理范围")
    assert case["status"] == "refused" and case["closed_at"]
    assert case["events"][-1]["note"] == "不属于本中心受理范围"


def test_refuse_after_a_supplement_request_but_not_after_acceptance() -> None:
    asked = request_supplement(submitted(), M, WINDOW, NOW, [{"field": "company_name",
                                                              "reason": "x"}])
    refused = refuse(asked, M, WINDOW, NOW, "逾期未补正")
    assert refused["status"] == "refused" and refused["supplement"] is None
    with pytest.raises(TransitionNotAllowed):
        refuse(running(), M, WINDOW, NOW, "x")


def test_accept_creates_one_task_per_step_and_department() -> None:
    case = running()
    assert case["number"] == "CS2026000001"
    assert case["status"] == "in_progress" and case["accepted_at"]
    assert [(t["step"], t["department"]) for t in case["tasks"]] == [
        ("license", "amr"), ("seal", "psb"), ("tax", "tax"), ("site-check", "fire"),
        ("site-check", "env")]
    assert [e["action"] for e in case["events"]][-4:] == ["submit", "accept", "start", "release"]
    lic = task(case, "license")
    assert lic["status"] == "ready" and lic["ready_at"] == "2026-03-02T10:00:00+08:00"
    assert lic["due"] == "2026-03-03T23:59:59+08:00"  # 1 working day after acceptance day
    assert lic["limit_days"] == 1 and lic["provisional"] is False
    assert {t["status"] for t in case["tasks"][1:]} == {"waiting"}
    assert all(t["case"] == case["id"] and t["id"].startswith("t_") for t in case["tasks"])


def test_accept_skips_steps_whose_condition_is_false() -> None:
    case = running(data=fixture_data(needs_seal=False))
    assert status(case, "seal") == "skipped"
    skip = [e for e in case["events"] if e["action"] == "skip"]
    assert len(skip) == 1 and skip[0]["actor"] == "system" and skip[0]["step"] == "seal"


def test_accept_marks_deadlines_in_unpublished_years_provisional() -> None:
    late = datetime(2030, 3, 4, 10, 0, tzinfo=CHINA_TZ)
    case = accept(submitted(), M, WINDOW, late, number="N1", calendar=CAL, new_id=ids())
    assert task(case, "license")["provisional"] is True


def test_accept_needs_a_number_and_a_window() -> None:
    with pytest.raises(ValidationFailed):
        accept(submitted(), M, WINDOW, NOW, number=" ", calendar=CAL)
    with pytest.raises(NotPermitted):
        accept(submitted(), M, staff("amr"), NOW, number="N", calendar=CAL)
    with pytest.raises(TransitionNotAllowed):
        accept(draft(), M, WINDOW, NOW, number="N", calendar=CAL)


DEFERRING = make_matter(
    [step("s")],
    materials=[Material("a", "营业执照副本"), Material("b", "承诺书", deferrable=True),
               Material("c", "可选", required=False, deferrable=True)])


def test_accept_with_deferred_materials_records_their_due_dates() -> None:
    case = running(DEFERRING, data={}, materials={"a": ["f"]}, deferred=["b"])
    assert case["deferred"] == [{"material": "b", "due": "2026-03-16T23:59:59+08:00",
                                 "supplied": False}]  # time_limit 10 working days
    due = datetime(2026, 3, 9, 17, 0, tzinfo=CHINA_TZ)
    case = running(DEFERRING, data={}, materials={"a": ["f"]}, deferred=[("b", due)])
    assert case["deferred"][0]["due"] == "2026-03-09T17:00:00+08:00"


def test_accept_refuses_a_missing_required_material_not_deferred() -> None:
    with pytest.raises(ValidationFailed) as err:
        running(DEFERRING, data={}, materials={"a": ["f"]})
    assert pointers(err) == ["b"]


def test_accept_refuses_bad_deferrals() -> None:
    case = submitted(DEFERRING, data={}, materials={"a": ["f"]})
    for bad in (["zzz"], ["a"], ["b", "b"]):
        with pytest.raises(ValidationFailed):
            accept(case, DEFERRING, WINDOW, NOW, number="N", calendar=CAL, deferred=bad)
    full = submitted(DEFERRING, data={}, materials={"a": ["f"], "b": ["g"]})
    with pytest.raises(ValidationFailed) as err:
        accept(full, DEFERRING, WINDOW, NOW, number="N", calendar=CAL, deferred=["b"])
    assert err.value.details[0]["keyword"] == "supplied"


def approved_deferred() -> dict:
    case = running(DEFERRING, data={}, materials={"a": ["f"]}, deferred=["b"])
    case = decide(case, DEFERRING, "s")
    assert case["status"] == "approved"
    return case


def test_delivery_of_an_approval_waits_for_deferred_materials() -> None:
    case = approved_deferred()
    with pytest.raises(TransitionNotAllowed, match="deferred materials not supplied: b"):
        deliver(case, DEFERRING, WINDOW, NOW)
    case = supply_deferred(case, DEFERRING, WINDOW, NOW, "b", ["f_b"])
    assert case["materials"]["b"] == ["f_b"] and case["deferred"][0]["supplied"] is True
    out = deliver(case, DEFERRING, WINDOW, NOW)
    assert out["status"] == "delivered" and out["closed_at"]


def test_supply_deferred_refuses_what_was_not_deferred_or_empty_files() -> None:
    case = approved_deferred()
    with pytest.raises(ValidationFailed):
        supply_deferred(case, DEFERRING, WINDOW, NOW, "a", ["f"])
    with pytest.raises(ValidationFailed):
        supply_deferred(case, DEFERRING, WINDOW, NOW, "b", [])
    case = supply_deferred(case, DEFERRING, WINDOW, NOW, "b", ["f"])
    with pytest.raises(TransitionNotAllowed, match="no deferred material is awaited"):
        supply_deferred(case, DEFERRING, WINDOW, NOW, "b", ["f"])


def test_supply_deferred_while_in_progress() -> None:
    case = running(DEFERRING, data={}, materials={"a": ["f"]}, deferred=["b"])
    case = supply_deferred(case, DEFERRING, WINDOW, NOW, "b", ["f_b"])
    assert case["status"] == "in_progress" and case["deferred"][0]["supplied"]


def test_deliver_a_rejection_without_waiting_and_never_an_open_case() -> None:
    case = running(DEFERRING, data={}, materials={"a": ["f"]}, deferred=["b"])
    with pytest.raises(TransitionNotAllowed):
        deliver(case, DEFERRING, WINDOW, NOW)
    t = task(case, "s")
    case = claim(case, DEFERRING, staff("a"), NOW, t["id"])
    case = reject(case, DEFERRING, staff("a"), NOW, t["id"], "不符合条件")
    assert case["status"] == "rejected"
    assert deliver(case, DEFERRING, WINDOW, NOW)["status"] == "delivered"


def test_deliver_the_fixture_case_end_to_end() -> None:
    case = license_ok(running())
    for step_id, dept in [("seal", None), ("tax", None), ("site-check", "fire"),
                          ("site-check", "env")]:
        case = decide(case, M, step_id, dept)
    assert case["status"] == "approved" and case["decided_at"]
    assert deliver(case, M, WINDOW, NOW)["status"] == "delivered"


def test_a_skipped_step_passes_its_own_needs_on() -> None:
    form = {"type": "object", "properties": {"name": {"type": "string"},
                                             "x": {"type": "boolean"}}}
    matter = make_matter([step("a"), step("b", needs=["a"], when={"required": ["x"]}),
                          step("c", needs=["b"])], form=form)
    case = running(matter, data={"name": "甲"}, materials={})
    assert (status(case, "a"), status(case, "b"), status(case, "c")) == (
        "ready", "skipped", "waiting")  # c still waits for a, through the skipped b
    case = decide(case, matter, "a")
    assert status(case, "c") == "ready"
