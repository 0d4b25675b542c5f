"""The agent's part of the application form (全程代办): the principal (委托人) section
and its errors next to the fields. The rules are the services' (`Cases.proxy`, the
engine's submission check); this module only reads the post and places messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from runtime import forms
from runtime.services import Invalid, MatterSpec, User
from runtime.web.formpage import uploaded_meta

KEYS = ("name", "id_number", "phone")
ENTRUSTMENT = "entrustment"


def applies(user: User, case: Mapping[str, Any] | None) -> bool:
    """Whether the form carries the principal section: an agent's application."""
    return bool(case.get("agent")) if case is not None else user.role == "agent"


def read(form: FormData) -> dict[str, str]:
    """The posted principal ``{name, id_number, phone}`` (checked by the services)."""
    return {k: str(form.get(f"obo_{k}", "")).strip() for k in KEYS}


def field_id(pointer: str) -> str:
    """The control a problem's pointer names on the page ('' for none)."""
    parts = [p for p in pointer.split("/") if p]
    if len(parts) == 2 and parts[0] == "on_behalf_of" and parts[1] in KEYS:
        return f"f-obo-{parts[1]}"
    if len(parts) == 2 and parts[0] == "materials":
        return f"f-material-{parts[1]}"
    return ""


def errors(exc: Invalid) -> list[forms.FieldError]:
    """A refusal's details as the form shows them, each beside its control."""
    details = exc.details or [{"pointer": "", "message": exc.message}]
    return [forms.FieldError(d["pointer"], field_id(d["pointer"]), d["message"])
            for d in details]


def context(principal: Mapping[str, Any] | None,
            errs: list[forms.FieldError]) -> dict[str, Any]:
    """The principal section: values and the message of each field."""
    values = {k: str((principal or {}).get(k) or "") for k in KEYS}
    messages = {k: e.message for e in errs for k in KEYS
                if e.pointer == f"/on_behalf_of/{k}"}
    return {"values": values, "errors": messages}


def with_entrustment(request: Request, matter: MatterSpec, uploads: list[forms.Upload],
                     materials: Mapping[str, list[str]],
                     errors: list[forms.FieldError]) -> list[forms.Upload]:
    """The upload controls of an agent's form: the entrustment letter always there and
    marked as needed (the engine refuses an agent's submission without it), even where
    the matter asks for it only under a condition of the answers."""
    if any(u.id == ENTRUSTMENT for u in uploads):
        return [replace(u, required=True) if u.id == ENTRUSTMENT else u for u in uploads]
    material = next((m for m in matter.materials if m.id == ENTRUSTMENT), None)
    if material is None:
        return uploads
    control = forms.build_uploads([replace(material, when=None)], {},
                                  uploaded_meta(request, {ENTRUSTMENT: list(
                                      materials.get(ENTRUSTMENT, ()))}), errors)[0]
    return [*uploads, replace(control, required=True)]
