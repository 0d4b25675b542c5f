"""The version diff in words: exact Chinese lines for concrete pairs of matters."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from builder.diff import Change, diff, render
from builder.source import read_source

ROOT = Path(__file__).parents[2]
NAMES = {"amr": "市场监督管理局", "psb": "公安局", "env": "生态环境局", "water": "水务局"}
BASE: dict[str, Any] = yaml.safe_load("""
id: shop
name: 小餐饮店开办
version: 1
category: 企业开办
lead: amr
time_limit: 5
statutory_limit: 23
notice: |
  一、办理流程
  二、办理依据
conditions: 有固定经营场所。
fees:
  - {name: 食品经营许可证, amount: 0}
form:
  type: object
  required: [shop_name, has_kitchen]
  properties:
    shop_name: {type: string, title: 店铺名称, maxLength: 50}
    has_kitchen: {type: boolean, title: 是否有热食类食品制售, default: true}
    stove_count: {type: integer, title: 灶头数量, minimum: 1}
    kind: {type: string, title: 经营类型, enum: [餐饮, 饮品]}
    operator: {type: object, title: 经营者, properties: {name: {type: string}}}
  allOf:
    - if: {properties: {has_kitchen: {const: true}}, required: [has_kitchen]}
      then: {required: [stove_count]}
ui:
  order: [shop_name, has_kitchen, stove_count, kind, operator]
  fields:
    stove_count:
      visible_when: {properties: {has_kitchen: {const: true}}, required: [has_kitchen]}
materials:
  - {id: id-card, name: 经营者身份证件, accept: [pdf, jpg], original: true}
  - id: fume-report
    name: 油烟净化设施安装证明
    when: {properties: {has_kitchen: {const: true}}, required: [has_kitchen]}
    deferrable: true
steps:
  - id: license
    name: 核发营业执照
    department: amr
    days: 1
    preliminary_days: 0.5
    materials: [id-card]
    form:
      type: object
      required: [license_no]
      properties:
        license_no: {type: string, title: 统一社会信用代码}
        remark: {type: string, title: 备注}
    outputs: [license_no]
    certificate: {name: 营业执照, number: license_no}
  - id: site-check
    name: 联合现场踏勘
    departments: [env, water]
    days: 2
    needs: [{step: license, at: preliminary}]
    when: {properties: {has_kitchen: {const: true}}, required: [has_kitchen]}
    materials: [fume-report]
    on_timeout: consent
    reply_options: [同意, 不同意]
  - id: food-permit
    name: 核发食品经营许可证
    department: amr
    days: 2
    needs: [license, site-check]
    reads: [license.license_no]
