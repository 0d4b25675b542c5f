"""The window acts as itself, only on what it entered; a file belongs to its uploader's
cases (issue 12, item 7); reads never write, time keeps running (issue 11)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from runtime.services import Invalid, NotFound, Services, User
from runtime.services.files import Upload
from tests.runtime.services.conftest import Opener
from tests.runtime.web.samples import PDF

MATTER = "enterprise-establishment"


def _user(services: Services, name: str, role: str) -> User:
    return services.accounts.create_user(name, "pw-" + name + "-long", role, display_name=name)


def test_the_window_cannot_attach_one_applicants_file_to_another_case(
        services: Services) -> None:
    a, b = _user(services, "alice1", "applicant"), _user(services, "bob111", "applicant")
    window = _user(services, "window1", "window")
    a_file = services.files.upload(a, Upload("章程.pdf", PDF))
    b_case = services.cases.start(b, MATTER)
    with pytest.raises(Invalid, match="不是您上传的"):
        services.cases.save(b, b_case["id"], materials={"articles": [a_file["id"]]})
    walk_in = services.cases.start(window, MATTER, applicant=b)
    with pytest.raises(Invalid, match="不是您上传的"):
        services.cases.save(window, walk_in["id"], materials={"articles": [a_file["id"]]})
    # and so B can never read A's file through a case of B's
    with pytest.raises(NotFound):
        services.pages.case_file(b, b_case["id"], a_file["id"])


def test_the_window_edits_only_what_it_entered_and_every_event_names_it(
        services: Services) -> None:
    b = _user(services, "bob111", "applicant")
    window = _user(services, "window1", "window")
    online = services.cases.start(b, MATTER)
    with pytest.raises(Exception) as refused:
        services.cases.save(window, online["id"], data={"company_name": "乙"})
    assert getattr(refused.value, "status", None) == 403
    walk_in = services.cases.start(window, MATTER, applicant=b)
    saved = services.cases.save(window, walk_in["id"], data={"company_name": "甲"})
    assert [e["actor"] for e in saved["events"]] == [window.id, window.id]
    assert saved["applicant"] == b.id


CONSENTING = """\
id: silent-consent
name: 超时默许测试事项
lead: amr
time_limit: 5
statutory_limit: 20
form:
  type: object
  required: [applicant_name]
  properties:
    applicant_name: {type: string, title: 申请人}
steps:
  - id: opinion
    name: 征求意见
    department: psb
    days: 2
    on_timeout: consent
"""


def test_reading_a_case_never_writes_and_timeouts_apply_on_the_clock(
        opener: Opener, catalog_dir: Path) -> None:
    """超时默许 is applied by ``apply_timeouts`` (run on a clock), never by a read."""
    (catalog_dir / "matters" / "silent-consent.yaml").write_text(CONSENTING, encoding="utf-8")
    services = opener.open()
    applicant = _user(services, "carol1", "applicant")
    window = _user(services, "window1", "window")
    case = services.cases.apply(applicant, "silent-consent", {"applicant_name": "王五"}, {})
    running = services.cases.accept(window, case["id"])
    services.clock.now += timedelta(days=30)  # type: ignore[attr-defined]
    for _ in range(3):
        services.cases.get(window, running["id"])
        services.pages.case(window, running["id"])
        services.pages.board(_user(services, f"super{_}x", "supervisor"))
    assert services.store.get_case(running["id"])["rev"] == running["rev"]  # reads never write
    assert services.cases.apply_timeouts() == 1
    after = services.store.get_case(running["id"])
    assert after["status"] == "approved"
    assert [e["action"] for e in after["events"]][-2:] == ["consent", "approve"]
    assert services.cases.apply_timeouts() == 0


def test_a_case_number_never_grows_a_digit(services: Services) -> None:
    """After 999,999 acceptances in a day the next is refused, not numbered 7 digits."""
    applicant = _user(services, "dave11", "applicant")
    window = _user(services, "window1", "window")
    key = f"{services.catalog.centre.case_prefix}{services.clock():%Y%m%d}"
    with services.store.write() as tx:  # a busy day: 999,998 numbers already given
        tx._put_row("sequences", key, {"key": key, "value": 999_998})  # type: ignore[attr-defined]
    case = _submitted(services, applicant)
    numbered = services.cases.accept(window, case["id"], deferred=["premises"])
    assert numbered["number"].endswith("999999") and len(numbered["number"]) == 2 + 8 + 6
    refused = _submitted(services, applicant)
    with pytest.raises(Exception, match="今日受理编号已用尽"):
        services.cases.accept(window, refused["id"], deferred=["premises"])
    assert services.store.get_case(refused["id"])["status"] == "submitted"


def _submitted(services: Services, applicant: User) -> dict:
    from runtime import forms
    from tests.runtime.web.samples import ANSWERS  # posted form answers, parsed
    spec = services.matters.current(MATTER)
    data = forms.parse(spec.form, list(ANSWERS.items()))
    files = {m: [services.files.upload(applicant, Upload(f"{m}.pdf", PDF))["id"]]
             for m in ("articles", "legal-rep-id", "shareholder-id", "officers-appointment")}
    return services.cases.apply(applicant, MATTER, data, files)
