"""The certificate register in the catalog (证照库, 免提交): ``certificates.yaml`` declares
the kinds; a step issues one (``certificate: {kind, number, holder}``), a material or a
form field takes one (``materials[].certificate``, ``register``). Checked here, across
files, with a "did you mean" for every near-miss name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from builder.errors import Problem
from builder.fields import schema_has_path
from builder.metaschema import english, place
from builder.names import closest, hint_text
from builder.source import Path_, Source

ATTRIBUTES = ("number", "holder_name", "valid_until")
"""What a form field may take from a certificate: its number, its holder's name (the
company or person it was issued to) or the last day it is valid."""


def kinds_of(src: Source | None) -> dict[str, Any] | None:
    """Certificate kind ids of ``certificates.yaml`` (None when there is none to check)."""
    if src is None or not isinstance(src.value, dict):
        return None
    found: dict[str, Any] = {}
    items = src.value.get("certificates")
    for kind in items if isinstance(items, list) else []:
        if isinstance(kind, dict) and isinstance(kind.get("id"), str):
            found.setdefault(kind["id"], kind)
    return found


def file_problems(src: Source) -> list[Problem]:
    """``certificates.yaml`` beyond its schema: ids unique."""
    items = src.value.get("certificates") if isinstance(src.value, dict) else None
    seen: set[str] = set()
    problems = []
    for i, kind in enumerate(items if isinstance(items, list) else []):
        kind_id = kind.get("id") if isinstance(kind, dict) else None
        if isinstance(kind_id, str) and kind_id in seen:
            problems.append(src.problem(("certificates", i, "id"),
                                        f"duplicate certificate kind '{kind_id}'",
                                        code="duplicate_certificate_kind", params={"id": kind_id}))
        if isinstance(kind_id, str):
            seen.add(kind_id)
    return problems


def matter_problems(src: Source, kinds: Mapping[str, Any] | None) -> list[Problem]:
    """Every certificate reference of one matter: kinds known (when ``kinds`` is given),
    holders and fields naming real form fields or outputs."""
    return _MatterRefs(src, kinds).run()


class _MatterRefs:
    def __init__(self, src: Source, kinds: Mapping[str, Any] | None) -> None:
        self.src = src
        self.doc: dict[str, Any] = src.value if isinstance(src.value, dict) else {}
        self.kinds = kinds
        self.form = self.doc.get("form")
        self.problems: list[Problem] = []

    def error(self, path: Path_, message: str, code: str, **params: Any) -> None:
        self.problems.append(self.src.problem(path, message, code=code, params=params))

    def run(self) -> list[Problem]:
        for i, step in _items(self.doc, "steps"):
            cert = step.get("certificate")
            if isinstance(cert, dict) and "kind" in cert:
                self.issued((("steps", i, "certificate")), step, cert)
        takes = False
        for i, material in _items(self.doc, "materials"):
            if isinstance(material.get("certificate"), str):
                takes = True
                self.kind(("materials", i, "certificate"), material["certificate"])
        register = self.doc.get("register")
        if isinstance(register, dict):
            self.register(register)
        elif takes:
            first = next(i for i, m in _items(self.doc, "materials")
                         if isinstance(m.get("certificate"), str))
            self.error(("materials", first, "certificate"),
                       f"{self.at(('materials', first))}: a material taken from the certificate "
                       "register needs the matter's 'register: {holder: FIELD}' to know whose "
                       "certificates to look up", "register_missing",
                       where=self.place(("materials", first)))
        return self.problems

    def at(self, path: Path_) -> str:
        return english(self.place(path))

    def place(self, path: Path_) -> Any:
        return place(path, self.doc)

    def kind(self, path: Path_, name: Any) -> None:
        if self.kinds is None or not isinstance(name, str) or name in self.kinds:
            return
        hint = closest(name, self.kinds)
        self.error(path, f"{self.at(path[:2])}: unknown certificate kind '{name}'"
                   + hint_text(hint) + ("; certificates.yaml declares "
                                        + ", ".join(self.kinds) if self.kinds else
                                        "; declare it in certificates.yaml"),
                   "unknown_certificate_kind", where=self.place(path[:2]), kind=name,
                   hint=hint or "", known=tuple(self.kinds))

    def issued(self, path: Path_, step: Mapping[str, Any], cert: Mapping[str, Any]) -> None:
        self.kind((*path, "kind"), cert.get("kind"))
        missing = [key for key in ("number", "holder") if key not in cert]
        if missing:
            self.error((*path, "kind"), f"{self.at(path[:2])}: a certificate that enters the "
                       f"register needs {' and '.join(repr(k) for k in missing)}",
                       "certificate_kind_needs", where=self.place(path[:2]),
                       missing=tuple(missing))
        holder = cert.get("holder")
        outputs = [o for o in step.get("outputs") or () if isinstance(o, str)]
        if isinstance(holder, str) and holder not in outputs and not self.field(holder):
            candidates = [*outputs, *self.fields()]
            hint = closest(holder, candidates)
            self.error((*path, "holder"), f"{self.at(path[:2])}: the certificate holder "
                       f"'{holder}' is neither an output of the step nor a field of the form"
                       + hint_text(hint), "certificate_holder_unknown",
                       where=self.place(path[:2]), holder=holder, hint=hint or "")

    def register(self, register: Mapping[str, Any]) -> None:
        holder = register.get("holder")
        if isinstance(holder, str) and not self.field(holder):
            hint = closest(holder, self.fields())
            self.error(("register", "holder"), f"register: the holder '{holder}' is not a "
                       f"field of the form{hint_text(hint)}", "register_holder_unknown",
                       holder=holder, hint=hint or "")
        fields = register.get("fields")
        for name, ref in (fields.items() if isinstance(fields, dict) else ()):
            if not self.field(name):
                hint = closest(name, self.fields())
                self.error(("register", "fields", name), f"register: '{name}' is not a field "
                           f"of the form{hint_text(hint)}", "register_field_unknown",
                           field=name, hint=hint or "")
            if not isinstance(ref, str):
                continue
            kind, _, attribute = ref.partition(".")
            if attribute not in ATTRIBUTES:
                hint = closest(attribute, ATTRIBUTES)
                self.error(("register", "fields", name), f"register: '{ref}' must be "
                           f"KIND.ATTRIBUTE with ATTRIBUTE one of {', '.join(ATTRIBUTES)}"
                           + hint_text(hint), "register_bad_attribute", ref=ref,
                           hint=hint or "")
            self.kind(("register", "fields", name), kind)

    def field(self, dotted: str) -> bool:
        return schema_has_path(self.form, dotted.split("."))

    def fields(self) -> list[str]:
        props = self.form.get("properties") if isinstance(self.form, dict) else None
        out: list[str] = []
        for name, sub in (props.items() if isinstance(props, dict) else ()):
            out.append(name)
            inner = sub.get("properties") if isinstance(sub, dict) else None
            out += [f"{name}.{n}" for n in (inner if isinstance(inner, dict) else ())]
        return out


def _items(doc: Mapping[str, Any], key: str) -> Iterable[tuple[int, dict[str, Any]]]:
    items = doc.get(key)
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield i, item