""")


def _lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [str(c) for c in diff(old, new, NAMES)]


def test_no_change_and_spelling_is_no_change() -> None:
    new = copy.deepcopy(BASE)
    new["materials"][0]["copies"] = 1                       # a default written out
    new["steps"][2]["needs"] = [{"step": "license"}, "site-check"]
    new["steps"][0]["departments"] = [new["steps"][0].pop("department")]
    new["form"]["required"] = ["has_kitchen", "shop_name"]
    assert diff(BASE, new) == []
    assert render([]) == "两个版本没有差别。"


def test_basic_information_and_limits() -> None:
    new = copy.deepcopy(BASE)
    new.update(name="小餐饮店开办一件事", version=2, category="", lead="psb", time_limit=4.5,
               statutory_limit=20, notice="一、办理流程（新）\n二、办理依据\n三、收费\n",
               conditions="")
    new["fees"] = [{"name": "食品经营许可证", "amount": 10, "basis": "物价文件"},
                   {"name": "工本费", "amount": 5}]
    assert _lines(BASE, new) == [
        "【基本信息】修改 事项名称：由「小餐饮店开办」改为「小餐饮店开办一件事」",
        "【基本信息】删除 事项分类：「企业开办」",
        "【基本信息】修改 版本：由 1 改为 2",
        "【基本信息】修改 牵头部门：由「市场监督管理局」改为「公安局」",
        "【基本信息】修改 一次性告知：内容已修改（新增 2 行、删除 1 行）",
        "【基本信息】删除 受理条件",
        "【基本信息】修改 收费项目「食品经营许可证」：金额由 0 元改为 10 元",
        "【基本信息】修改 收费项目「食品经营许可证」：收费依据已修改",
        "【基本信息】新增 收费项目「工本费」：5 元",
        "【时限】修改 承诺时限：由 5 个工作日改为 4.5 个工作日",
        "【时限】修改 法定时限：由 23 个工作日改为 20 个工作日",
    ]


def test_form_fields() -> None:
    new = copy.deepcopy(BASE)
    props = new["form"]["properties"]
    props["shop_name"]["maxLength"] = 80
    props["stove_count"].update(type="number", maximum=20)
    del props["stove_count"]["minimum"]
    props["kind"]["enum"] = ["饮品", "餐饮"]
    props["has_kitchen"]["default"] = False
    props["operator"]["properties"]["mobile"] = {"type": "string"}
    props["area"] = {"type": "number", "title": "经营面积", "minimum": 1}
    new["form"]["required"].append("kind")
    new["ui"]["fields"]["kind"] = {"widget": "radio", "help": "选一个"}
    new["ui"]["fields"]["area"] = {"visible_when": {"properties": {"kind": {"enum": ["餐饮"]}},
                                                    "required": ["kind"]}}
    new["ui"]["order"] = ["has_kitchen", "shop_name", "stove_count", "kind", "operator", "area"]
    new["form"]["allOf"].append({"if": {"properties": {"kind": {"const": "餐饮"}},
                                        "required": ["kind"]}, "then": {"required": ["operator"]}})
    new["ui"]["fields"]["stove_count"]["visible_when"] = {
        "not": {"properties": {"has_kitchen": {"const": False}}, "required": ["has_kitchen"]}}
    assert _lines(BASE, new) == [
        "【申请表】修改 字段「店铺名称」：最多字数由 50 改为 80",
        "【申请表】修改 字段「是否有热食类食品制售」：默认值由 是 改为 否",
        "【申请表】修改 字段「灶头数量」：类型由「整数」改为「数字」",
        "【申请表】修改 字段「灶头数量」：显示条件改为：「是否有热食类食品制售」不为“否”"
        "（原为：「是否有热食类食品制售」为“是”）",
        "【申请表】修改 字段「灶头数量」：取消最小值",
        "【申请表】修改 字段「灶头数量」：新增最大值 20",
        "【申请表】修改 字段「经营类型」：改为必填",
        "【申请表】修改 字段「经营类型」：选项顺序已调整",
        "【申请表】修改 字段「经营类型」：填写说明已修改",
        "【申请表】修改 字段「经营类型」：控件由「自动」改为「单选按钮」",
        "【申请表】修改 字段「经营者」：内部结构已修改",
        "【申请表】新增 字段「经营面积」：数字；选填；显示条件：「经营类型」为「餐饮」之一",
        "【申请表】修改 字段顺序：已调整",
        "【申请表】新增 条件必填规则：当「经营类型」为「餐饮」时必填：「经营者」",
    ]


def test_form_fields_removed_and_options() -> None:
    new = copy.deepcopy(BASE)
    props = new["form"]["properties"]
    del props["operator"]
    new["ui"]["order"].remove("operator")
    props["kind"].update(enum=["餐饮", "烘焙"], title="业态")
    new["form"]["allOf"] = []
    assert _lines(BASE, new) == [
        "【申请表】修改 字段「业态」：标题由「经营类型」改为「业态」",
        "【申请表】修改 字段「业态」：选项新增「烘焙」",
        "【申请表】修改 字段「业态」：选项删除「饮品」",
        "【申请表】删除 字段「经营者」",
        "【申请表】删除 条件必填规则：当「是否有热食类食品制售」为“是”时必填：「灶头数量」",
    ]


def test_materials() -> None:
    new = copy.deepcopy(BASE)
    first, second = new["materials"]
    first.update(name="身份证件", accept=["pdf"], original=False, copies=2, max_mb=5, note="复印件")
    del second["when"]
    second.update(required=False, deferrable=False)
    new["materials"].append({"id": "lease", "name": "租赁合同", "deferrable": True,
                             "when": {"properties": {"kind": {"const": "餐饮"}},
                                      "required": ["kind"]}})
    assert _lines(BASE, new) == [
        "【申请材料】修改 材料「身份证件」：名称由「经营者身份证件」改为「身份证件」",
        "【申请材料】修改 材料「身份证件」：文件类型由 pdf、jpg 改为 pdf",
        "【申请材料】修改 材料「身份证件」：大小上限由 20 MB 改为 5 MB",
        "【申请材料】修改 材料「身份证件」：纸质份数由 1 改为 2",
        "【申请材料】修改 材料「身份证件」：改为无须核验原件",
        "【申请材料】修改 材料「身份证件」：备注已修改",
        "【申请材料】修改 材料「油烟净化设施安装证明」：改为选交",
        "【申请材料】修改 材料「油烟净化设施安装证明」：取消收取条件"
        "（原为：「是否有热食类食品制售」为“是”）",
        "【申请材料】修改 材料「油烟净化设施安装证明」：取消容缺受理",
        "【申请材料】新增 材料「租赁合同」：必交；可容缺受理；收取条件：「经营类型」为「餐饮」",
    ]


def test_steps_and_edges() -> None:
    new = copy.deepcopy(BASE)
    license_step, site, permit = new["steps"]
    license_step["preliminary_days"] = 0.3
    license_step["form"]["properties"]["remark"]["title"] = "说明"
    license_step["form"]["properties"]["date"] = {"type": "string", "format": "date",
                                                  "title": "成立日期"}
    license_step["outputs"].append("date")
    license_step["certificate"]["number"] = "date"
    site.update(departments=["env"], needs=["license"], note="现场", reply_options=["同意"])
    for key in ("when", "on_timeout"):
        del site[key]
    permit.update(needs=["license"], reads=[], certificate="食品经营许可证")
    new["steps"].append({"id": "tax", "name": "税务登记", "department": "psb", "days": 0.5,
                         "needs": [{"step": "license", "at": "preliminary"}, "food-permit"]})
    assert _lines(BASE, new) == [
        "【办理环节】修改 环节「核发营业执照」：初审意见时限由 0.5 个工作日改为 0.3 个工作日",
        "【办理环节】修改 环节「核发营业执照」：办理结果新增「成立日期」",
        "【办理环节】修改 环节「核发营业执照」：审批表单字段「说明」已修改",
        "【办理环节】修改 环节「核发营业执照」：证照编号字段由「统一社会信用代码」改为「成立日期」",
        "【办理环节】修改 环节「联合现场踏勘」：办理部门删除「水务局」",
        "【办理环节】修改 环节「联合现场踏勘」"
        "：取消办理条件（原为：「是否有热食类食品制售」为“是”）",
        "【办理环节】修改 环节「联合现场踏勘」：取消超时默许",
        "【办理环节】修改 环节「联合现场踏勘」：回复意见选项由「同意、不同意」改为「同意」",
        "【办理环节】修改 环节「联合现场踏勘」：环节说明已修改",
        "【办理环节】修改 环节「核发食品经营许可证」"
        "：读取上游结果删除「核发营业执照 · 统一社会信用代码」",
        "【办理环节】修改 环节「核发食品经营许可证」：新增证照「食品经营许可证」",
        "【办理环节】新增 环节「税务登记」：办理部门：「公安局」；时限 0.5 个工作日",
        "【环节依赖】修改 「核发营业执照」→「联合现场踏勘」"
        "：由出具初审意见后即开始（分段并联）改为办结后开始",
        "【环节依赖】新增 「核发营业执照」→「税务登记」"
        "：「税务登记」在「核发营业执照」出具初审意见后即开始（分段并联）",
        "【环节依赖】新增 「核发食品经营许可证」→「税务登记」"
        "：「税务登记」在「核发食品经营许可证」办结后开始",
        "【环节依赖】删除 「联合现场踏勘」→「核发食品经营许可证」"
        "：「核发食品经营许可证」不再等待「联合现场踏勘」",
    ]


def test_a_step_removed_with_its_edges_and_a_fan_out_join() -> None:
    new = copy.deepcopy(BASE)
    del new["steps"][1]
    new["steps"][1]["needs"] = ["license"]
    old = copy.deepcopy(BASE)
    new_fan = copy.deepcopy(BASE)
    new_fan["steps"][1]["join"] = "any"
    new_fan["steps"][1]["departments"].append("amr")
    assert _lines(old, new) == [
        "【办理环节】删除 环节「联合现场踏勘」",
        "【环节依赖】删除 「核发营业执照」→「联合现场踏勘」"
        "：「联合现场踏勘」不再等待「核发营业执照」",
        "【环节依赖】删除 「联合现场踏勘」→「核发食品经营许可证」"
        "：「核发食品经营许可证」不再等待「联合现场踏勘」",
    ]
    assert _lines(old, new_fan) == [
        "【办理环节】修改 环节「联合现场踏勘」：办理部门新增「市场监督管理局」",
        "【办理环节】修改 环节「联合现场踏勘」"
        "：办结方式由「会签（全部部门同意）」改为「或签（任一部门同意即可）」",
    ]


def test_a_new_version_of_a_catalog_matter() -> None:
    src, _ = read_source(ROOT / "catalog/matters/enterprise-establishment.yaml")
    assert src is not None
    old = src.value
    new = copy.deepcopy(old)
    new.update(version=2, time_limit=1.5)
    new["steps"][1]["needs"] = [{"step": "license", "at": "preliminary"}]
    new["steps"][1]["reads"] = []
    del new["steps"][5]
    changes = diff(old, new, {"amr": "市场监督管理局"})
    assert changes == [
        Change("基本信息", "修改", "版本", "由 1 改为 2"),
        Change("时限", "修改", "承诺时限", "由 1 个工作日改为 1.5 个工作日"),
        Change("办理环节", "修改", "环节「印章刻制及备案」",
               "读取上游结果删除「设立登记、核发营业执照 · 统一社会信用代码」"),
        Change("办理环节", "删除", "环节「银行开户预约」"),
        Change("环节依赖", "修改", "「设立登记、核发营业执照」→「印章刻制及备案」",
               "由办结后开始改为出具初审意见后即开始（分段并联）"),
        Change("环节依赖", "删除", "「设立登记、核发营业执照」→「银行开户预约」",
               "「银行开户预约」不再等待「设立登记、核发营业执照」"),
    ]
    assert render(changes).splitlines()[0] == "【基本信息】修改 版本：由 1 改为 2"
