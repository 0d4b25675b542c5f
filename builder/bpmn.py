"""A matter as an executable BPMN 2.0 process, for bpmn.io / Camunda Modeler, process
reviewers and a BPMN engine (tested with SpiffWorkflow 3; see docs/bpmn.md).

One pool (the matter) with a lane per department that leads a step; the lead
department's window receives and delivers. Each step is one user task; a fan-out step
(several departments) is a parallel multi-instance task over its departments — 会签
(``join: all``) waits for every instance, 或签 (``join: any``) completes on the first
approval. A step that releases others early (``needs: … at: preliminary``) runs an 初审意见
task beside its decision task, and the staged flows (named 初审后启动) leave the opinion.
A conditional step (``when``) sits behind an exclusive gateway whose condition is the
JSON Schema translated to Python over the process variable ``applicant``; its default
flow skips the step, so what needed it waits for what it needed, as in the plan.
Parallel gateways realise the ``needs`` graph. Laid out as the plan picture: stages in
columns, lanes in rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from builder.bpmn_conditions import condition_expression
from builder.guided import describe_condition
from builder.plan import make_plan
from builder.spec import At, Join, MatterSpec, OnTimeout, Step

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
STAGED = "初审后启动"
SKIPPED = "不适用，跳过"
APPROVED = "approved"  # the variable a completed user task sets: True when approved

POOL_LABEL, LANE_LABEL, PAD, TOP = 30, 30, 30, 20
TASK_W, TASK_H, GATEWAY, EVENT = 120, 80, 50, 36
ROW_H, GATEWAY_SLOT, TASK_SLOT, EVENT_SLOT = 110, 90, 170, 90
SLOTS = ("join", "cond", "split", "task", "merge", "out", "fork")
WIDE = {"task": TASK_SLOT, "script": TASK_SLOT, "event": EVENT_SLOT}
SIZE = {"task": (TASK_W, TASK_H), "script": (TASK_W, TASK_H), "event": (EVENT, EVENT)}


@dataclass
class _Node:
    id: str
    kind: str  # startEvent, endEvent, userTask, scriptTask, parallelGateway, exclusiveGateway
    lane: str
    col: int
    slot: str  # one of SLOTS, or "event" / "script"
    row: int
    name: str = ""
    doc: str = ""
    direction: str = ""  # Diverging / Converging for gateways
    body: list[str] = field(default_factory=list)  # XML after incoming/outgoing
    default: str = ""  # an exclusive gateway's default flow
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)


@dataclass
class _Flow:
    id: str
    source: str
    target: str
    name: str = ""
    doc: str = ""
    condition: str = ""  # a Python expression (SpiffWorkflow's script engine)


@dataclass
class _Graph:
    nodes: dict[str, _Node] = field(default_factory=dict)
    flows: list[_Flow] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # data objects: the departments lists

    def add(self, node: _Node) -> str:
        self.nodes[node.id] = node
        return node.id

    def connect(self, source: str, target: str, name: str = "", doc: str = "",
                condition: str = "") -> str:
        flow = _Flow(f"Flow_{len(self.flows) + 1}", source, target, name, doc, condition)
        self.flows.append(flow)
        self.nodes[source].outgoing.append(flow.id)
        self.nodes[target].incoming.append(flow.id)
        return flow.id


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


def _task_doc(matter: MatterSpec, step: Step, names: Mapping[str, str],
              titles: Mapping[str, str]) -> str:
    depts = "、".join(names.get(d, d) for d in step.departments)
    lines = [f"环节：{step.name}（{step.id}）", f"办理部门：{depts}",
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
    lines.append(f"完成任务时写入 {APPROVED}：同意为 True")
    return "\n".join(lines)


def _opinion_doc(step: Step, after: Mapping[tuple[str, At], list[str]],
                 by_id: Mapping[str, Step]) -> str:
    released = "、".join(f"「{by_id[v].name}」" for v in after[step.id, At.PRELIMINARY])
    how = ("" if len(step.departments) == 1 else
           "（会签：全部部门出具后）" if step.join is Join.ALL else "（或签：任一部门出具后）")
    return (f"「{step.name}」的初审意见：受理后 {_days(step.preliminary_days or 0)} 个工作日内"
            f"出具{how}；出具后{released}即可启动（分段并联），本环节的审批决定同时办理")


def _label(matter: MatterSpec, step_id: str) -> str:
    return next((s.name for s in matter.steps if s.id == step_id), step_id)


def _output_title(matter: MatterSpec, step_id: str, output: str) -> str:
    for s in matter.steps:
        props = s.form.get("properties", {}) if s.id == step_id and s.form else {}
        schema = props.get(output) if isinstance(props, Mapping) else None
        if isinstance(schema, Mapping) and isinstance(schema.get("title"), str):
            return str(schema["title"])
    return output


def _ident(step: Step, taken: set[str]) -> str:
    """A Python identifier (and XML name) unique in the export, from the step id."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", step.id)
    ident, n = base, 1
    while ident in taken:
        n += 1
        ident = f"{base}_{n}"
    taken.add(ident)
    return ident


