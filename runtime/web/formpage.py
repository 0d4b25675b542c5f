"""The generated applicant form as a page: read a post, store uploads, re-render.

Shared by the applicant's own application and the window's walk-in intake, so the
same form and the same rules serve both (a form that does not link is how data gets
typed twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from runtime import forms
from runtime.services import MatterSpec, ServiceError, User
from runtime.services.files import Upload
from runtime.web.auth import current_user
from runtime.web.door import services_of

LIVE_CONTROLS = ("_action", "_add", "_remove", "_remove_file", "_csrf", "_materials")


@dataclass
class Posted:
    """What one post of the form carried, after uploads were stored."""

    data: dict[str, Any]
    materials: dict[str, list[str]]
    action: str
    errors: list[forms.FieldError] = field(default_factory=list)
    status: int = 200


def uploaded_meta(request: Request, materials: Mapping[str, list[str]]) -> dict[str, list[dict]]:
    """{material_id: [file metadata]} for display."""
    files = services_of(request).files
    out: dict[str, list[dict]] = {}
    for material_id, ids in materials.items():
        metas = [files.meta(file_id) for file_id in ids]
        out[material_id] = [m for m in metas if m is not None]
    return out


def read_post(request: Request, form: FormData, matter: MatterSpec, user: User,
                    materials: Mapping[str, list[str]]) -> Posted:
    """Parse the posted answers, store new uploads, apply row and file removals."""
    services = services_of(request)
    data = forms.parse(matter.form, form.multi_items())
    action = forms.row_action(form)
    if action is not None:
        data = forms.apply_row_action(matter.form, data, action)
    data = forms.prune_hidden(matter.form, matter.ui, data)
    kept = {k: list(v) for k, v in materials.items()}
    removal = form.get("_remove_file")
    if isinstance(removal, str) and ":" in removal:
        material_id, file_id = removal.split(":", 1)
        kept[material_id] = [f for f in kept.get(material_id, []) if f != file_id]
    posted = Posted(data, kept, "row" if action else str(form.get("_action", "save")))
    if removal:
        posted.action = "row"
    by_id = {m.id: m for m in matter.materials}
    for key, value in form.multi_items():
        if not key.startswith("material:") or not isinstance(value, UploadFile):
            continue
        material = by_id.get(key.split(":", 1)[1])
        if material is None or not value.filename:
            continue
        content = value.file.read()
        try:
            meta = services.files.upload(user, Upload(value.filename, content),
                                         accept=material.accept, max_mb=material.max_mb)
        except ServiceError as exc:
            posted.errors.append(forms.FieldError(f"/materials/{material.id}",
                                                  f"f-material-{material.id}", exc.message))
            posted.status = max(posted.status, exc.status)
            continue
        posted.materials.setdefault(material.id, []).append(meta["id"])
    posted.materials = {k: v for k, v in posted.materials.items() if v}
    return posted


def check(request: Request, matter: MatterSpec, data: Mapping[str, Any],
          materials: Mapping[str, list[str]]) -> list[forms.FieldError]:
    """Every problem the applicant must fix before submitting, in Chinese; what the
    certificate register gives (免提交, locked fields) as submission will take it."""
    data, taken = services_of(request).register.prefill(
        current_user(request), matter, data)
    free = taken.get("materials") or {}
    return forms.validate(matter.form, data, ui=matter.ui) + forms.validate_materials(
        [m for m in matter.materials if m.id not in free], data,
        uploaded_meta(request, materials))


def _taken_text(entry: Mapping[str, Any]) -> str:
    until = f"有效期至 {entry['valid_until']}" if entry.get("valid_until") else "长期有效"
    return (f"已从证照库调取本中心核发的{entry.get('name')}（编号 {entry.get('number')}，{until}，"
            f"核发办件 {entry.get('case_number') or entry.get('case')}），无需上传")


def _locked(fields: list[forms.Field], taken: Mapping[str, Any]) -> list[forms.Field]:
    """Fields the register fills shown read-only, saying where their value comes from."""
    out = []
    for f in fields:
        source = taken.get(f.name)
        if source is not None and not f.children:
            f = replace(f, readonly=True, help=f"由证照库中的{source.get('name')}填写（核发办件 "
                        f"{source.get('case_number') or source.get('case')}），不可修改")
        elif f.children:
            f = replace(f, children=tuple(_locked(list(f.children), taken)))
        out.append(f)
    return out


def form_context(request: Request, matter: MatterSpec, data: Mapping[str, Any],
                 materials: Mapping[str, list[str]],
                 errors: list[forms.FieldError]) -> dict[str, Any]:
    """What the form templates need; with what the certificate register gives."""
    data, taken = services_of(request).register.prefill(
        current_user(request), matter, data)
    free = taken.get("materials") or {}
    uploads = [replace(u, taken=_taken_text(free[u.id])) if u.id in free else u
               for u in forms.build_uploads(matter.materials, data,
                                            uploaded_meta(request, materials), errors)]
    live = forms.condition_fields(matter.form, matter.ui, [m.when for m in matter.materials])
    fields = _locked(forms.build_fields(matter.form, matter.ui, data, errors, live=live),
                     taken.get("fields") or {})
    return {
        "matter": matter,
        "fields": fields,
        "uploads": uploads,
        "shown_materials": ",".join(u.id for u in uploads),
        "shown_fields": shown_fields(fields),
        "errors": errors,
    }


def shown_fields(fields: list[forms.Field]) -> str:
    """The conditional top-level fields now visible, as the page remembers them."""
    return ",".join(f.name for f in fields if f.condition is not None and f.visible)
