"""The builder UI over HTTP: create a matter in the guided editor, publish, version 2."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from runtime.services import LIFECYCLE
from runtime.services.container import Services
from runtime.settings import Settings
from runtime.store import MemoryStore
from runtime.store.admin_store import AdminStore
from runtime.web.app import create_app
from tests.runtime.web.conftest import PASSWORD, ROOT, Clock, csrf_of


@pytest.fixture
def admin_app(tmp_path: Path, clock: Clock) -> Iterator[tuple[TestClient, Services, str]]:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    settings = Settings.load({"data_dir": str(tmp_path / "data"),
                              "catalog_dir": str(catalog)}, environ={})
    store = MemoryStore(tmp_path / "blobs", lifecycle=LIFECYCLE)
    services = Services.open(settings, store=store, clock=clock,
                             admin_store=AdminStore.in_memory())
    services.accounts.create_user("admin1", PASSWORD, "admin", display_name="管理员")
    services.accounts.create_user("amr1", PASSWORD, "department", department="amr")
    with TestClient(create_app(settings, services)) as client:
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"name": "admin1", "password": PASSWORD, "_csrf": token})
        yield client, services, csrf_of(client.get("/admin").text)
    services.close()


def _guided(client: TestClient, token: str, matter: str, data: dict) -> str:
    response = client.post(f"/admin/matters/{matter}/guided", data={**data, "_csrf": token})
    assert response.status_code == 200, response.text[-3000:]
    return response.text


def test_new_matter_in_the_guided_editor_then_publish_and_version_2(admin_app) -> None:  # type: ignore[no-untyped-def]
    client, services, token = admin_app
    made = client.post("/admin/matters", data={"matter": "food-shop", "name": "小餐饮店开办",
                                               "lead": "amr", "_csrf": token},
                       follow_redirects=False)
    assert made.status_code == 303
    page = client.get("/admin/matters/food-shop/edit").text
    assert "向导" in page and "YAML" in page and "并联方案" in page
    assert f'name="_csrf" value="{token}"><input type="hidden" name="op" value="remove_field">' \
        in page  # the small item actions carry the CSRF token too
    _guided(client, token, "food-shop", {"op": "add_field", "name": "seats", "type": "integer",
                                         "title": "餐位数", "required": "yes", "minimum": "0"})
    _guided(client, token, "food-shop", {"op": "add_field", "name": "needs_fire",
                                         "type": "boolean", "title": "需要消防检查"})
    html = _guided(client, token, "food-shop", {
        "op": "add_step", "id": "hygiene", "name": "食品经营许可", "departments": "amr",
        "days": "2", "preliminary_days": "1", "outputs": "permit_no|许可证编号|"})
    first_step = services.admin.draft(services.accounts.get(
        services.store.get_user_by_name("admin1")["id"]), "food-shop").yaml
    first_id = re.search(r"- id: ([a-z0-9-]+)", first_step.split("steps:")[1]).group(1)
    html = _guided(client, token, "food-shop", {
        "op": "add_step", "id": "fire", "name": "消防安全检查", "departments": ["fire", "psb"],
        "join": "all", "days": "3", "needs": [first_id, "hygiene"], "staged": "hygiene",
        "when_field": "needs_fire", "when_op": "equals", "when_value": "true"})
    html = _guided(client, token, "food-shop", {
        "op": "basic", "name": "小餐饮店开办", "lead": "amr", "time_limit": "5",
        "statutory_limit": "20", "notice": "请准备营业场所证明。", "conditions": ""})
    assert "消防安全检查" in html, re.findall(r"notice[^>]*>([^<]*)<", html)
    assert "<svg" in html and "餐位数" in html, re.findall(r"problem-error\">(.*?)</li>", html)
    assert "没有发现问题" in html, re.findall(r'class="problem-error">(.*?)</li>', html)
    published = client.post("/admin/matters/food-shop/publish", data={"_csrf": token},
                            follow_redirects=False)
    assert published.status_code == 303
    spec = services.matters.current("food-shop")
    assert spec.version == 1 and [s.id for s in spec.steps][-1] == "fire"
    fire = spec.step("fire")
    assert fire.when is not None and any(n.at.value == "preliminary" for n in fire.needs)

    # version 2 with an extra step; version 1 stays for running cases
    _guided(client, token, "food-shop", {"op": "add_step", "id": "tax", "name": "税务登记",
                                         "departments": "tax", "days": "1",
                                         "needs": "hygiene"})
    client.post("/admin/matters/food-shop/publish", data={"_csrf": token})
    assert services.matters.current("food-shop").version == 2
    assert len(services.matters.version("food-shop", 1).steps) == 3
    versions = client.get("/admin/matters/food-shop/versions?old=1&new=2").text
    assert "税务登记" in versions and "新增" in versions
    bpmn = client.get("/admin/matters/food-shop/bpmn?version=2")
    assert bpmn.status_code == 200 and b"bpmn:laneSet" in bpmn.content
    assert "food-shop" in client.get("/admin/audit").text


def test_broken_draft_can_be_saved_not_published(admin_app) -> None:  # type: ignore[no-untyped-def]
    client, services, token = admin_app
    text = client.get("/admin/matters/rural-construction-planning-permit/edit").text
    assert "YAML" in text
    saved = client.post("/admin/matters/rural-construction-planning-permit/yaml",
                        data={"yaml": "id: rural-construction-planning-permit\nname: [broken\n",
                              "_csrf": token})
    assert saved.status_code == 200 and "YAML 有语法错误" in saved.text
    refused = client.post("/admin/matters/rural-construction-planning-permit/publish",
                          data={"_csrf": token})
    assert refused.status_code == 400 and "不能发布" in refused.text
    assert services.matters.current("rural-construction-planning-permit").version == 1
    bad = client.post("/admin/matters/enterprise-establishment/import",
                      files={"file": ("x.yaml", "id: enterprise-establishment\nfoo: 1\n")},
                      data={"_csrf": token})
    assert bad.status_code == 400 and "未导入" in bad.text
    # the administrator reads every check message in Chinese, located by line and column
    assert re.search(r"第 \d+ 行第 \d+ 列</a> 错误：YAML 语法错误", saved.text), saved.text[-3000:]
    assert "第 " in refused.text and "行：YAML 语法错误" in refused.text
    assert "未知的键 “foo”" in bad.text and "unknown key" not in bad.text
    original = services.admin.export_version(services.accounts.get(
        services.store.get_user_by_name("admin1")["id"]), "rural-construction-planning-permit")
    typo = client.post("/admin/matters/rural-construction-planning-permit/yaml", data={
        "yaml": original.replace("  - id: permit\n", "  - id: permit\n    depends_on: []\n", 1),
        "_csrf": token})
    assert "「环节 permit」：未知的键 “depends_on”（是否应为 “needs”？）；可用的键：" in typo.text
    assert re.search(r"第 222 行第 5 列</a> 错误：「环节 permit」", typo.text), typo.text[-3000:]
    assert "unknown key" not in typo.text


def test_departments_page_and_rules(admin_app) -> None:  # type: ignore[no-untyped-def]
    client, services, token = admin_app
    page = client.get("/admin/departments").text
    assert "市场监督管理局" in page
    added = client.post("/admin/departments/add", data={"id": "culture", "name": "文化旅游局",
                                                       "_csrf": token}, follow_redirects=False)
    assert added.status_code == 303 and "culture" in services.catalog.departments
    refused = client.post("/admin/departments/delete", data={"id": "amr", "_csrf": token})
    assert refused.status_code == 409


def test_non_admins_are_kept_out(admin_app) -> None:  # type: ignore[no-untyped-def]
    client, _, token = admin_app
    client.post("/logout", data={"_csrf": token})
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"name": "amr1", "password": PASSWORD, "_csrf": token})
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/matters/enterprise-establishment/edit").status_code == 403


def test_a_bad_version_in_the_diff_query_is_a_clear_400(admin_app) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = admin_app
    response = client.get("/admin/matters/enterprise-establishment/versions?old=abc&new=1")
    assert response.status_code == 400 and "不是版本号" in response.text


def test_an_alias_bomb_draft_is_a_located_error_and_still_opens(admin_app) -> None:  # type: ignore[no-untyped-def]
    client, services, token = admin_app
    levels = ["x: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "id: rural-construction-planning-permit\nname: 炸弹\nbombs:\n" + "\n".join(
        ["  - " + levels[0][3:], *levels[1:]]) + "\n"
    saved = client.post("/admin/matters/rural-construction-planning-permit/yaml",
                        data={"yaml": bomb, "_csrf": token})
    assert saved.status_code == 200
    assert re.search(r"第 9 行第 5 列</a> 错误：YAML 中的别名（\*名称）重复展开的内容超过 "
                     r"100,000 项", saved.text), saved.text[-3000:]
    again = client.get("/admin/matters/rural-construction-planning-permit/edit")
    assert again.status_code == 200 and "重复展开" in again.text
    refused = client.post("/admin/matters/rural-construction-planning-permit/publish",
                          data={"_csrf": token})
    assert refused.status_code == 400
    assert services.matters.current("rural-construction-planning-permit").version == 1
