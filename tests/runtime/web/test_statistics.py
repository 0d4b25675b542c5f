"""The statistics page (统计分析) and its exports, signed in through the real form."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from runtime.services.container import Services
from tests.runtime.api.conftest import Api
from tests.runtime.api.test_stats import WEEK, journey


@pytest.fixture
def api(client: TestClient, services: Services) -> Api:
    return Api(client, services)


def test_page_and_exports(api: Api, clock: Any, login: Any, make_user: Any) -> None:
    journey(api, clock)
    make_user("sup2", "supervisor")
    login("sup2")
    client = api.client
    page = client.get(f"/statistics?by=department&{WEEK}")
    assert page.status_code == 200
    assert "<svg" in page.text and "市场监督管理局" in page.text and "按期率" in page.text
    csv = client.get(f"/statistics.csv?by=matter&{WEEK}")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert "并联节省" in csv.content.decode("utf-8-sig")
    xlsx = client.get(f"/statistics.xlsx?by=department&{WEEK}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0] == "部门" and any(r[0] == "市场监督管理局" for r in values[2:])
    bad = client.get("/statistics?from=nope")
    assert bad.status_code == 400 and "须为日期" in bad.text


def test_page_is_refused_to_an_applicant(api: Api, login: Any, make_user: Any) -> None:
    make_user("app2", "applicant")
    login("app2")
    assert api.client.get("/statistics").status_code == 403
