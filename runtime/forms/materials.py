"""Materials (申请材料): which apply, their upload controls, and checks of uploaded files.

Materials may be given as catalog dicts or ``builder.spec.Material`` objects. Uploaded
files are given by the caller as ``{material_id: [{"id", "name", "size"}]}`` (size in
bytes). A material's control posts files as ``material:<id>``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from builder.spec import Material
from runtime.forms.errors import FieldError
from runtime.forms.schema import display, holds

M = TypeVar("M", bound="Mapping[str, Any] | Material")
Uploaded = Mapping[str, Sequence[Mapping[str, Any]]]

_MATERIAL_KEYS = {f.name for f in dataclasses.fields(Material)}


def as_material(material: Mapping[str, Any] | Material) -> Material:
    """A catalog material dict (or a Material) as a Material, with the spec's defaults."""
    if isinstance(material, Material):
        return material
    values = {k: v for k, v in material.items() if k in _MATERIAL_KEYS}
    if "accept" in values:
        values["accept"] = tuple(str(a) for a in values["accept"])
    return Material(**values)


def applicable_materials(materials: Iterable[M], data: Mapping[str, Any]) -> list[M]:
    """The materials whose ``when`` holds for the applicant's data (no ``when``: always)."""
    found = []
    for material in materials:
        when = as_material(material).when
        if when is None or holds(when, data):
            found.append(material)
    return found


def material_field_id(material_id: str) -> str:
    """The HTML id of a material's file input."""
    return f"f-material-{material_id}"


def formats_text(accept: Iterable[str]) -> str:
    """Accepted types for people: "PDF、JPG"."""
    return "、".join(a.lstrip(".").upper() for a in accept)


def size_text(size: float) -> str:
    """A byte count for people: "850 KB", "1.2 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{display(round(size / (1024 * 1024), 1))} MB"


@dataclass(frozen=True)
class UploadedFile:
    """A file already uploaded for a material."""

    id: str
    name: str
    size: int
    size_text: str


@dataclass(frozen=True)
class Upload:
    """The upload control of one applicable material."""

    id: str  # material id
    field_id: str  # "f-material-<id>"
    name: str  # "material:<id>"
    label: str
    required: bool
    deferrable: bool
    accept: tuple[str, ...]
    accept_attr: str  # ".pdf,.jpg"
    formats: str  # "PDF、JPG"
    max_size: str  # "10 MB"
    note: str
    uploaded: tuple[UploadedFile, ...]
    error: str = ""
    taken: str = ""  # satisfied from the certificate register (免提交): where from


def build_uploads(
    materials: Iterable[Mapping[str, Any] | Material],
    data: Mapping[str, Any],
    uploaded: Uploaded | None = None,
    errors: Iterable[FieldError] = (),
) -> list[Upload]:
    """Upload controls for the materials that apply to ``data``, in catalog order."""
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.pointer, []).append(error.message)
    controls = []
    for item in applicable_materials(list(materials), data):
        material = as_material(item)
        files = tuple(
            UploadedFile(
                id=str(f.get("id", "")),
                name=str(f.get("name", "")),
                size=int(f.get("size", 0) or 0),
                size_text=size_text(int(f.get("size", 0) or 0)),
            )
            for f in (uploaded or {}).get(material.id, ())
        )
        controls.append(
            Upload(
                id=material.id,
                field_id=material_field_id(material.id),
                name=f"material:{material.id}",
                label=material.name,
                required=material.required,
                deferrable=material.deferrable,
                accept=material.accept,
                accept_attr=",".join("." + a.lstrip(".").lower() for a in material.accept),
                formats=formats_text(material.accept),
                max_size=f"{display(material.max_mb)} MB",
                note=material.note,
                uploaded=files,
                error="；".join(messages.get(f"/materials/{material.id}", [])),
            )
        )
    return controls


def validate_materials(
    materials: Iterable[Mapping[str, Any] | Material],
    data: Mapping[str, Any],
    uploaded: Uploaded,
) -> list[FieldError]:
    """Problems with the uploads: a missing required material, a wrong type, a file too big.

    Deferrable materials (容缺) may be missing; materials that do not apply are ignored.
    """
    errors = []
    for item in applicable_materials(list(materials), data):
        material = as_material(item)
        where = (f"/materials/{material.id}", material_field_id(material.id))
        files = list(uploaded.get(material.id, ()))
        if not files and material.required and not material.deferrable:
            errors.append(FieldError(*where, f"请上传「{material.name}」"))
        accept = {a.lstrip(".").lower() for a in material.accept}
        limit = material.max_mb * 1024 * 1024
        for file in files:
            name = str(file.get("name", ""))
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext not in accept:
                errors.append(FieldError(*where, (
                    f"「{name}」的格式不支持，「{material.name}」"
                    f"请上传 {formats_text(material.accept)} 格式的文件"
                )))
            if float(file.get("size", 0) or 0) > limit:
                errors.append(FieldError(*where, (
                    f"「{name}」超过 {display(material.max_mb)} MB，请压缩后重新上传"
                )))
    return errors