def _multi(step: Step, ident: str, variable: str, *, preliminary: bool) -> list[str]:
    """The multi-instance loop over the step's departments: 会签 waits for every instance,
    或签 completes on the first approval (on the first opinion for a preliminary task)."""
    lines = ["<bpmn:multiInstanceLoopCharacteristics>",
             f"  <bpmn:loopDataInputRef>departments_{ident}</bpmn:loopDataInputRef>",
             f'  <bpmn:inputDataItem id="{variable}" name="办理部门" />']
    if step.join is Join.ANY:
        lines.append('  <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">'
                     f'{"True" if preliminary else APPROVED}</bpmn:completionCondition>')
    return [*lines, "</bpmn:multiInstanceLoopCharacteristics>"]


def _build(matter: MatterSpec, names: Mapping[str, str]) -> tuple[_Graph, list[str]]:
    """The flow nodes and flows, each node placed in a column, lane and row."""
    stages = make_plan(matter).stages
    edges = _edges(matter)
    by_id = {s.id: s for s in matter.steps}
    preds = {s.id: [u for (u, v) in edges if v == s.id] for s in matter.steps}
    after: dict[tuple[str, At], list[str]] = {}
    for (u, v), at in edges.items():
        after.setdefault((u, at), []).append(v)
    props = matter.form.get("properties", {})
    titles = {k: v.get("title", k) for k, v in props.items() if isinstance(v, Mapping)}
    g = _Graph()
    last = len(stages) + 1
    start = g.add(_Node("StartEvent_accept", "startEvent", matter.lead, 0, "event", 0,
                        "一窗受理", f"{names.get(matter.lead, matter.lead)}综合窗口受理申请"
                        "；流程数据 applicant 为申请表数据"))
    end = g.add(_Node("EndEvent_deliver", "endEvent", matter.lead, last, "event", 0,
                      "一窗出件", "牵头部门综合窗口统一送达办理结果和证照"))
    taken: set[str] = set()
    idents = {s.id: _ident(s, taken) for s in matter.steps}
    fans = [s for s in matter.steps if len(s.departments) > 1]
    source = start
    if fans:
        script = "\n".join(f"departments_{idents[s.id]} = {list(s.departments)!r}" for s in fans)
        source = g.add(_Node("ScriptTask_departments", "scriptTask", matter.lead, 0, "script", 0,
                             "分送办理部门", "多部门环节（会签、或签）各自的办理部门",
                             body=[f"<bpmn:script>{_text(script)}</bpmn:script>"]))
        g.connect(start, source)
        g.data += [f"departments_{idents[s.id]}" for s in fans]
    entry: dict[str, str] = {}  # where a step's incoming flows arrive
    port: dict[tuple[str, At], str] = {}  # where its finish / preliminary flows leave
    lanes = list(dict.fromkeys([matter.lead, *(s.departments[0] for s in matter.steps)]))
    for col, stage in enumerate(stages, start=1):
        rows: dict[str, int] = {}
        for step_id in stage:
            step, ident = by_id[step_id], idents[step_id]
            staged = (step_id, At.PRELIMINARY) in after
            lane = step.departments[0]
            row = rows.get(lane, 0)
            rows[lane] = row + 1 + staged + (step.when is not None)
            done_row, skip_row = row + staged, row + staged + 1

            def put(kind: str, key: str, slot: str, at_row: int, *, where: tuple[str, str, int]
                    = (step_id, lane, col), **kw: Any) -> str:
                return g.add(_Node(_slug(f"{key}_{where[0]}"), kind, where[1], where[2], slot,
                                   at_row, **kw))

            fan = len(step.departments) > 1
            how = ("（会签）" if step.join is Join.ALL else "（或签）") if fan else ""
            decide = put("userTask", "Task", "task", done_row, name=step.name + how,
                         doc=_task_doc(matter, step, names, titles),
                         body=_multi(step, ident, f"department_{ident}", preliminary=False)
                         if fan else [])
            head = port[step_id, At.FINISH] = decide
            if staged:
                head = put("parallelGateway", "Gateway_split", "split", row,
                           direction="Diverging", doc="初审意见与审批决定同时办理")
                opinion = g.add(_Node(
                    _slug(f"Task_{step_id}__preliminary"), "userTask", lane, col, "task", row,
                    f"{step.name}·初审意见{how}", _opinion_doc(step, after, by_id),
                    body=_multi(step, ident, f"preliminary_department_{ident}",
                                preliminary=True) if fan else []))
                g.connect(head, opinion)
                g.connect(head, decide)
                port[step_id, At.PRELIMINARY] = opinion
            if step.when is not None:
                gate = put("exclusiveGateway", "Gateway_when", "cond", row,
                           direction="Diverging",
                           doc=f"办理条件：{describe_condition(step.when, titles)}"
                               "；不满足时本环节跳过，后续环节不再等待")
                g.connect(gate, head, "适用", condition=condition_expression(step.when))
                skip = gate
                if staged:
                    skip = put("parallelGateway", "Gateway_skip", "merge", skip_row,
                               direction="Diverging", doc="本环节跳过：后续环节照常启动")
                    g.nodes[gate].default = g.connect(gate, skip, SKIPPED)
                for at, at_row, key in ((At.PRELIMINARY, row, "Gateway_preliminary"),
                                        (At.FINISH, done_row if staged else skip_row,
                                         "Gateway_done")):
                    if (step_id, at) in port:
                        merge = put("exclusiveGateway", key, "out", at_row,
                                    direction="Converging")
                        g.connect(port[step_id, at], merge)
                        flow = g.connect(skip, merge, "" if staged else SKIPPED)
                        g.nodes[gate].default = g.nodes[gate].default or flow
                        port[step_id, at] = merge
                head = gate
            if len(preds[step_id]) > 1:
                join = put("parallelGateway", "Gateway_join", "join", row,
                           direction="Converging",
                           doc=f"「{step.name}」等待所需环节全部就绪后开始")
                g.connect(join, head)
                head = join
            entry[step_id] = head
    # Every port flows to the steps released by it; a finish nobody waits for, to the end.
    outs: list[tuple[str, list[str], str]] = []
    for (step_id, at), node_id in port.items():
        targets = after.get((step_id, at), [])
        if at is At.FINISH and not targets:
            targets = ["end"]
        outs.append((node_id, targets, step_id))
    to_end = sum(1 for _, targets, _ in outs if targets == ["end"])
    target = end
    if to_end > 1:
        target = g.add(_Node("Gateway_join_end", "parallelGateway", matter.lead, last, "join", 0,
                             direction="Converging", doc="全部环节办结后统一出件"))
        g.connect(target, end)
    firsts = [s.id for s in matter.steps if not preds[s.id]]
    if len(firsts) > 1:
        fork = g.add(_Node("Gateway_fork_start", "parallelGateway", matter.lead, 0, "fork", 0,
                           direction="Diverging", doc="受理后并行启动以下环节"))
        g.connect(source, fork)
        source = fork
    for step_id in firsts:
        g.connect(source, entry[step_id])
    for node_id, targets, step_id in outs:
        staged = node_id == port.get((step_id, At.PRELIMINARY))
        origin = node_id
        if len(targets) > 1:
            n = g.nodes[node_id]
            origin = g.add(_Node(_slug(f"Gateway_fork{'_preliminary' if staged else ''}_"
                                       f"{step_id}"), "parallelGateway", n.lane, n.col, "fork",
                                 n.row, direction="Diverging",
                                 doc=f"「{by_id[step_id].name}」"
                                     f"{'出具初审意见' if staged else '办结'}后并行启动后续环节"))
            g.connect(node_id, origin)
        for v in targets:
            if v == "end":
                g.connect(origin, target)
                continue
            prelim = by_id[step_id].preliminary_days
            g.connect(origin, entry[v], STAGED if staged else "", (
                f"分段并联：「{by_id[v].name}」在「{by_id[step_id].name}」出具初审意见（受理后 "
                f"{_days(prelim or 0)} 个工作日内）后即可启动，无须等待其办结") if staged else "")
    return g, lanes


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
        widths[n.col, n.slot] = WIDE.get(n.slot, GATEWAY_SLOT)
    col_x: dict[tuple[int, str], float] = {}
    x = float(x0 + LANE_LABEL + PAD)
    for col in range(columns):
        for slot in ("event", "script", "fork") if col == 0 else (
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
        w, h = SIZE.get(n.slot, (GATEWAY, GATEWAY))
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
           f'xmlns:di="{DI}" xmlns:xsi="{XSI}" id="Definitions_{key}" '
           f'targetNamespace={_attr(f"urn:onewindow:matter:{matter.id}")} '
           f'exporter="onewindow" exporterVersion={_attr(str(matter.version))}>',
           f'  <bpmn:collaboration id="Collaboration_{key}">',
           f'    <bpmn:participant id="Participant_{key}" name={_attr(matter.name)} '
           f'processRef="Process_{key}" />',
           "  </bpmn:collaboration>",
           f'  <bpmn:process id="Process_{key}" name={_attr(matter.name)} isExecutable="true">',
           f"    <bpmn:documentation>{_text(_process_doc(matter))}</bpmn:documentation>",
           f'    <bpmn:laneSet id="LaneSet_{key}">']
    for lane in lanes:
        out.append(f'      <bpmn:lane id="{_slug("Lane_" + lane)}" '
                   f"name={_attr(departments.get(lane, lane))}>")
        out += [f"        <bpmn:flowNodeRef>{n.id}</bpmn:flowNodeRef>"
                for n in g.nodes.values() if n.lane == lane]
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    out += [f'    <bpmn:dataObject id="{name}" name="{name}" />' for name in g.data]
    for n in g.nodes.values():
        attrs = f' name={_attr(n.name)}' if n.name else ""
        attrs += f' gatewayDirection="{n.direction}"' if n.direction else ""
        attrs += f' default="{n.default}"' if n.default else ""
        attrs += ' scriptFormat="python"' if n.kind == "scriptTask" else ""
        out.append(f'    <bpmn:{n.kind} id="{n.id}"{attrs}>')
        if n.doc:
            out.append(f"      <bpmn:documentation>{_text(n.doc)}</bpmn:documentation>")
        out += [f"      <bpmn:incoming>{f}</bpmn:incoming>" for f in n.incoming]
        out += [f"      <bpmn:outgoing>{f}</bpmn:outgoing>" for f in n.outgoing]
        out += [f"      {line}" for line in n.body]
        out.append(f"    </bpmn:{n.kind}>")
    for f in g.flows:
        name = f" name={_attr(f.name)}" if f.name else ""
        inner = [f"      <bpmn:documentation>{_text(f.doc)}</bpmn:documentation>"] if f.doc else []
        if f.condition:
            inner.append('      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" '
                         f'language="python">{_text(f.condition)}</bpmn:conditionExpression>')
        head = f'    <bpmn:sequenceFlow id="{f.id}"{name} sourceRef="{f.source}" ' \
               f'targetRef="{f.target}"'
        out += [f"{head}>", *inner, "    </bpmn:sequenceFlow>"] if inner else [f"{head} />"]
    out += ["  </bpmn:process>", f'  <bpmndi:BPMNDiagram id="Diagram_{key}">',
            f'    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collaboration_{key}">']
    out.append(_shape(f"Participant_{key}", pool, horizontal=True))
    out += [_shape(_slug("Lane_" + lane), box, horizontal=True)
            for lane, box in lane_boxes.items()]
    out += [_shape(n.id, boxes[n.id], marker=n.kind == "exclusiveGateway")
            for n in g.nodes.values()]
    gateways = {n.id for n in g.nodes.values() if n.kind.endswith("Gateway")}
    # Flows leave a splitting gateway by its top or bottom; a merge passes on to the right.
    splits = {n.id for n in g.nodes.values() if n.id in gateways and len(n.outgoing) > 1}
    for f in g.flows:
        points = _waypoints(boxes[f.source], boxes[f.target], f.source in splits,
                            f.target in gateways)
        out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">')
        out += [f'        <di:waypoint x="{_num(x)}" y="{_num(y)}" />' for x, y in points]
        out.append("      </bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)


def _shape(element: str, box: _Box, *, horizontal: bool = False, marker: bool = False) -> str:
    flag = ' isHorizontal="true"' if horizontal else ""
    flag += ' isMarkerVisible="true"' if marker else ""
    return (f'      <bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{flag}>\n'
            f'        <dc:Bounds x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" '
            f'height="{_num(box.h)}" />\n      </bpmndi:BPMNShape>')


def _process_doc(matter: MatterSpec) -> str:
    return (f"{matter.name}（事项编码 {matter.id}，第 {matter.version} 版）\n"
            f"承诺时限 {_days(matter.time_limit)} 个工作日，法定时限 "
            f"{_days(matter.statutory_limit)} 个工作日。由 onewindow 根据事项目录生成。")
