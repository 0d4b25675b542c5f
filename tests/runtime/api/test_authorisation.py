"""Who may call what: every role against every action endpoint.

Each action runs on a fresh case in a state where it succeeds for the roles allowed to
do it, so "allowed" here means a 2xx answer. A refusal is 404 when the caller may not
even know the case or task exists, 403 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import DATA, FILES, LICENSE, PDF

ROLES = {"owner": "alice", "other applicant": "bob", "window": "win",
         "task department": "amr1", "other department": "drc1", "supervisor": "sup",
         "admin": "root"}
EVERYONE = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
SEES_CASE = frozenset({"owner", "window", "task department", "supervisor", "admin"})
READS_TASK = frozenset({"window", "task department", "supervisor", "admin"})
UPLOADERS = frozenset({"owner", "other applicant", "window"})
UNACCEPTED = ("submitted", "supplement")


class Action(NamedTuple):
    method: str
    path: str
    state: str
    body: Callable[[Api, str], Any]
    allowed: frozenset[str]
    hidden: frozenset[str]  # refused with 404 rather than 403


def _none(api: Api, who: str) -> Any:
    return None


def _const(value: Any) -> Callable[[Api, str], Any]:
    return lambda api, who: value


def _application(api: Api, who: str) -> Any:
    uploader = who if who in ("alice", "bob", "win") else "alice"
    materials = {m: [api.upload(uploader, name, blob)] for m, (name, blob) in FILES.items()}
    body = {"matter": "enterprise-establishment", "data": DATA, "materials": materials}
    if who == "win":
        body["applicant"] = "alice"
    return body


def _case_action(path: str, state: str, body: Callable[[Api, str], Any],
                 allowed: frozenset[str]) -> Action:
    # Before acceptance no department has a task on the case, so none may know it.
    sees = SEES_CASE - {"task department"} if state in UNACCEPTED else SEES_CASE
    return Action("POST", f"/cases/{{case}}/{path}", state, body, allowed, EVERYONE - sees)


def _task_action(path: str, state: str, body: Callable[[Api, str], Any] = _none) -> Action:
    return Action("POST", f"/tasks/{{task}}/{path}", state, body,
                  frozenset({"task department"}), EVERYONE - READS_TASK)


ACTIONS = {
    "list matters": Action("GET", "/matters", "none", _none, EVERYONE, NOBODY),
    "read matter": Action("GET", "/matters/enterprise-establishment", "none", _none, EVERYONE,
                          NOBODY),
    "upload": Action("POST", "/files", "none", _none, UPLOADERS, NOBODY),
    "apply": Action("POST", "/cases", "none", _application, UPLOADERS, NOBODY),
    "list cases": Action("GET", "/cases", "running", _none,
                         frozenset({"owner", "other applicant", "window", "supervisor",
                                    "admin"}), NOBODY),
    "read case": Action("GET", "/cases/{case}", "running", _none, SEES_CASE,
                        EVERYONE - SEES_CASE),
    "accept": _case_action("accept", "submitted", _none, frozenset({"window"})),
    "supplement": _case_action(
        "supplement", "submitted",
        _const({"items": [{"material": "articles", "reason": "签名不全"}]}),
        frozenset({"window"})),
    "refuse": _case_action("refuse", "submitted", _const({"reason": "不符合条件"}),
                           frozenset({"window"})),
    "pre-review": _case_action("pre-review", "submitted", _const({"note": "材料齐全"}),
                               frozenset({"window"})),
    "deliver": _case_action("deliver", "rejected", _none, frozenset({"window"})),
    "withdraw": _case_action("withdraw", "running", _const({"reason": "不办了"}),
                             frozenset({"owner"})),
    "supplement-answer": _case_action(
        "supplement-answer", "supplement",
        _const({"data": {**DATA, "company_name": "云川市青禾农业发展有限公司"}}),
        # the window answers only for a walk-in it entered, never an online applicant's
        frozenset({"owner"})),
    "worklist": Action("GET", "/tasks", "running", _none,
                       frozenset({"task department", "other department"}), NOBODY),
    "claim": _task_action("claim", "running"),
    "suspend": _task_action("suspend", "running", _const({"reason": "名称争议"})),
    "unclaim": _task_action("unclaim", "claimed"),
    "transfer": _task_action("transfer", "claimed", _const({"to_user": "amr2"})),
    "preliminary": _task_action("preliminary", "claimed", _const({"opinion": "拟同意"})),
    "approve": _task_action("approve", "claimed", _const({"data": LICENSE})),
    "reject": _task_action("reject", "claimed", _const({"reason": "名称不合规"})),
    "resume": _task_action("resume", "suspended"),
    "urge": Action("POST", "/tasks/{task}/urge", "running", _const({"note": "请加快办理"}),
                   frozenset({"supervisor"}), NOBODY),
}


def _case_in(api: Api, state: str) -> tuple[str, str]:
    """(case id, licence task id) of a fresh case of alice's in ``state``."""
    if state == "none":
        return "", ""
    case = api.apply("alice")
    if state == "submitted":
        return case["id"], ""
    if state == "supplement":
        api.ok(api.post("win", f"/cases/{case['id']}/supplement",
                        {"items": [{"field": "company_name", "reason": "名称未经申报"}]}))
        return case["id"], ""
    case = api.ok(api.post("win", f"/cases/{case['id']}/accept"))
    task = api.task(case, "license")["id"]
    if state in ("claimed", "rejected"):
        api.ok(api.post("amr1", f"/tasks/{task}/claim"))
    if state == "rejected":
        api.ok(api.post("amr1", f"/tasks/{task}/reject", {"reason": "名称不合规"}))
    if state == "suspended":
        api.ok(api.post("amr1", f"/tasks/{task}/suspend", {"reason": "名称争议"}))
    return case["id"], task


def _call(api: Api, role: str, action: Action) -> int:
    who = ROLES[role]
    case, task = _case_in(api, action.state)
    url = action.path.format(case=case, task=task)
    if action.method == "GET":
        return int(api.get(who, url).status_code)
    if action.path == "/files":
        return int(api.post(who, url, files={"file": ("a.pdf", PDF)}).status_code)
    return int(api.post(who, url, action.body(api, who)).status_code)


@pytest.mark.parametrize("name", ACTIONS)
def test_each_role_is_allowed_exactly_what_it_may_do(api: Api, name: str) -> None:
    action = ACTIONS[name]
    api.headers("amr2")  # a colleague to transfer to
    statuses = {role: _call(api, role, action) for role in ROLES}
    assert {r for r, s in statuses.items() if 200 <= s < 300} == action.allowed, statuses
    for role, status in statuses.items():
        if role not in action.allowed:
            assert status == (404 if role in action.hidden else 403), (role, statuses)
