"""One renderer: the engine's structured problems and refusals in Chinese, with titles.

The engine explains a refusal with a JSON pointer, a keyword and parameters (and an
English sentence for developers). Services translate every `EngineError` here into a
`ServiceError` whose message and details people read: pages, the CLI and the API alike.
Field, material and step **titles** appear, never ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from builder import MatterSpec
from runtime.engine import (
    EngineError,
    NotPermitted,
    SpecMismatch,
    TransitionNotAllowed,
    UnknownTask,
    ValidationFailed,
)
from runtime.engine.vocabulary import (
    CASE_ACTION_LABELS,
    TASK_ACTION_LABELS,
    case_label,
    task_label,
)
from runtime.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

ARGUMENTS = {
    "/reason": "理由", "/opinion": "意见", "/note": "说明", "/to_user": "转办对象",
    "/number": "受理编号", "/file_ids": "文件", "/items": "补正内容", "/applicant": "申请人",
    "/material": "材料", "/reply": "答复意见",
}
REQUIRED_ARGUMENT = {
    "/reason": "请填写理由", "/opinion": "请填写意见", "/note": "请填写说明",
    "/to_user": "请选择转办给谁", "/number": "缺少受理编号", "/file_ids": "请至少上传一个文件",
    "/items": "请至少列出一项补正内容", "/applicant": "请指定申请人",
}


class Titles:
    """Titles of a matter's fields, materials and steps, for messages people read."""

    def __init__(self, matter: MatterSpec | None, form: Mapping[str, Any] | None = None) -> None:
        self.matter = matter
        self.form = form if form is not None else (matter.form if matter else {})

    def field(self, pointer: str) -> str:
        """The title of the form field at a JSON pointer (nested titles joined by ·)."""
        schema: Any = self.form
        names: list[str] = []
        for part in [p for p in pointer.split("/") if p]:
            if not isinstance(schema, Mapping):
                break
            if schema.get("type") == "array" or "items" in schema:
                schema = schema.get("items", {})
                if part.isdigit():
                    names.append(f"第 {int(part) + 1} 项")
                    continue
            props = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
            schema = props.get(part, {})
            title = schema.get("title") if isinstance(schema, Mapping) else None
            names.append(str(title or part))
        return "·".join(names) or "申请信息"

    def material(self, material_id: str) -> str:
        """A material's name."""
        if self.matter:
            for material in self.matter.materials:
                if material.id == material_id:
                    return material.name
        return material_id

    def step(self, step_id: str) -> str:
        """A step's name."""
        if self.matter:
            for step in self.matter.steps:
                if step.id == step_id:
                    return step.name
        return step_id


def _material_of(detail: Mapping[str, Any]) -> str | None:
    if "material" in detail:
        return str(detail["material"])
    pointer = str(detail.get("pointer") or "")
    if pointer.startswith("/materials/"):
        return pointer.removeprefix("/materials/")
    return None


def explain(detail: Mapping[str, Any], titles: Titles) -> str:
    """One engine detail in Chinese, naming the field or material by its title."""
    pointer = str(detail.get("pointer") or "")
    keyword = str(detail.get("keyword") or "")
    material = _material_of(detail)
    subject = f"“{titles.material(material)}”" if material else None
    if subject is None and pointer in ARGUMENTS:
        subject = f"“{ARGUMENTS[pointer]}”"
    elif subject is None and pointer and not pointer.startswith(("/items", "/deferred")):
        subject = f"“{titles.field(pointer)}”"
    if keyword == "required":
        if pointer in REQUIRED_ARGUMENT:
            return REQUIRED_ARGUMENT[pointer]
        if pointer.startswith("/items/") and pointer.endswith("/reason"):
            return "每一项补正内容都要写明原因"
        return f"请提交材料{subject}" if material else f"请填写{subject or '必填内容'}"
    texts = {
        "supplement": f"{subject}不在补正通知中，不能修改",
        "answered": f"补正通知要求重新提交{subject}" if material else
                    f"补正通知要求填写{subject}",
        "deferrable": "该材料不允许容缺受理", "applicable": "本案不需要该材料",
        "supplied": "该材料已经提交，无需容缺", "uniqueItems": "重复列出",
        "form": "本环节不需要填写办理结果", "additionalProperties": f"{subject}不是表单中的内容",
        "deferred": "该材料不在待补交的容缺材料中",
        "original": "该材料无需核验原件", "not_supplied": "该材料尚未提交，无法核验原件",
        "checked": "该材料的原件已经核验登记，无需重复登记",
        "type": f"{subject or '内容'}的类型不正确",
    }
    if keyword in texts:
        return texts[keyword]
    if pointer == "/reply":
        return "请从本环节的答复意见中选择"
    zh = detail.get("message_zh")
    if zh:
        return f"{subject}：{zh}" if subject else str(zh)
    return f"{subject}：{detail.get('message', '')}" if subject else str(detail.get("message", ""))


def details(problems: Sequence[Mapping[str, Any]], titles: Titles) -> list[dict[str, Any]]:
    """Engine details as service details: pointer, Chinese message, keyword."""
    out = []
    for d in problems:
        material = _material_of(d)
        pointer = f"/materials/{material}" if material else str(d.get("pointer") or "")
        out.append({"pointer": pointer, "message": explain(d, titles),
                    "keyword": d.get("keyword", "")})
    return out


def refusal(exc: TransitionNotAllowed) -> str:
    """Why the current state does not allow the action, in Chinese."""
    reason = exc.reason or ""
    if reason.startswith("deferred materials not supplied"):
        return "容缺受理的材料尚未补齐，补齐后才能出件"
    if reason == "no deferred material is awaited":
        return "没有待补交的容缺材料"
    labels = TASK_ACTION_LABELS if exc.entity == "task" else CASE_ACTION_LABELS
    state = task_label(exc.state) if exc.entity == "task" else case_label(exc.state)
    return f"当前状态（{state}）不允许“{labels.get(exc.action, exc.action)}”"


def translate(exc: EngineError, matter: MatterSpec | None,
              form: Mapping[str, Any] | None = None) -> ServiceError:
    """The service error for an engine error; ``form`` is the schema the data was checked
    against when it is not the matter's (a step's form, for an approval)."""
    titles = Titles(matter, form)
    if isinstance(exc, ValidationFailed):
        found = details(exc.details, titles)
        return Invalid("提交的内容有误：" + "；".join(d["message"] for d in found), found)
    if isinstance(exc, TransitionNotAllowed):
        return Conflict(refusal(exc))
    if isinstance(exc, NotPermitted):
        return Forbidden("无权进行此操作")
    if isinstance(exc, UnknownTask):
        return NotFound("没有这个任务")
    if isinstance(exc, SpecMismatch):
        return Conflict("事项版本不一致，请刷新后重试")
    return Invalid(str(exc))


@contextmanager
def engine_errors(matter: MatterSpec | None,
                  form: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Run engine code; its errors come out as service errors people can read."""
    try:
        yield
    except EngineError as exc:
        raise translate(exc, matter, form) from exc
