"""Applicant actions: new_case, save_draft, submit, answer_supplement, withdraw."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from builder.spec import Material
from runtime.engine import (
    SCHEMA_VERSION,
    NotPermitted,
    SpecMismatch,
    TransitionNotAllowed,
    ValidationFailed,
    answer_supplement,
    claim,
    new_case,
    request_supplement,
    save_draft,
    submit,
    withdraw,
)
from tests.runtime.engine.helpers import (
    APPLICANT,
    NOW,
    OTHER_APPLICANT,
    WINDOW,
    draft,
    fixture_data,
    fixture_matter,
    ids,
    later,
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


def test_new_case_is_a_draft_with_the_documented_shape() -> None:
    case = new_case(M, APPLICANT, NOW, data={"company_name": "x"}, new_id=ids())
    assert case["id"] == "c_000000000001"
    assert case["status"] == "draft"
    assert case["schema"] == SCHEMA_VERSION
    assert (case["matter"], case["matter_version"]) == (M.id, M.version)
    assert case["applicant"] == APPLICANT.id
    assert case["created_at"] == "2026-03-02T10:00:00+08:00"
    assert case["tasks"] == [] and case["events"][0]["action"] == "create"
    assert set(case) >= {"number", "holder", "data", "materials", "submitted_at", "accepted_at",
                         "decided_at", "closed_at", "supplement", "deferred", "outputs",
                         "certificates", "notes"}


def test_default_ids_are_prefixed_hex() -> None:
    case = new_case(M, APPLICANT, NOW)
    assert case["id"].startswith("c_") and len(case["id"]) == 14
    int(case["id"][2:], 16)


def test_only_applicants_create_cases() -> None:
    with pytest.raises(NotPermitted):
        new_case(M, staff("amr"), NOW)


def test_the_window_enters_a_case_only_for_a_named_applicant() -> None:
    with pytest.raises(ValidationFailed):
        new_case(M, WINDOW, NOW)
    case = new_case(M, WINDOW, NOW, applicant=APPLICANT.id)
    assert case["applicant"] == APPLICANT.id and case["entered_by"] == WINDOW.id
    assert case["events"][0]["actor"] == WINDOW.id  # the real actor, not the applicant


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        new_case(M, APPLICANT, NOW.replace(tzinfo=None))


def test_save_draft_replaces_data_and_keeps_materials() -> None:
    case = draft()
    saved = save_draft(case, M, APPLICANT, later(hours=1), data={"company_name": "新名"})
    assert saved["data"] == {"company_name": "新名"}
    assert saved["materials"] == case["materials"]
    assert saved["status"] == "draft"
    assert case["data"] == fixture_data()  # the input is untouched


def test_save_draft_refuses_unknown_materials_and_bad_file_lists() -> None:
    with pytest.raises(ValidationFailed) as err:
        save_draft(draft(), M, APPLICANT, NOW, materials={"nope": ["f"], "id-card": "f"})
    assert sorted(pointers(err)) == ["id-card", "nope"]


def test_another_applicant_may_not_touch_the_case() -> None:
    with pytest.raises(NotPermitted):
        save_draft(draft(), M, OTHER_APPLICANT, NOW, data={})
    with pytest.raises(NotPermitted):
        submit(draft(), M, OTHER_APPLICANT, NOW)


def test_submit_sets_holder_from_first_string_field_in_ui_order() -> None:
    case = submitted()
    assert case["status"] == "submitted"
    assert case["submitted_at"] == "2026-03-02T10:00:00+08:00"
    assert case["holder"] == "成都甲乙科技有限公司"


def test_submit_twice_is_not_allowed() -> None:
    with pytest.raises(TransitionNotAllowed) as err:
        submit(submitted(), M, APPLICANT, NOW)
    assert (err.value.entity, err.value.state, err.value.action) == ("case", "submitted", "submit")
    assert err.value.status == 409


def test_submit_reports_every_form_problem_with_pointers() -> None:
    nested = make_matter([step("s")], form={
        "type": "object", "required": ["name", "legal_rep"],
        "properties": {"name": {"type": "string", "maxLength": 3},
                       "legal_rep": {"type": "object", "required": ["name", "id_no"],
                                     "properties": {"name": {"type": "string"},
                                                    "id_no": {"type": "string"}}}}})
    case = draft(nested, data={"name": "toolong", "legal_rep": {"id_no": 5}}, materials={})
    with pytest.raises(ValidationFailed) as err:
        submit(case, nested, APPLICANT, NOW)
    assert pointers(err) == ["/legal_rep/id_no", "/legal_rep/name", "/name"]
    assert err.value.status == 422
    assert {d["keyword"] for d in err.value.details} == {"type", "required", "maxLength"}


def test_submit_requires_applicable_materials_only() -> None:
    with pytest.raises(ValidationFailed) as err:
        submitted(materials={})
    assert err.value.details == [{"pointer": "/materials/id-card", "material": "id-card",
                                  "keyword": "required", "message": "法定代表人身份证 is required"}]
    big = fixture_data(registered_capital=60_000_000)
    with pytest.raises(ValidationFailed) as err:
        submitted(data=big)
    assert pointers(err) == ["capital-proof"]
    assert submitted(data=big, materials={"id-card": ["f1"], "capital-proof": ["f2"]})


def test_submit_refuses_unknown_material_ids() -> None:
    with pytest.raises(ValidationFailed):
        new_case(M, APPLICANT, NOW, materials={"passport": ["f"]})


def test_submit_lets_deferrable_materials_be_missing() -> None:
    matter = make_matter([step("s")], materials=[Material("a", "甲"),
                                                 Material("b", "乙", deferrable=True)])
    case = submitted(matter, data={}, materials={"a": ["f"]})
    assert case["status"] == "submitted"


def test_submit_pins_the_current_matter_version() -> None:
    v2 = dataclasses.replace(M, version=2)
    assert submit(draft(), v2, APPLICANT, NOW)["matter_version"] == 2


def test_a_spec_of_another_matter_is_refused() -> None:
    other = make_matter([step("s")])
    with pytest.raises(SpecMismatch):
        submit(draft(), other, APPLICANT, NOW)


def supplement_case() -> dict:
    case = submitted()
    return request_supplement(case, M, WINDOW, NOW, [
        {"field": "company_name", "reason": "与名称自主申报结果不一致"},
        {"material": "id-card", "reason": "身份证复印件不清晰"},
    ])


def test_answer_supplement_changes_listed_items_and_returns_to_submitted() -> None:
    case = supplement_case()
    data = fixture_data(company_name="成都甲乙丙科技有限公司")
    answered = answer_supplement(case, M, APPLICANT, later(days=1), data=data,
                                 materials={"id-card": ["f_id_2"]})
    assert answered["status"] == "submitted"
    assert answered["data"]["company_name"] == "成都甲乙丙科技有限公司"
    assert answered["holder"] == "成都甲乙丙科技有限公司"
    assert answered["materials"] == {"id-card": ["f_id_2"]}
    assert answered["supplement"] is None


def test_answer_supplement_refuses_unlisted_changes_naming_them() -> None:
    case = supplement_case()
    with pytest.raises(ValidationFailed) as err:
        answer_supplement(case, M, APPLICANT, NOW,
                          data=fixture_data(registered_capital=5, needs_seal=False))
    assert pointers(err) == ["/registered_capital", "/needs_seal"]
    assert {d["keyword"] for d in err.value.details} == {"supplement"}
    with pytest.raises(ValidationFailed) as err:
        answer_supplement(case, M, APPLICANT, NOW,
                          materials={"id-card": ["f"], "capital-proof": ["g"]})
    assert pointers(err) == ["capital-proof"]


def test_answer_supplement_revalidates_the_listed_fields() -> None:
    with pytest.raises(ValidationFailed) as err:
        answer_supplement(supplement_case(), M, APPLICANT, NOW,
                          data=fixture_data(company_name="x" * 101))
    assert sorted(pointers(err)) == ["/company_name", "id-card"]


def test_answer_supplement_must_answer_every_listed_item() -> None:
    """Defect: an answer without the file the window asked for was accepted."""
    case = supplement_case()
    data = fixture_data(company_name="成都甲乙丙科技有限公司")
    with pytest.raises(ValidationFailed) as err:
        answer_supplement(case, M, APPLICANT, NOW, data=data)  # the file is missing
    assert pointers(err) == ["id-card"]
    assert [d["keyword"] for d in err.value.details] == ["answered"]
    answered = answer_supplement(case, M, APPLICANT, NOW, data=data,
                                 materials={**case["materials"], "id-card": ["f_id_2"]})
    assert answered["status"] == "submitted"


def test_answer_supplement_only_when_requested() -> None:
    with pytest.raises(TransitionNotAllowed):
        answer_supplement(submitted(), M, APPLICANT, NOW, data=fixture_data())


@pytest.mark.parametrize("make", [draft, submitted, supplement_case])
def test_withdraw_before_acceptance(make: object) -> None:
    case = make()  # type: ignore[operator]
    out = withdraw(case, M, APPLICANT, later(hours=2), "不再需要")
    assert out["status"] == "withdrawn"
    assert out["closed_at"] == "2026-03-02T12:00:00+08:00"
    assert out["events"][-1]["note"] == "不再需要"


def test_withdraw_in_progress_cancels_open_tasks_and_keeps_decided_ones() -> None:
    case = license_ok(running())
    tax = task(case, "tax")
    case = claim(case, M, staff("tax"), NOW, tax["id"])
    before = copy.deepcopy(case)
    out = withdraw(case, M, APPLICANT, NOW)
    assert case == before
    assert out["status"] == "withdrawn"
    assert status(out, "license") == "approved"
    assert {t["status"] for t in out["tasks"] if t["step"] != "license"} == {"cancelled"}
    assert task(out, "tax")["claimed_by"] == "u_tax1"  # who held it stays on record
    cancels = [e for e in out["events"] if e["action"] == "cancel"]
    assert len(cancels) == 4 and {e["actor"] for e in cancels} == {"system"}


def test_withdraw_is_refused_once_decided_or_by_others() -> None:
    with pytest.raises(NotPermitted):
        withdraw(running(), M, OTHER_APPLICANT, NOW)
    with pytest.raises(NotPermitted):
        withdraw(running(), M, WINDOW, NOW)
    out = withdraw(running(), M, APPLICANT, NOW)
    with pytest.raises(TransitionNotAllowed):
        withdraw(out, M, APPLICANT, NOW)
