"""Realistic cases of the project catalog's matters, for the web benchmark's store.

Every document is produced by the real engine (``new_case`` → ``submit`` → ``accept``
→ claim/approve … → ``deliver``) from valid applicant data, so cases carry real
matter, step and department ids, real task states and real event logs. Open cases
are each run through the engine (their deadlines spread over working days); finished
cases are copies of one engine-made finished case per matter with fresh ids, which
keeps building 100,000 of them to a minute.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from builder import Catalog, load_catalog
from runtime import engine, forms
from runtime.engine import CHINA_TZ, Actor, Role, WorkCalendar
from runtime.services import LIFECYCLE
from runtime.services.cases import task_ids_for
from runtime.store import TinyDBStore

FORMAT = 1  # bump when the generated data changes, to rebuild cached stores

#: Valid applicant data per matter (the chengdu-* matter uses pre-2018 departments only).
APPLICATIONS: dict[str, dict[str, Any]] = {
    "enterprise-establishment": {
        "company_name": "云川市青禾农业科技有限公司",
        "company_type": "有限责任公司（自然人投资或控股）",
        "address": "云川市新城区锦程路18号2栋3单元1205室", "registered_capital": 100,
        "business_scope": "一般项目：技术服务、技术开发。", "has_pre_approval": False,
        "legal_representative": {"name": "王小明", "position": "经理",
                                 "id_no": "110101199003071233", "mobile": "13800138000"},
        "shareholders": [{"name": "王小明", "kind": "自然人", "id_no": "110101199003071233",
                          "subscribed_capital": 100, "contribution_method": "货币",
                          "contribution_deadline": "2030-12-31"}],
        "needs_seal": True, "seal_count": 5, "needs_invoice": False, "employees": 3,
        "hf_rate": 5, "bank_appointment": False, "applicant_role": "法定代表人本人",
    },
    "government-investment-project": {
        "project_name": "云川市新城区第二实验小学新建工程",
        "project_code": "2026-511002-47-01-003215",
        "construction_unit": {"name": "云川市新城区教育局", "credit_code": "12511002MB1234567L",
                              "contact": "刘洋", "mobile": "13900001111"},
        "project_type": "学校", "location": "云川市新城区锦程路以南、学府路以东",
        "land_source": "划拨", "land_area": 32000, "floor_area": 36000,
        "underground_area": 6000, "floors_above": 5, "height": 23.5,
        "total_investment": 18000, "funding_source": "财政预算资金", "needs_eia": True,
        "eia_document": "环境影响报告表", "planned_start": "2027-03-01",
        "planned_completion": "2029-06-30",
        "participants": [{"role": "设计单位", "name": "云川市建筑设计研究院有限公司",
                          "credit_code": "91511002MA6ABCDE1U"}],
    },
    "rural-construction-planning-permit": {
        "applicant": {"name": "李建国", "id_no": "51010219880512345X", "mobile": "13700002222"},
        "household_size": 4, "township": "青禾镇", "village": "青禾村三组",
        "homestead_location": "青禾村三组，原老屋基东侧",
        "boundaries": {"east": "村道", "south": "李家院坝", "west": "水渠", "north": "农田"},
        "homestead_approval_no": "青禾宅字〔2026〕第018号", "construction_type": "原址翻建",
        "homestead_area": 120, "floor_area": 260, "floors": 2, "height": 7.5, "use": "自住",
        "occupies_farmland": False, "design_source": "选用农房设计通用图集",
        "planned_start": "2027-03-15",
    },
}

#: Valid decision data per (matter, step) for the steps that have a form.
DECISIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("enterprise-establishment", "license"): {"license_no": "91511002MA01ABCD2W",
                                              "established_on": "2026-11-02"},
    ("enterprise-establishment", "seal"): {"seal_maker": "云川市新城区印章刻制点",
                                           "seal_count": 5},
    ("enterprise-establishment", "tax"): {"tax_office": "国家税务总局云川市新城区税务局"},
    ("enterprise-establishment", "social-insurance"): {"si_unit_no": "SI5110020012"},
    ("enterprise-establishment", "housing-fund"): {"hf_account_no": "511002000123456"},
    ("enterprise-establishment", "bank-account"): {"branch": "工商银行云川新城支行",
                                                   "appointment_date": "2026-11-10"},
    ("government-investment-project", "proposal"): {
        "proposal_approval_no": "云发改投资〔2026〕12号"},
    ("government-investment-project", "site-selection"): {
        "site_opinion_no": "用字第511002202600012号"},
    ("government-investment-project", "eia"): {"eia_approval_no": "云环审〔2026〕45号"},
    ("government-investment-project", "feasibility"): {"fs_approval_no": "云发改投资〔2026〕88号",
                                                       "approved_investment": 17800},
    ("government-investment-project", "land-use-permit"): {
        "land_permit_no": "地字第511002202600036号"},
    ("government-investment-project", "preliminary-design"): {
        "design_approval_no": "云发改投资〔2026〕120号", "approved_budget": 17650},
    ("government-investment-project", "planning-permit"): {
        "planning_permit_no": "建字第511002202600128号"},
    ("government-investment-project", "drawing-review"): {"review_cert_no": "云施审〔2026〕0456号"},
    ("government-investment-project", "air-defence"): {"air_defence_no": "云人防审〔2026〕21号"},
    ("government-investment-project", "construction-permit"): {
        "construction_permit_no": "511002202611300109"},
    ("government-investment-project", "joint-acceptance"): {"opinion_no": "云联验〔2026〕033号"},
    ("government-investment-project", "completion-filing"): {"filing_no": "云竣备〔2026〕0102号"},
    ("rural-construction-planning-permit", "permit"): {"permit_no": "乡字第511002202600517号",
                                                       "issued_on": "2026-11-02",
                                                       "site_checked": True},
}

#: Share of each matter among the stored cases.
MIX = {"enterprise-establishment": 0.70, "rural-construction-planning-permit": 0.22,
       "government-investment-project": 0.08}

APPLICANT = Actor("u_bench_applicant", Role.APPLICANT, None, "张三")
WINDOW = Actor("u_bench_window", Role.WINDOW, None, "综合窗口")
_TEMPLATE_DIGITS = "987654321098"


def staff(department: str) -> Actor:
    """A reviewer of ``department`` other than the benchmark's signed-in user."""
    return Actor(f"u_{department}_reviewer", Role.DEPARTMENT, department, f"{department} 审批员")


