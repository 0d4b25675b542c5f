"""A matter as a BPMN 2.0 diagram, for bpmn.io / Camunda Modeler and process reviewers.

One pool (the matter) with a lane per department: the lead department's window receives
and delivers, a user task per department and step, parallel gateways for the ``needs``
graph (a fork where a step feeds several, a join where a step waits for several). A
fan-out step becomes one task per department between a split and a merge gateway — a
parallel merge for 会签 (``join: all``), a complex merge for 或签 (``join: any``) — so
every task sits in the lane of the department that works it, as in the runtime. Staged
edges are flows named 初审后启动; conditions (``when``) are documentation, never an
expression. Laid out as the plan picture: stages in columns, departments in rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from builder.guided import describe_condition
from builder.plan import make_plan
from builder.spec import At, Join, MatterSpec, OnTimeout, Step

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
STAGED = "初审后启动"

POOL_LABEL, LANE_LABEL, PAD, TOP = 30, 30, 30, 20
TASK_W, TASK_H, GATEWAY, EVENT = 120, 80, 50, 36
ROW_H, GATEWAY_SLOT, TASK_SLOT, EVENT_SLOT = 110, 90, 170, 90
SLOTS = ("join", "split", "task", "merge", "fork")


@dataclass
class _Node:
    id: str
    kind: str  # startEvent, endEvent, userTask, parallelGateway, complexGateway
    lane: str
    col: int
    slot: str  # one of SLOTS, or "event"
    row: int
    name: str = ""
    doc: str = ""
    direction: str = ""  # Diverging / Converging for gateways
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    name: str = ""
    doc: str = ""


@dataclass
class _Graph:
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)

    def add(self, node: _Node) -> str:
        self.nodes[node.id] = node
        return node.id

    def connect(self, source: str, target: str, name: str = "", doc: str = "") -> None:
        flow = _Flow(f"Flow_{len(self.flows) + 1}", source, target, name, doc)
        self.flows.append(flow)
        self.nodes[source].outgoing.append(flow.id)
        self.nodes[target].incoming.append(flow.id)


def _edges(matter: MatterSpec) -> dict[tuple[str, str], At]:
    """Effective edges: needing a step at both moments waits for its finish."""
    ids = {s.id for s in matter.steps}
    edges: dict[tuple[str, str], At] = {}
    for step in matter.steps:
        for need in step.needs:
            if need.step in ids and need.step != step.id and (
                    need.at is At.FINISH or (need.step, step.id) not in edges):
                edges[need.step, step.id] = need.at
    return edges


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _days(value: float | int) -> str:
    return str(int(value) if isinstance(value, float) and value.is_integer() else value)


def _task_doc(matter: MatterSpec, step: Step, dept: str, names: Mapping[str, str],
              titles: Mapping[str, str]) -> str:
    lines = [f"环节：{step.name}（{step.id}）", f"办理部门：{names.get(dept, dept)}",
             f"时限：{_days(step.days)} 个工作日"]
    if len(step.departments) > 1:
        how = "会签：全部部门同意后办结" if step.join is Join.ALL else "或签：任一部门同意即办结"
        lines.append(f"多部门同时办理（{len(step.departments)} 个部门，{how}）")
    if step.preliminary_days is not None:
        lines.append(f"初审意见：受理后 {_days(step.preliminary_days)} 个工作日内出具")
    if step.when is not None:
        lines.append(f"办理条件：{describe_condition(step.when, titles)}"
                     "；不满足时本环节跳过，后续环节不再等待")
    materials = {m.id: m.name for m in matter.materials}
    reads = [f"{_label(matter, up)} · {_output_title(matter, up, out)}"
             for up, _, out in (r.partition(".") for r in step.reads)]
    for label, items in (("审查材料", [materials.get(m, m) for m in step.materials]),
                         ("读取上游结果", reads),
                         ("办理结果", [_output_title(matter, step.id, o) for o in step.outputs]),
                         ("回复意见选项", list(step.reply_options))):
        if items:
            lines.append(f"{label}：{'、'.join(items)}")
    if step.certificate is not None:
        lines.append(f"证照：{step.certificate.name}")
    if step.on_timeout is OnTimeout.CONSENT:
        lines.append("超时默许：逾期未答复视为同意")
    if step.note:
        lines.append(f"说明：{step.note}")
    return "\n".join(lines)


def _label(matter: MatterSpec, step_id: str) -> str:
    return next((s.name for s in matter.steps if s.id == step_id), step_id)


def _output_title(matter: MatterSpec, step_id: str, output: str) -> str:
    for s in matter.steps:
        props = s.form.get("properties", {}) if s.id == step_id and s.form else {}
        schema = props.get(output) if isinstance(props, Mapping) else None
        if isinstance(schema, Mapping) and isinstance(schema.get("title"), str):
            return str(schema["title"])
    return output


def _build(matter: MatterSpec, names: Mapping[str, str]) -> tuple[_Graph, list[str]]:
    """The flow nodes and flows, each node placed in a column, lane and row."""
    stages = make_plan(matter).stages
    edges = _edges(matter)
    by_id = {s.id: s for s in matter.steps}
    preds = {s.id: [(u, at) for (u, v), at in edges.items() if v == s.id] for s in matter.steps}
    succs = {s.id: [v for (u, v) in edges if u == s.id] for s in matter.steps}
    lanes = list(dict.fromkeys([matter.lead, *(d for s in matter.steps for d in s.departments)]))
    props = matter.form.get("properties", {})
    titles = {k: v.get("title", k) for k, v in props.items() if isinstance(v, Mapping)}
    g = _Graph()
    last = len(stages) + 1
    start = g.add(_Node("StartEvent_accept", "startEvent", matter.lead, 0, "event", 0,
                        "一窗受理", f"{names.get(matter.lead, matter.lead)}综合窗口受理申请"))
    end = g.add(_Node("EndEvent_deliver", "endEvent", matter.lead, last, "event", 0,
                      "一窗出件", "牵头部门综合窗口统一送达办理结果和证照"))
    entry: dict[str, str] = {}  # where a step's incoming flow arrives
    exit_: dict[str, str] = {}  # where its outgoing flow leaves
    for col, stage in enumerate(stages, start=1):
        rows: dict[str, int] = {}
        for step_id in stage:
            step = by_id[step_id]
            anchor = (step.departments[0], rows.get(step.departments[0], 0))
            tasks = []
            for dept in step.departments:
                row = rows.get(dept, 0)
                rows[dept] = row + 1
                fan = len(step.departments) > 1
                tasks.append(g.add(_Node(
                    _slug(f"Task_{step.id}__{dept}" if fan else f"Task_{step.id}"), "userTask",
                    dept, col, "task", row, step.name,
                    _task_doc(matter, step, dept, names, titles))))
            entry[step_id] = exit_[step_id] = tasks[0]
            if len(tasks) > 1:
                split = g.add(_Node(_slug(f"Gateway_split_{step.id}"), "parallelGateway",
                                    *_at(anchor, col, "split"), direction="Diverging",
                                    doc=f"「{step.name}」分送各部门同时办理"))
                merge = g.add(_Node(
                    _slug(f"Gateway_merge_{step.id}"),
                    "parallelGateway" if step.join is Join.ALL else "complexGateway",
                    *_at(anchor, col, "merge"), direction="Converging",
                    doc="会签：全部部门同意后办结" if step.join is Join.ALL
                    else "或签：任一部门同意即办结，其余任务取消"))
                for task in tasks:
                    g.connect(split, task)
                    g.connect(task, merge)
                entry[step_id], exit_[step_id] = split, merge
            if len(preds[step_id]) > 1:
                join = g.add(_Node(_slug(f"Gateway_join_{step.id}"), "parallelGateway",
                                   *_at(anchor, col, "join"), direction="Converging",
                                   doc=f"「{step.name}」等待所需环节全部就绪后开始"))
                g.connect(join, entry[step_id])
                entry[step_id] = join
            if len(succs[step_id]) > 1:
                fork = g.add(_Node(_slug(f"Gateway_fork_{step.id}"), "parallelGateway",
                                   *_at(anchor, col, "fork"), direction="Diverging",
                                   doc=f"「{step.name}」办结后并行启动后续环节"))
                g.connect(exit_[step_id], fork)
                exit_[step_id] = fork
    firsts = [s.id for s in matter.steps if not preds[s.id]]
    lasts = [s.id for s in matter.steps if not succs[s.id]]
    source = start
    if len(firsts) > 1:
        source = g.add(_Node("Gateway_fork_start", "parallelGateway", matter.lead, 0, "fork", 0,
                             direction="Diverging", doc="受理后并行启动以下环节"))
        g.connect(start, source)
    for step_id in firsts:
        g.connect(source, entry[step_id])
    for (u, v), at in edges.items():
        staged = at is At.PRELIMINARY
        prelim = by_id[u].preliminary_days
        g.connect(exit_[u], entry[v], STAGED if staged else "", (
            f"分段并联：「{by_id[v].name}」在「{by_id[u].name}」出具初审意见（受理后 "
            f"{_days(prelim or 0)} 个工作日内）后即可启动，无须等待其办结") if staged else "")
    target = end
    if len(lasts) > 1:
        target = g.add(_Node("Gateway_join_end", "parallelGateway", matter.lead, last, "join", 0,
                             direction="Converging", doc="全部环节办结后统一出件"))
        g.connect(target, end)
    for step_id in lasts:
        g.connect(exit_[step_id], target)
    return g, lanes


def _at(anchor: tuple[str, int], col: int, slot: str) -> tuple[str, int, str, int]:
    """(lane, column, slot, row) of a step's gateway: beside its first department's task."""
    return anchor[0], col, slot, anchor[1]


# -- layout ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _layout(g: _Graph, lanes: list[str]) -> tuple[dict[str, _Box], dict[str, _Box], _Box]:
    """Boxes of every node and lane, and of the pool."""
    rows = {lane: 1 + max([n.row for n in g.nodes.values() if n.lane == lane], default=0)
            for lane in lanes}
    lane_boxes: dict[str, _Box] = {}
    y = TOP
    x0 = PAD + POOL_LABEL
    columns = 1 + max(n.col for n in g.nodes.values())
    widths: dict[tuple[int, str], int] = {}
    for n in g.nodes.values():
        size = {"task": TASK_SLOT, "event": EVENT_SLOT}.get(n.slot, GATEWAY_SLOT)
        widths[n.col, n.slot] = size
    col_x: dict[tuple[int, str], float] = {}
    x = float(x0 + LANE_LABEL + PAD)
    for col in range(columns):
        for slot in ("event", "fork") if col == 0 else (
                ("join", "event") if col == columns - 1 else SLOTS):
            if (col, slot) in widths:
                col_x[col, slot] = x
                x += widths[col, slot]
    width = x - x0 + PAD
    for lane in lanes:
        height = rows[lane] * ROW_H + 20
        lane_boxes[lane] = _Box(x0, y, width, height)
        y += height
    boxes: dict[str, _Box] = {}
    for n in g.nodes.values():
        cy = lane_boxes[n.lane].y + 10 + n.row * ROW_H + ROW_H / 2
        w, h = {"task": (TASK_W, TASK_H), "event": (EVENT, EVENT)}.get(n.slot, (GATEWAY, GATEWAY))
        boxes[n.id] = _Box(col_x[n.col, n.slot], cy - h / 2, w, h)
    pool = _Box(PAD, TOP, width + POOL_LABEL, y - TOP)
    return boxes, lane_boxes, pool


def _waypoints(source: _Box, target: _Box, source_gateway: bool,
               target_gateway: bool) -> list[tuple[float, float]]:
    """Orthogonal route: out of a fork's top or bottom, into a join's top or bottom."""
    if abs(source.cy - target.cy) < 1:
        return [(source.x + source.w, source.cy), (target.x, target.cy)]
    down = target.cy > source.cy
    if source_gateway:
        return [(source.cx, source.y + source.h if down else source.y), (source.cx, target.cy),
                (target.x, target.cy)]
    if target_gateway:
        return [(source.x + source.w, source.cy), (target.cx, source.cy),
                (target.cx, target.y if down else target.y + target.h)]
    middle = target.x - 25
    return [(source.x + source.w, source.cy), (middle, source.cy), (middle, target.cy),
            (target.x, target.cy)]


# -- XML ------------------------------------------------------------------------------

_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    return escape(_INVALID_XML.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_INVALID_XML.sub("", value))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def to_bpmn(matter: MatterSpec, departments: Mapping[str, str]) -> str:
    """BPMN 2.0 XML of ``matter``; ``departments`` maps department ids to their names."""
    g, lanes = _build(matter, departments)
    boxes, lane_boxes, pool = _layout(g, lanes)
    key = _slug(matter.id)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:bpmndi="{BPMNDI}" xmlns:dc="{DC}" '
           f'xmlns:di="{DI}" id="Definitions_{key}" '
           f'targetNamespace={_attr(f"urn:onewindow:matter:{matter.id}")} '
           f'exporter="onewindow" exporterVersion={_attr(str(matter.version))}>',
           f'  <bpmn:collaboration id="Collaboration_{key}">',
           f'    <bpmn:participant id="Participant_{key}" name={_attr(matter.name)} '
           f'processRef="Process_{key}" />',
           "  </bpmn:collaboration>",
           f'  <bpmn:process id="Process_{key}" name={_attr(matter.name)} isExecutable="false">',
           f"    <bpmn:documentation>{_text(_process_doc(matter))}</bpmn:documentation>",
           f'    <bpmn:laneSet id="LaneSet_{key}">']
    for lane in lanes:
        out.append(f'      <bpmn:lane id="{_slug("Lane_" + lane)}" '
                   f"name={_attr(departments.get(lane, lane))}>")
        out += [f"        <bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>"
                for n in g.nodes.values() if n.lane == lane]
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    for n in g.nodes.values():
        attrs = f' name={_attr(n.name)}' if n.name else ""
        attrs += f' gatewayDirection="{n.direction}"' if n.direction else ""
        out.append(f'    <bpmn:{n.kind} id="{n.id}"{attrs}>')
        if n.doc:
            out.append(f"      <bpmn:documentation>{_text(n.doc)}</bpmn:documentation>")
        out += [f"      <bpmn:incoming>{f}</bpmn:incoming>" for f in n.incoming]
        out += [f"      <bpmn:outgoing>{f}</bpmn:outgoing>" for f in n.outgoing]
        out.append(f"    </bpmn:{n.kind}>")
    for f in g.flows:
        name = f" name={_attr(f.name)}" if f.name else ""
        head = f'    <bpmn:sequenceFlow id="{f.id}"{name} sourceRef="{f.source}" ' \
               f'targetRef="{f.target}"'
        out.append(f"{head}>\n      <bpmn:documentation>{_text(f.doc)}</bpmn:documentation>"
                   "\n    </bpmn:sequenceFlow>" if f.doc else f"{head} />")
    out += ["  </bpmn:process>", f'  <bpmndi:BPMNDiagram id="Diagram_{key}">',
            f'    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collaboration_{key}">']
    out.append(_shape(f"Participant_{key}", pool, horizontal=True))
    out += [_shape(_slug("Lane_" + lane), box, horizontal=True)
            for lane, box in lane_boxes.items()]
    out += [_shape(n.id, boxes[n.id]) for n in g.nodes.values()]
    gateways = {n.id for n in g.nodes.values() if n.kind.endswith("Gateway")}
    for f in g.flows:
        points = _waypoints(boxes[f.source], boxes[f.target], f.source in gateways,
                            f.target in gateways)
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
        out += [f'        <di:waypoint x="{_num(x)}" y="{_num(y)}" />' for x, y in points]
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)


def _shape(element: str, box: _Box, *, horizontal: bool = False) -> str:
    flag = ' isHorizontal="true"' if horizontal else ""
    return (f'      <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{flag}>\n'
            f'        <dc:Bounds x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" '
            f'height="{_num(box.h)}" />\n      </bpmndi:BPMNShape>')


def _process_doc(matter: MatterSpec) -> str:
    return (f"{matter.name}（事项编码 {matter.id}，第 {matter.version} 版）\n"
            f"承诺时限 {_days(matter.time_limit)} 个工作日，法定时限 "
            f"{_days(matter.statutory_limit)} 个工作日。由 onewindow 根据事项目录生成。")
