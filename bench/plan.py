"""Benchmark: check + plan of large matters, against bare networkx on the same graph.

Builds synthetic matters of 100, 1,000 and 10,000 steps as the YAML a user would write,
in a temporary catalog folder, and runs them through the path ``onewindow plan`` takes
(``load_catalog`` then ``make_plan``), timed in parts:

* yaml-parse: ``parse_folder``, PyYAML's C composer plus our values-with-positions.
  Shown, and in the total, but not in onewindow's time X: PyYAML is not ours to speed
  up, and its composer alone takes about 3x networkx's whole job.
* check: ``check_sources``, everything ``onewindow check`` does once the text is parsed:
  the meta-schemas, every user form and condition judged as a JSON Schema, references,
  cycles, reads, and the time limit (which compiles and plans the matter).
* load+plan: ``catalog_of`` (the catalog, with the specs the check compiled) and
  ``make_plan`` (which reuses the plan the check made for the same spec).
* gc: reading and checking pause the garbage collector (``builder.catalog``); the
  collection they put off, one pass over every object made meanwhile, is timed here.

onewindow's time X is check + load+plan + gc. networkx does the bare graph work on the
same edge list: build, topological generations, weighted longest path. Each column is
the best of a few repeats; before each, the memo of judged user schemas is cleared and
the garbage collected, so no repeat profits from, or pays for, another.

    .venv/bin/python bench/plan.py [--quick] [--profile] [--seed N]

The last line is ``plan: 10000 steps X s, networkx Y s, ratio R``; the goal is R <= 10.
The line above it gives the YAML parse time and the total including it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import pstats
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from builder.catalog import Loaded, catalog_of, check_sources, parse_folder
from builder.metaschema import _schema_errors
from builder.plan import Plan, make_plan

DEPARTMENTS = [
    ("amr", "市场监督管理局"), ("psb", "公安局"), ("tax", "税务局"), ("fire", "消防救援支队"),
    ("env", "生态环境局"), ("hrss", "人力资源和社会保障局"), ("housing", "住房和城乡建设局"),
    ("nature", "自然资源和规划局"), ("health", "卫生健康委员会"), ("culture", "文化广电旅游局"),
]
MATERIALS = [
    ("id-card", "法定代表人身份证"), ("articles", "公司章程"), ("lease", "经营场所租赁合同"),
    ("property", "房屋产权证明"), ("capital-proof", "注册资本证明"), ("floor-plan", "平面布置图"),
    ("fire-design", "消防设计文件"), ("eia-form", "环境影响登记表"), ("staff-list", "从业人员名单"),
    ("authorization", "授权委托书"),
]
DAYS = [0.25, 0.5, 1, 1, 1.5, 2, 2, 3, 0.3, 0.7]
WINDOW = 50  # prerequisites are chosen among the previous WINDOW steps
NEEDS = 3
SIZES = (100, 1_000, 10_000)
REPEATS = {100: 10, 1_000: 5, 10_000: 3}


def applicant_form() -> dict[str, Any]:
    """A realistic enterprise-establishment application form (JSON Schema)."""
    return {
        "type": "object",
        "required": ["company_name", "credit_code", "registered_capital", "legal_person",
                     "phone", "address", "industry"],
        "properties": {
            "company_name": {"type": "string", "title": "企业名称", "minLength": 2,
                             "maxLength": 100},
            "credit_code": {"type": "string", "title": "统一社会信用代码",
                            "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"},
            "registered_capital": {"type": "number", "title": "注册资本（万元）", "minimum": 0},
            "legal_person": {"type": "string", "title": "法定代表人", "maxLength": 50},
            "phone": {"type": "string", "title": "联系电话", "pattern": "^1[3-9][0-9]{9}$"},
            "email": {"type": "string", "title": "电子邮箱", "format": "email"},
            "address": {"type": "string", "title": "经营场所", "maxLength": 200},
            "area": {"type": "number", "title": "经营面积（平方米）", "exclusiveMinimum": 0},
            "industry": {"type": "string", "title": "行业类别",
                         "enum": ["餐饮", "零售", "制造", "娱乐", "软件", "其他"]},
            "employees": {"type": "integer", "title": "从业人数", "minimum": 0},
            "needs_seal": {"type": "boolean", "title": "申请刻制印章", "default": True},
            "shareholders": {
                "type": "array", "title": "股东", "minItems": 1,
                "items": {"type": "object", "required": ["name", "share"],
                          "properties": {"name": {"type": "string", "title": "姓名/名称"},
                                         "share": {"type": "number", "title": "出资比例",
                                                   "minimum": 0, "maximum": 100}}},
            },
            "business_scope": {"type": "string", "title": "经营范围", "maxLength": 2000},
        },
        "allOf": [{"if": {"properties": {"industry": {"const": "餐饮"}}},
                   "then": {"required": ["area"]}}],
    }


WHENS = [
    {"properties": {"needs_seal": {"const": True}}},
    {"properties": {"industry": {"enum": ["餐饮", "娱乐"]}}},
    {"properties": {"registered_capital": {"minimum": 5000}}, "required": ["registered_capital"]},
    {"properties": {"area": {"minimum": 300}}, "required": ["area"]},
]


@dataclass
class Synthetic:
    """A generated matter: its YAML document and the plain edge list networkx gets."""

    doc: dict[str, Any]
    edges: list[tuple[str, str, float]]  # (upstream, downstream, upstream days)
    nodes: list[str]


def make_matter(n: int, rng: random.Random) -> Synthetic:
    """A matter of ``n`` steps with depth, fan-outs, staged edges, forms and reads."""
    steps: list[dict[str, Any]] = []
    edges: list[tuple[str, str, float]] = []
    prelim: dict[str, float] = {}
    outputs: dict[str, str] = {}  # step id -> the output it publishes
    finish_needs: dict[str, list[str]] = {}
    all_needs: dict[str, list[str]] = {}
    finish: dict[str, float] = {}  # to keep the promised time_limit honest
    for i in range(n):
        sid = f"s{i:05d}"
        length = rng.choice(DAYS)
        step: dict[str, Any] = {"id": sid, "name": f"第{i + 1}项 联合审查"}
        if rng.random() < 0.1:
            step["departments"] = [d for d, _ in rng.sample(DEPARTMENTS, rng.randint(2, 3))]
            step["join"] = rng.choice(["all", "any"])
        else:
            step["department"] = rng.choice(DEPARTMENTS)[0]
        step["days"] = length
        if length >= 1 and rng.random() < 0.3:
            prelim[sid] = step["preliminary_days"] = rng.choice([0.5, 0.25]) * length
        ups = rng.sample(range(max(0, i - WINDOW), i), min(i, NEEDS))
        needs: list[Any] = []
        start = 0.0
        finish_needs[sid], all_needs[sid] = [], []
        for j in sorted(ups):
            up = f"s{j:05d}"
            upstream = steps[j]
            all_needs[sid].append(up)
            if up in prelim and rng.random() < 1 / 3:  # ~10% of all edges are staged
                needs.append({"step": up, "at": "preliminary"})
                start = max(start, finish[up] - upstream["days"] + prelim[up])
            else:
                needs.append(up)
                finish_needs[sid].append(up)
                start = max(start, finish[up])
            edges.append((up, sid, upstream["days"]))
        finish[sid] = start + length
        if needs:
            step["needs"] = needs
        step["materials"] = [m for m, _ in rng.sample(MATERIALS, rng.randint(1, 3))]
        if rng.random() < 0.1:
            out = rng.choice(["permit_no", "opinion_no", "certificate_no"])
            # Every form differs a little, as real ones do (no two are the same object).
            step["form"] = {
                "type": "object", "required": [out],
                "properties": {
                    out: {"type": "string", "title": f"第{i + 1}项审批文号",
                          "pattern": f"^[A-Z0-9-]{{6,{20 + i % 20}}}$"},
                    "remark": {"type": "string", "title": "审查意见", "maxLength": 200 + i % 300},
                },
            }
            step["outputs"] = [out]
            outputs[sid] = out
            if rng.random() < 0.5:
                step["certificate"] = {"name": "许可证", "number": out}
        read = _finished_ancestor_output(sid, rng, finish_needs, all_needs, outputs)
        if read and rng.random() < 0.5:
            step["reads"] = [read]
        if rng.random() < 0.05:
            step["when"] = rng.choice(WHENS)
        if rng.random() < 0.05:
            step["on_timeout"] = "consent"
        steps.append(step)
    parallel = max(finish.values())
    doc: dict[str, Any] = {
        "id": f"bench-{n}",
        "name": f"基准测试事项（{n} 个环节）",
        "version": 1,
        "category": "企业开办",
        "lead": "amr",
        "time_limit": math.ceil(parallel) + 1,
        "statutory_limit": min(3650, math.ceil(parallel) * 3),
        "notice": "请如实填写申请表，并按要求上传材料。\n材料不全的，窗口一次性告知需补正内容。\n",
        "conditions": "依法设立的企业",
        "fees": [{"name": "工本费", "amount": 0, "basis": "免费"}],
        "form": applicant_form(),
        "ui": {
            "order": ["company_name", "credit_code", "registered_capital", "legal_person",
                      "phone", "address", "industry"],
            "fields": {
                "business_scope": {"widget": "textarea", "help": "按国民经济行业分类填写"},
                "area": {"visible_when": {"properties": {"industry": {"const": "餐饮"}}}},
            },
        },
        "materials": [{"id": m, "name": name, "accept": ["pdf", "jpg", "png"]}
                      for m, name in MATERIALS],
        "steps": steps,
    }
    assert doc["time_limit"] <= 3650, "the synthetic plan is longer than ten years"
    return Synthetic(doc, edges, [s["id"] for s in steps])


def _finished_ancestor_output(sid: str, rng: random.Random, finish_needs: dict[str, list[str]],
                              all_needs: dict[str, list[str]], outputs: dict[str, str]
                              ) -> str | None:
    """``up.output`` for an ancestor guaranteed to have approved before ``sid`` starts."""
    node = sid
    for _ in range(6):  # walk back through any needs, then cross one finish edge
        done = [u for u in finish_needs[node] if u in outputs]
        if done:
            up = rng.choice(done)
            return f"{up}.{outputs[up]}"
        if not all_needs[node]:
            return None
        node = rng.choice(all_needs[node])
    return None


def write_catalog(folder: Path, matter: dict[str, Any]) -> None:
    """The catalog folder a user would keep: departments, centre, one matter file."""
    def dump(path: Path, doc: Any) -> None:
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    (folder / "matters").mkdir(parents=True, exist_ok=True)
    dump(folder / "departments.yaml",
         {"departments": [{"id": d, "name": name} for d, name in DEPARTMENTS]})
    dump(folder / "centre.yaml", {"name": "基准市政务服务中心", "case_prefix": "BM",
                                  "lights": {"yellow_days": 1, "yellow_fraction": 0.2}})
    dump(folder / "matters" / f"{matter['id']}.yaml", matter)


# -- the timed work ---------------------------------------------------------------------


def parse(folder: Path) -> Loaded:
    """(a) YAML with positions: not part of onewindow's time X."""
    return parse_folder(folder)