class CaseMaker:
    """Makes engine-produced cases of the catalog's matters."""

    def __init__(self, catalog: Catalog, prefix: str) -> None:
        self.catalog = catalog
        self.calendar = WorkCalendar.from_catalog(catalog.calendar)
        self.prefix = prefix
        self.matters = {m: catalog.matter(m) for m in MIX}

    def accepted(self, matter_id: str, case_digits: str, number: str, at: datetime,
                 bank: bool = False) -> dict[str, Any]:
        """A case accepted at ``at``: the first steps are ready."""
        matter = self.matters[matter_id]
        data = dict(APPLICATIONS[matter_id])
        if matter_id == "enterprise-establishment" and bank:
            data.update(bank_appointment=True, bank="中国工商银行")
        materials = {m.id: [f"f_{case_digits}_{m.id}"]
                     for m in forms.applicable_materials(matter.materials, data)}
        case = engine.new_case(matter, APPLICANT, at - timedelta(hours=2), data=data,
                               materials=materials, new_id=lambda _: f"c_{case_digits}")
        case = engine.submit(case, matter, APPLICANT, at - timedelta(hours=1))
        return engine.accept(case, matter, WINDOW, at, number=number, calendar=self.calendar,
                             new_id=task_ids_for(case["id"]))

    def decide(self, case: dict[str, Any], task: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Claim and approve one ready task with valid decision data."""
        matter = self.matters[case["matter"]]
        actor = staff(task["department"])
        case = engine.claim(case, matter, actor, at, task["id"])
        data = DECISIONS.get((case["matter"], task["step"]))
        options = matter.step(task["step"]).reply_options
        return engine.approve(case, matter, actor, at + timedelta(minutes=40), task["id"],
                              calendar=self.calendar, data=data, opinion="同意",
                              reply=options[0] if options else None)

    def advance(self, case: dict[str, Any], decisions: int, at: datetime,
                step_hours: float) -> tuple[dict[str, Any], datetime]:
        """Approve up to ``decisions`` ready tasks, in plan order, ``step_hours`` apart."""
        for _ in range(decisions):
            ready = [t for t in case["tasks"] if t["status"] == "ready"]
            if not ready:
                break
            at += timedelta(hours=step_hours)
            case = self.decide(case, ready[0], at)
        return case, at

    def finished(self, matter_id: str) -> str:
        """A delivered case (every task approved) as JSON, its ids replaceable by ``clone``."""
        at = datetime(2026, 3, 2, 9, 30, tzinfo=CHINA_TZ)
        case = self.accepted(matter_id, _TEMPLATE_DIGITS, "NUMBER-TEMPLATE", at)
        case, at = self.advance(case, 100, at, 3)
        case = engine.deliver(case, self.matters[matter_id], WINDOW, at + timedelta(hours=2))
        assert case["status"] == "delivered", case["status"]
        return json.dumps(case, ensure_ascii=False)


def clone(template: str, case_digits: str, number: str) -> dict[str, Any]:
    """A copy of a template case under a new id (tasks' ids follow) and number."""
    text = template.replace(_TEMPLATE_DIGITS, case_digits).replace("NUMBER-TEMPLATE", number)
    case: dict[str, Any] = json.loads(text)
    return case


def _working_moments(calendar: WorkCalendar, end: datetime, count: int,
                     rng: random.Random) -> Iterator[datetime]:
    """``count`` random moments in working hours over the ~25 working days before ``end``."""
    days: list[date] = []
    day = end.date()
    while len(days) < 25:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            days.append(day)
    for _ in range(count):
        d = rng.choice(days)
        yield datetime(d.year, d.month, d.day, 9, 0, tzinfo=CHINA_TZ) + timedelta(
            minutes=rng.randrange(0, 8 * 60))


def build_store(path: Path, catalog_dir: Path, size: int, open_cases: int, *,
                department: str, ready: int, now: datetime,
                log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write ``size`` cases into a fresh store at ``path`` (``open_cases`` still running).

    ``department`` gets exactly ``ready`` tasks awaiting claim (待签收), plus claimed and
    suspended ones; the other departments' tasks are in whatever state the random
    progress of their cases leaves them.
    """
    catalog = load_catalog(catalog_dir)
    maker = CaseMaker(catalog, catalog.centre.case_prefix)
    licence = maker.matters["enterprise-establishment"].steps[0]
    if licence.departments != (department,):
        raise ValueError(f"the exact counts need the licence step's department "
                         f"{licence.departments}, not {department!r}")
    rng = random.Random(size)
    if path.exists():
        shutil.rmtree(path)
    templates = {m: maker.finished(m) for m in MIX}
    matters = list(MIX)
    weights = [MIX[m] for m in matters]
    opened = _open_plan(open_cases, ready, rng, matters, weights)
    moments = list(_working_moments(maker.calendar, now, open_cases, rng))
    finished_day = datetime(2025, 12, 1, tzinfo=CHINA_TZ)
    per_day: dict[str, int] = {}
    store = TinyDBStore(path, lifecycle=LIFECYCLE)
    open_every = size // open_cases
    try:
        for start in range(0, size, 500):
            with store.write() as tx:
                for i in range(start, min(start + 500, size)):
                    digits = f"{i:012d}"
                    if i % open_every == 0 and i // open_every < open_cases:
                        j = i // open_every
                        at = moments[j]
                        number = _number(maker.prefix, at, per_day)
                        case = _open_case(maker, opened[j], digits, number, at, now, rng)
                    else:
                        at = finished_day + timedelta(minutes=i * 3)
                        number = _number(maker.prefix, at, per_day)
                        case = clone(templates[rng.choices(matters, weights)[0]], digits, number)
                    tx.put_case(case)
            if start % 20_000 == 0:
                log(f"  … {start + 500:,} cases written")
    finally:
        store.close()
    return {"format": FORMAT, "size": size, "open": open_cases, "department": department,
            "ready": ready}


def _number(prefix: str, at: datetime, per_day: dict[str, int]) -> str:
    key = at.strftime("%Y%m%d")
    per_day[key] = per_day.get(key, 0) + 1
    return f"{prefix}{key}{per_day[key]:04d}"


def _open_plan(count: int, ready: int, rng: random.Random, matters: list[str],
               weights: list[float]) -> list[tuple[str, str]]:
    """(matter, plan) per open case; the fixed plans set the licence step's counts."""
    fixed = ["ready"] * ready + ["claimed"] * 25 + ["suspended"] * 5
    plans: list[tuple[str, str]] = [("enterprise-establishment", p) for p in fixed]
    while len(plans) < count:
        matter = rng.choices(matters, weights)[0]
        plans.append((matter, "random"))
    rng.shuffle(plans)
    return plans


def _open_case(maker: CaseMaker, plan: tuple[str, str], digits: str, number: str,
               at: datetime, now: datetime, rng: random.Random) -> dict[str, Any]:
    matter_id, how = plan
    case = maker.accepted(matter_id, digits, number, at, bank=rng.random() < 0.3)
    matter = maker.matters[matter_id]
    first = case["tasks"][0]
    if how == "claimed":
        return engine.claim(case, matter, staff(first["department"]), at, first["id"])
    if how == "suspended":
        case = engine.claim(case, matter, staff(first["department"]), at, first["id"])
        return engine.suspend(case, matter, staff(first["department"]), at, first["id"],
                              "需现场核查经营场所")
    if how == "ready":
        return case
    steps = len(matter.steps)
    # A random enterprise case is past its licence step, so that step's ready count is exact.
    decisions = rng.randint(1, steps) if matter_id == "enterprise-establishment" \
        else rng.randint(0, steps - 1)
    # Decisions spaced so that the last one is still in the past.
    room = (now - at).total_seconds() / 3600 / (decisions + 1)
    case, last = maker.advance(case, decisions, at, min(rng.uniform(0.5, 6), room))
    for task in case["tasks"]:
        if task["status"] == "ready" and rng.random() < 0.35:
            case = engine.claim(case, matter, staff(task["department"]), last, task["id"])
    return case
