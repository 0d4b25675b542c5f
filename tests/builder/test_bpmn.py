"""BPMN export: well-formed, every reference resolves, every element drawn, the flow graph
is acyclic and carries every task from the start to the end; lanes hold their nodes."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings

from builder import load_catalog
from builder.bpmn import STAGED, to_bpmn
from builder.spec import Join, MatterSpec, Step
from tests.builder.test_plan_properties import matters

ROOT = Path(__file__).parents[2]
CATALOG = load_catalog(ROOT / "catalog")
DEPARTMENTS = {d.id: d.name for d in CATALOG.departments.values()}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
NODE_KINDS = ("startEvent", "endEvent", "userTask", "scriptTask", "parallelGateway",
              "exclusiveGateway")
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass
class Diagram:
    """What a test needs to know about one exported document."""

    root: ET.Element
    nodes: dict[str, ET.Element]
    flows: dict[str, ET.Element]
    lanes: dict[str, list[str]]
    bounds: dict[str, tuple[float, float, float, float]]
    graph: nx.DiGraph

    def kind(self, node_id: str) -> str:
        return self.nodes[node_id].tag.split("}")[1]

    def of_kind(self, kind: str) -> list[str]:
        return [n for n in self.nodes if self.kind(n) == kind]


def check(xml: str) -> Diagram:
    """Parse and assert every structural rule; return the parsed diagram."""
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == f"{{{NS['bpmn']}}}definitions" and root.get("targetNamespace")
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids)), "ids must be unique"
    (process,) = root.findall("bpmn:process", NS)
    assert process.get("isExecutable") == "true"
    (participant,) = root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == process.get("id")
    nodes = {e.get("id", ""): e for kind in NODE_KINDS for e in process.findall(f"bpmn:{kind}", NS)}
    flows = {e.get("id", ""): e for e in process.findall("bpmn:sequenceFlow", NS)}
    data = {e.get("id", "") for e in process.findall("bpmn:dataObject", NS)}
    # + documentation, laneSet
    assert len(nodes) + len(flows) + len(data) + 2 == len(list(process))
    for loop in process.iter(f"{{{NS['bpmn']}}}multiInstanceLoopCharacteristics"):
        assert loop.findtext("bpmn:loopDataInputRef", namespaces=NS) in data
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for flow_id, flow in flows.items():
        source, target = flow.get("sourceRef", ""), flow.get("targetRef", "")
        assert source in nodes and target in nodes, flow_id
        graph.add_edge(source, target)
        assert flow_id in [e.text for e in nodes[source].findall("bpmn:outgoing", NS)]
        assert flow_id in [e.text for e in nodes[target].findall("bpmn:incoming", NS)]
        # Conditions only leave an exclusive gateway, which then has a default flow.
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None:
            gateway = nodes[source]
            assert gateway.tag.endswith("exclusiveGateway") and condition.text
            assert condition.get(XSI_TYPE) == "bpmn:tFormalExpression"
            assert gateway.get("default") in flows and gateway.get("default") != flow_id
    for node in nodes.values():
        if node.tag.endswith("exclusiveGateway") and node.get("gatewayDirection") == "Diverging":
            assert len([f for f in flows.values() if f.get("sourceRef") == node.get("id")
                        and f.find("bpmn:conditionExpression", NS) is not None]) == 1
    for node_id, node in nodes.items():
        assert len(node.findall("bpmn:incoming", NS)) == graph.in_degree(node_id)
        assert len(node.findall("bpmn:outgoing", NS)) == graph.out_degree(node_id)
    lanes = {lane.get("id", ""): [r.text or "" for r in lane.findall("bpmn:flowNodeRef", NS)]
             for lane in process.findall("bpmn:laneSet/bpmn:lane", NS)}
    in_lanes = sorted(itertools.chain.from_iterable(lanes.values()))
    assert in_lanes == sorted(nodes), "every node in exactly one lane"
    (plane,) = root.findall("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == root.find("bpmn:collaboration", NS).get("id")  # type: ignore[union-attr]
    bounds = {}
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        assert b is not None
        bounds[shape.get("bpmnElement", "")] = tuple(float(b.get(k, "nan"))
                                                   for k in ("x", "y", "width", "height"))
    assert set(bounds) == {*nodes, *lanes, participant.get("id")}, "one shape per element"
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS)
             for e in plane.findall("bpmndi:BPMNEdge", NS)}
    assert set(edges) == set(flows) and all(len(w) >= 2 for w in edges.values())
    # The flow graph: acyclic, one start and one end, every node on a start-to-end path.
    assert nx.is_directed_acyclic_graph(graph)
    (start,) = [n for n in nodes if nodes[n].tag.endswith("startEvent")]
    (end,) = [n for n in nodes if nodes[n].tag.endswith("endEvent")]
    for node_id in nodes:
        assert node_id == start or nx.has_path(graph, start, node_id), node_id
        assert node_id == end or nx.has_path(graph, node_id, end), node_id
    diagram = Diagram(root, nodes, flows, lanes, bounds, graph)  # type: ignore[arg-type]
    _check_layout(diagram, participant.get("id", ""))
    return diagram


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (outer[0] <= inner[0] and inner[0] + inner[2] <= outer[0] + outer[2]
            and outer[1] <= inner[1] and inner[1] + inner[3] <= outer[1] + outer[3])


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _check_layout(d: Diagram, pool: str) -> None:
    """Nodes sit inside their lane, lanes inside the pool; nothing overlaps."""
    for lane, members in d.lanes.items():
        assert _inside(d.bounds[lane], d.bounds[pool])
        for node in members:
            assert _inside(d.bounds[node], d.bounds[lane]), (node, lane)
    for a, b in itertools.combinations([*d.lanes], 2):
        assert not _overlap(d.bounds[a], d.bounds[b])
    for a, b in itertools.combinations([*d.nodes], 2):
        assert not _overlap(d.bounds[a], d.bounds[b]), (a, b)
    # Flows go left to right: stages are columns.
    for flow in d.flows.values():
        source, target = d.bounds[flow.get("sourceRef", "")], d.bounds[flow.get("targetRef", "")]
        assert source[0] < target[0]


def _matter(matter_id: str) -> MatterSpec:
    return CATALOG.matter(matter_id)


def _staged_edges(matter: MatterSpec) -> set[tuple[str, str]]:
    """(upstream, downstream) released by the opinion; needing both ways waits for the finish."""
    edges: dict[tuple[str, str], str] = {}
    for s in matter.steps:
        for n in s.needs:
            if n.at.value == "finish" or (n.step, s.id) not in edges:
                edges[n.step, s.id] = n.at.value
    return {edge for edge, at in edges.items() if at == "preliminary"}


def _user_tasks(matter: MatterSpec) -> int:
    """One decision task per step, and an opinion task per step that releases others early."""
    return len(matter.steps) + len({u for u, _ in _staged_edges(matter)})


@pytest.mark.parametrize("matter_id", sorted(CATALOG.matters))
def test_catalog_matters_export_valid_bpmn(matter_id: str) -> None:
    matter = _matter(matter_id)
    d = check(to_bpmn(matter, DEPARTMENTS))
    tasks = d.of_kind("userTask")
    assert len(tasks) == _user_tasks(matter)
    # A step's tasks sit in the lane of its (first) department.
    lanes = {lane for lane, members in d.lanes.items() if any(t in members for t in tasks)}
    assert lanes == {f"Lane_{s.departments[0]}" for s in matter.steps}
    names = {lane.get("name") for lane in d.root.iter(f"{{{NS['bpmn']}}}lane")}
    assert names == {DEPARTMENTS[s.departments[0]] for s in matter.steps} | {
        DEPARTMENTS[matter.lead]}
    # Each fan-out step is one multi-instance task over its departments.
    fans = {s.id for s in matter.steps if len(s.departments) > 1}
    multi = {t.removeprefix("Task_") for t in tasks
             if d.nodes[t].find("bpmn:multiInstanceLoopCharacteristics", NS) is not None}
    assert {t.removesuffix("__preliminary") for t in multi} == fans
    assert len(d.of_kind("exclusiveGateway")) == 2 * sum(s.when is not None for s in matter.steps)


def test_fork_after_the_licence_and_join_before_the_end() -> None:
    d = check(to_bpmn(_matter("enterprise-establishment"), DEPARTMENTS))
    assert list(d.graph.successors("Task_license")) == ["Gateway_fork_license"]
    assert d.graph.out_degree("Gateway_fork_license") == 5
    assert d.graph.in_degree("Gateway_join_end") == 5
    assert "StartEvent_accept" in d.lanes["Lane_amr"] and "Task_seal" in d.lanes["Lane_psb"]
    seal = d.nodes["Task_seal"].find("bpmn:documentation", NS)
    assert seal is not None and "办理条件：「是否同步刻制印章」为“是”" in (seal.text or "")
    # The seal is conditional: applies -> the task; else the default flow skips it, and
    # both paths meet before the end.
    assert sorted(d.graph.successors("Gateway_when_seal")) == ["Gateway_done_seal", "Task_seal"]
    apply, skip = (d.flows[f.text or ""] for f in d.nodes["Gateway_when_seal"].findall(
        "bpmn:outgoing", NS))
    assert (apply.get("targetRef"), apply.get("name")) == ("Task_seal", "适用")
    assert apply.findtext("bpmn:conditionExpression", namespaces=NS) == (
        "((not type(applicant) is dict or ('needs_seal' not in applicant or "
        "applicant['needs_seal'] is True)) and "
        "(not type(applicant) is dict or 'needs_seal' in applicant))")
    assert d.nodes["Gateway_when_seal"].get("default") == skip.get("id")
    assert skip.get("name") == "不适用，跳过"
    assert list(d.graph.successors("Task_seal")) == ["Gateway_done_seal"]


def test_a_step_that_needs_several_waits_at_a_join() -> None:
    d = check(to_bpmn(_matter("chengdu-domestic-enterprise"), DEPARTMENTS))
    assert sorted(d.graph.predecessors("Gateway_join_ntax")) == ["Gateway_fork_aic",
                                                                 "Gateway_fork_qts"]
    assert list(d.graph.successors("Gateway_join_ntax")) == ["Task_ntax"]
    assert d.kind("Gateway_join_ntax") == "parallelGateway"
    doc = d.nodes["Task_ntax"].find("bpmn:documentation", NS)
    assert doc is not None and "读取上游结果：企业设立登记（核发营业执照） · 营业执照注册号" in (
        doc.text or "")


def test_staged_edges_fan_out_and_consent() -> None:
    matter = _matter("government-investment-project")
    d = check(to_bpmn(matter, DEPARTMENTS))
    staged = [f for f in d.flows.values() if f.get("name") == STAGED]
    assert sorted((f.get("sourceRef"), f.get("targetRef")) for f in staged) == [
        ("Gateway_fork_preliminary_planning-permit", "Gateway_join_drawing-review"),
        ("Gateway_fork_preliminary_planning-permit", "Gateway_when_air-defence")]
    doc = staged[0].find("bpmn:documentation", NS)
    assert doc is not None and "出具初审意见（受理后 5 个工作日内）后即可启动" in (doc.text or "")
    # The opinion and the decision run side by side; only the opinion releases early.
    assert sorted(d.graph.successors("Gateway_split_planning-permit")) == [
        "Task_planning-permit", "Task_planning-permit__preliminary"]
    assert list(d.graph.successors("Task_planning-permit__preliminary")) == [
        "Gateway_fork_preliminary_planning-permit"]
    assert "Gateway_join_construction-permit" in d.graph.successors("Task_planning-permit")
    # A fan-out is one multi-instance task over the step's departments (会签: no condition).
    task = d.nodes["Task_scheme-review"]
    assert task.get("name") == matter.step("scheme-review").name + "（会签）"
    loop = task.find("bpmn:multiInstanceLoopCharacteristics", NS)
    assert loop is not None and loop.find("bpmn:completionCondition", NS) is None
    assert loop.findtext("bpmn:loopDataInputRef", namespaces=NS) == "departments_scheme_review"
    (script,) = [d.nodes[n] for n in d.of_kind("scriptTask")]
    assert "departments_scheme_review = ['fire', 'civil-air-defence', 'water']" in (
        script.findtext("bpmn:script", namespaces=NS) or "")
    assert [lane for lane, members in d.lanes.items() if "Task_scheme-review" in members] == [
        "Lane_fire"]
    doc = task.find("bpmn:documentation", NS)
    assert doc is not None and "超时默许" in (doc.text or "") and "会签" in (doc.text or "")
    names = "、".join(DEPARTMENTS[x] for x in ("fire", "civil-air-defence", "water"))
    assert f"办理部门：{names}" in (doc.text or "")


def test_join_any_completes_on_the_first_approval() -> None:
    matter = _matter("government-investment-project")
    steps = tuple(replace(s, join=Join.ANY) if s.id == "scheme-review" else s
                  for s in matter.steps)
    d = check(to_bpmn(replace(matter, steps=steps), DEPARTMENTS))
    assert not d.of_kind("complexGateway")  # SpiffWorkflow cannot load one

    def completion(task: str) -> str | None:
        return d.nodes[task].findtext(
            "bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", namespaces=NS)

    assert completion("Task_scheme-review") == "approved"
    assert d.nodes["Task_scheme-review"].get("name", "").endswith("（或签）")
    assert completion("Task_joint-acceptance") is None


def test_every_text_is_escaped() -> None:
    nasty = '<审批> & "引号" \'单引号\' ]]> \x01控制\n换行'
    matter = MatterSpec(id="nasty", name=nasty, version=1, lead="amr", time_limit=2,
                        statutory_limit=2, notice="", form={"type": "object"}, ui={},
                        materials=(), steps=(Step("a", nasty, ("amr", "x&y"), 1, note=nasty),))
    xml = to_bpmn(matter, {"amr": nasty, "x&y": "<部门>"})
    d = check(xml)
    task = d.nodes["Task_a"]
    assert task.get("name") == nasty.replace("\x01", "") + "（会签）"
    participant = d.root.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant is not None and participant.get("name") == nasty.replace("\x01", "")
    lane_names = [lane.get("name") for lane in d.root.iter(f"{{{NS['bpmn']}}}lane")]
    assert lane_names == [nasty.replace("\x01", "")]
    script = d.nodes["ScriptTask_departments"].findtext("bpmn:script", namespaces=NS)
    assert script == "departments_a = ['amr', 'x&y']"


@settings(max_examples=150, deadline=None)
@given(matters(max_steps=12))
def test_random_matters_export_valid_bpmn(matter: MatterSpec) -> None:
    d = check(to_bpmn(matter, {}))
    assert len(d.of_kind("userTask")) == _user_tasks(matter)
    staged = sum(1 for f in d.flows.values() if f.get("name") == STAGED)
    assert staged == len(_staged_edges(matter))