def check(parsed: Loaded) -> Loaded:
    """(b) Meta-schemas and every semantic check (which compiles and plans the matter)."""
    loaded = check_sources(parsed)
    errors = [p for p in loaded.problems if p.is_error]
    if errors:
        raise SystemExit("the synthetic catalog has errors:\n" + "\n".join(map(str, errors[:10])))
    return loaded


def load_and_plan(loaded: Loaded, matter_id: str) -> Plan:
    """(c) The catalog from the checked result, and the matter's plan, as ``onewindow plan``."""
    return make_plan(catalog_of(loaded).matter(matter_id))


def forget_schemas() -> None:
    """Drop the memo of judged user schemas, so that a repeat does all the work again."""
    _schema_errors.cache_clear()


def bare_networkx(nodes: list[str], edges: list[tuple[str, str, float]]) -> int:
    """What the graph work alone costs: build, generations, weighted longest path."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_weighted_edges_from(edges, weight="days")
    generations = list(nx.topological_generations(graph))
    path = nx.dag_longest_path(graph, weight="days")
    return len(generations) + len(path)


@dataclass
class Row:
    """One line of the table: the best time of each part over the repeats."""

    steps: int
    edges: int
    parse_s: float
    check_s: float
    load_s: float
    gc_s: float
    onewindow_s: float  # check + load+plan + gc, in the same repeat
    networkx_s: float

    @property
    def ratio(self) -> float:
        return self.onewindow_s / self.networkx_s

    @property
    def total_s(self) -> float:
        return self.parse_s + self.onewindow_s


def sig3(x: float) -> str:
    """``x`` with three significant digits, never in exponent form."""
    if x == 0:
        return "0"
    return f"{x:.{max(0, 2 - math.floor(math.log10(abs(x))))}f}"


def measure(n: int, repeats: int, root: Path, seed: int) -> tuple[Row, Path]:
    """Generate, write and time one matter size."""
    synthetic = make_matter(n, random.Random(seed + n))
    folder = root / f"catalog-{n}"
    write_catalog(folder, synthetic.doc)
    best: dict[str, float] = {}
    for _ in range(repeats):
        forget_schemas()
        gc.collect()  # start clean: no repeat pays for another's garbage
        t0 = time.perf_counter()
        parsed = parse(folder)
        gc.collect(1)  # reading paused the collector too: what it put off is reading's cost
        t1 = time.perf_counter()
        loaded = check(parsed)
        t2 = time.perf_counter()
        plan = load_and_plan(loaded, synthetic.doc["id"])
        t3 = time.perf_counter()
        gc.collect(1)  # and the one checking put off is onewindow's
        t4 = time.perf_counter()
        bare_networkx(synthetic.nodes, synthetic.edges)
        t5 = time.perf_counter()
        assert len(plan.steps) == n
        for part, seconds in (("parse", t1 - t0), ("check", t2 - t1), ("load", t3 - t2),
                              ("gc", t4 - t3), ("onewindow", t4 - t1), ("networkx", t5 - t4)):
            best[part] = min(best.get(part, math.inf), seconds)
        del parsed, loaded, plan
    return Row(n, len(synthetic.edges), best["parse"], best["check"], best["load"], best["gc"],
               best["onewindow"], best["networkx"]), folder


def profile_line(folder: Path, matter_id: str, top: int = 8) -> str:
    """Where onewindow's time X goes: its top functions by cumulative time."""
    parsed = parse(folder)
    forget_schemas()
    profiler = cProfile.Profile()
    profiler.enable()
    load_and_plan(check(parsed), matter_id)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, func), (_cc, _nc, _tt, cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if Path(file).parent.name == "builder":  # onewindow's own functions, not libraries'
            rows.append((cum, f"{Path(file).name}:{line}({func})"))
    rows.sort(reverse=True)
    total: float = stats.total_tt  # type: ignore[attr-defined]
    return (f"profile {total:.2f} s (cumulative, profiler on): "
            + "; ".join(f"{name} {cum:.2f}" for cum, name in rows[:top]))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table and the summary lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 10,000 steps, 3 times")
    parser.add_argument("--profile", action="store_true", help="cProfile the 10,000-step run")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    sizes = (10_000,) if args.quick else SIZES
    rows: list[Row] = []
    print("onewindow = check + load+plan + gc, after the YAML is parsed; total = yaml-parse + "
          "onewindow")
    print(f"{'steps':>6} {'edges':>6} {'yaml-parse s':>12} {'check s':>8} {'load+plan s':>11} "
          f"{'gc s':>6} {'onewindow s':>11} {'networkx s':>10} {'ratio':>6} {'total s':>8} "
          f"{'total ratio':>11}")
    with tempfile.TemporaryDirectory(prefix="onewindow-bench-") as tmp:
        folder = Path(tmp)
        for n in sizes:
            row, folder = measure(n, REPEATS[n], Path(tmp), args.seed)
            rows.append(row)
            print(f"{row.steps:>6} {row.edges:>6} {row.parse_s:>12.4f} {row.check_s:>8.4f} "
                  f"{row.load_s:>11.4f} {row.gc_s:>6.4f} {row.onewindow_s:>11.4f} "
                  f"{row.networkx_s:>10.4f} "
                  f"{row.ratio:>6.1f} {row.total_s:>8.4f} "
                  f"{row.total_s / row.networkx_s:>11.1f}", flush=True)
        if args.profile:
            print(profile_line(folder, f"bench-{sizes[-1]}"))
    last = rows[-1]
    print(f"yaml: {last.steps} steps parse {sig3(last.parse_s)} s (not in X); total including "
          f"it {sig3(last.total_s)} s, ratio {last.total_s / last.networkx_s:.1f}")
    print(f"plan: {last.steps} steps {sig3(last.onewindow_s)} s, networkx "
          f"{sig3(last.networkx_s)} s, ratio {last.ratio:.1f}")


if __name__ == "__main__":
    main()
