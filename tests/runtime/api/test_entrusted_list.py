"""The principal's view of 全程代办: ``GET /cases`` for an applicant lists the cases agents
submitted for it (marked with ``agent`` and ``on_behalf_of``), and entrusted cases
submitted before the principal's index existed get into it by a one-time back-fill."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from runtime.services.entrusted import BACKFILLED, kind_of
from tests.runtime.api.conftest import Api
from tests.runtime.api.samples import DATA, FILES, PDF
from tests.runtime.web.conftest import Clock

PRINCIPAL = {"name": "王小明", "id_number": "110101199003071233", "phone": "13800138000"}


@pytest.fixture
def wang(api: Api) -> str:
    """An applicant account holding the principal's ID number."""
    api.services.accounts.create_user("wang", "correct-horse-9", "applicant",
                                      display_name="王小明",
                                      id_number=PRINCIPAL["id_number"])
    api.tokens["wang"] = api.services.accounts.create_token("wang")
    return "wang"


def _entrusted(api: Api, **principal: str) -> dict[str, Any]:
    if "agent1" not in api.tokens:
        api.services.accounts.create_user("agent1", "correct-horse-9", "agent")
        api.tokens["agent1"] = api.services.accounts.create_token("agent1")
    materials = {m: [api.upload("agent1", n, b)] for m, (n, b) in FILES.items()}
    materials["entrustment"] = [api.upload("agent1", "委托书.pdf", PDF)]
    return dict(api.ok(api.post("agent1", "/cases", {
        "matter": "enterprise-establishment", "data": DATA, "materials": materials,
        "on_behalf_of": {**PRINCIPAL, **principal}}), 201))


def test_an_applicant_lists_its_own_and_its_entrusted_cases(api: Api, wang: str,
                                                             clock: Clock) -> None:
    own = api.apply(wang)
    clock.now += timedelta(minutes=1)
    first = _entrusted(api)
    _entrusted(api, id_number="11010119900307125X")  # someone else's
    clock.now += timedelta(minutes=1)
    second = _entrusted(api)
    listed = api.get(wang, "/cases")
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "3"
    items = listed.json()
    assert [c["id"] for c in items] == [second["id"], first["id"], own["id"]]  # newest first
    assert all("events" not in c for c in items)
    marked = {c["id"]: (c.get("agent"), c.get("on_behalf_of")) for c in items}
    assert marked[own["id"]] == (None, None)
    assert marked[first["id"]] == (api.user_id("agent1"), PRINCIPAL)
    # paging and the status filter see the merged list
    page = api.get(wang, "/cases?limit=1&offset=1")
    assert [c["id"] for c in page.json()] == [first["id"]]
    assert page.headers["X-Total-Count"] == "3"
    api.ok(api.post("win", f"/cases/{first['id']}/accept"))  # now the newest
    accepted = api.get(wang, "/cases?status=accepted,in_progress")
    assert [c["id"] for c in accepted.json()] == [first["id"]]
    assert accepted.headers["X-Total-Count"] == "1"
    # another applicant sees none of them; the agent only its own
    assert api.ok(api.get("alice", "/cases")) == []
    assert {c["id"] for c in api.ok(api.get("agent1", "/cases"))} >= {first["id"], second["id"]}


def test_older_entrusted_cases_are_indexed_once_at_start(api: Api, wang: str) -> None:
    services, store = api.services, api.services.store
    old, other = _entrusted(api), _entrusted(api, id_number="11010119900307125X")
    draft = services.cases.start(services.accounts.find("agent1"), "enterprise-establishment",
                                 on_behalf_of=PRINCIPAL)
    with store.write() as tx:  # as before the index existed: no entries, no marker
        for case in (old, other):
            tx.put_record(kind_of(case["on_behalf_of"]["id_number"]), case["id"], None)
        tx.put_record(*BACKFILLED, None)
    assert api.ok(api.get(wang, "/cases")) == []
    services.worker.prepare()
    assert [r["case"] for r in store.list_records(kind_of(PRINCIPAL["id_number"]))] \
        == [old["id"]]  # the draft is not indexed: it is not submitted
    assert [r["case"] for r in store.list_records(kind_of("11010119900307125X"))] \
        == [other["id"]]
    assert store.get_record(*BACKFILLED)["indexed"] == 2
    assert [c["id"] for c in api.ok(api.get(wang, "/cases"))] == [old["id"]]
    assert draft["id"] not in {c["id"] for c in api.ok(api.get(wang, "/cases"))}
    # done once: a later start reads no case for it
    with store.write() as tx:
        tx.put_record(kind_of(PRINCIPAL["id_number"]), old["id"], None)
    services.worker.prepare()
    assert store.list_records(kind_of(PRINCIPAL["id_number"])) == []
