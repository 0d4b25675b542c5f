"""Turn a checked matter document (plain dicts) into an immutable ``MatterSpec``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from builder.spec import (
    At,
    Centre,
    Certificate,
    CertificateKind,
    Department,
    Exemption,
    Fee,
    Join,
    Material,
    MatterSpec,
    Need,
    OnTimeout,
    Peer,
    Register,
    Step,
)


def step_departments(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The departments of a step document: ``department`` or ``departments``."""
    if "departments" in raw:
        return tuple(raw["departments"])
    if "department" in raw:
        return (raw["department"],)
    return ()


def need_of(raw: Any) -> Need:
    """A ``needs`` entry: ``step_id`` or ``{step, at}``."""
    if isinstance(raw, str):
        return Need(raw)
    return Need(raw["step"], At(raw.get("at", "finish")))


def _certificate(raw: Any) -> Certificate | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Certificate(raw)
    return Certificate(raw["name"], raw.get("number"), raw.get("kind", ""),
                       raw.get("holder", ""))


def compile_step(raw: Mapping[str, Any]) -> Step:
    """One step document to a ``Step``."""
    return Step(
        id=raw["id"],
        name=raw["name"],
        departments=step_departments(raw),
        days=raw["days"],
        preliminary_days=raw.get("preliminary_days"),
        needs=tuple(need_of(n) for n in raw.get("needs", ())),
        join=Join(raw.get("join", "all")),
        when=raw.get("when"),
        materials=tuple(raw.get("materials", ())),
        form=raw.get("form"),
        outputs=tuple(raw.get("outputs", ())),
        reads=tuple(raw.get("reads", ())),
        certificate=_certificate(raw.get("certificate")),
        on_timeout=OnTimeout(raw.get("on_timeout", "none")),
        reply_options=tuple(raw.get("reply_options", ())),
        note=raw.get("note", ""),
    )


ENTRUSTMENT = Material(
    id="entrustment", name="授权委托书", required=False,
    note="委托代办员或他人代为办理时提交，写明委托事项和权限并由委托人签字（盖章）；"
         "代办员代为申请时必须提交")
"""Every matter accepts the letter of entrustment (委托书); the engine requires it from an
agent (全程代办). A matter may declare its own ``entrustment`` material instead."""


def _with_entrustment(materials: tuple[Material, ...]) -> tuple[Material, ...]:
    if any(m.id == ENTRUSTMENT.id for m in materials):
        return materials
    return (*materials, ENTRUSTMENT)


def compile_material(raw: Mapping[str, Any]) -> Material:
    """One material document to a ``Material``."""
    defaults = Material(id="", name="")
    return Material(
        id=raw["id"],
        name=raw["name"],
        required=raw.get("required", True),
        when=raw.get("when"),
        accept=tuple(raw.get("accept", defaults.accept)),
        max_mb=raw.get("max_mb", defaults.max_mb),
        deferrable=raw.get("deferrable", False),
        deferred_days=raw.get("deferred_days"),
        deferred_after=raw.get("deferred_after"),
        copies=raw.get("copies", 1),
        original=raw.get("original", False),
        note=raw.get("note", ""),
        certificate=raw.get("certificate", ""),
    )


def compile_register(raw: Mapping[str, Any] | None) -> Register | None:
    """A matter's ``register`` (免提交): ``fields`` map a form field to ``KIND.ATTRIBUTE``."""
    if not raw:
        return None
    fields = tuple((name, ref.partition(".")[0], ref.partition(".")[2])
                   for name, ref in (raw.get("fields") or {}).items())
    return Register(raw["holder"], fields)


def compile_certificates(raw: Mapping[str, Any]) -> dict[str, CertificateKind]:
    """``certificates.yaml`` to certificate kinds by id."""
    return {c["id"]: CertificateKind(c["id"], c["name"], c.get("holder", "any"),
                                     c.get("valid_years"))
            for c in raw.get("certificates", ())}


def compile_matter(raw: Mapping[str, Any], steps: tuple[Step, ...] | None = None) -> MatterSpec:
    """A checked matter document to its ``MatterSpec``; ``steps`` already compiled from
    ``raw["steps"]`` (the check compiles them to plan) are reused."""
    return MatterSpec(
        id=raw["id"],
        name=raw["name"],
        version=raw.get("version", 1),
        lead=raw["lead"],
        time_limit=raw["time_limit"],
        statutory_limit=raw["statutory_limit"],
        notice=raw.get("notice", ""),
        form=raw["form"],
        ui=raw.get("ui", {}),
        materials=_with_entrustment(tuple(compile_material(m)
                                          for m in raw.get("materials", ()))),
        steps=steps if steps is not None else tuple(compile_step(s) for s in raw["steps"]),
        conditions=raw.get("conditions", ""),
        category=raw.get("category", ""),
        fees=tuple(_fee(f) for f in raw.get("fees", ())),
        register=compile_register(raw.get("register")),
        source=raw,
    )


def _fee(raw: Mapping[str, Any]) -> Fee:
    per = raw.get("per") or {}
    amount = per.get("amount", raw.get("amount", 0))
    return Fee(raw["name"], amount, raw.get("basis", ""), fen=to_fen(amount),
               per_field=per.get("field", ""), when=raw.get("when"),
               exemptions=tuple(Exemption(e["when"], e["reason"])
                                for e in raw.get("exempt", ())))


def to_fen(yuan: float | int | str) -> int:
    """Yuan as written in the catalog to whole fen (分), half a fen rounding up; through
    the decimal text, never float arithmetic."""
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compile_departments(raw: Mapping[str, Any]) -> dict[str, Department]:
    """``departments.yaml`` to departments by id."""
    return {d["id"]: Department(d["id"], d["name"], d.get("centre", ""),
                                d.get("remote", d["id"]) if d.get("centre") else "")
            for d in raw.get("departments", ())}


def compile_centre(raw: Mapping[str, Any]) -> Centre:
    """``centre.yaml`` to ``Centre``."""
    lights = raw.get("lights", {})
    return Centre(
        name=raw["name"],
        case_prefix=raw["case_prefix"],
        yellow_days=lights.get("yellow_days", 1.0),
        yellow_fraction=lights.get("yellow_fraction", 0.2),
        max_upload_mb=raw.get("max_upload_mb", 20),
        address=raw.get("address", ""),
        phone=raw.get("phone", ""),
        hours=raw.get("hours", ""),
        public_url=raw.get("public_url", "").rstrip("/"),
        payee_code=raw.get("payee_code", ""),
        review_body=raw.get("remedies", {}).get("review", ""),
        litigation_court=raw.get("remedies", {}).get("litigation", ""),
        announce=tuple(raw.get("announce", ())),
        id=raw.get("id", ""),
        peers=tuple(Peer(p["id"], p["name"], p["url"].rstrip("/")) for p in raw.get("peers", ())),
    )
