"""The guided editor's model of a matter: frozen dataclasses and their type aliases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from builder.errors import BuilderError
from builder.spec import At

Number = int | float
FieldType = Literal["string", "textarea", "number", "integer", "boolean", "date", "email",
                    "enum", "raw"]
Op = Literal["equals", "not_equals", "at_least", "at_most", "one_of"]
DEFAULT_ACCEPT = ("pdf", "jpg", "jpeg", "png")


class GuidedError(BuilderError):
    """An edit the guided editor refuses (a duplicate id, a field still in use)."""


@dataclass(frozen=True)
class SimpleCondition:
    """A condition the guided editor shows as one line: ``field`` ``op`` ``value``."""

    field: str
    op: Op
    value: Any  # a scalar; a tuple of scalars for ``one_of``


Condition = SimpleCondition | Mapping[str, Any]  # simple, or a raw JSON Schema fragment


@dataclass(frozen=True)
class GuidedField:
    """A top-level field of the applicant form (``type="raw"``: kept as written)."""

    name: str
    type: FieldType = "string"
    title: str = ""
    required: bool = False
    help: str = ""
    placeholder: str = ""
    widget: str = ""  # explicit ui widget; a textarea is ``type="textarea"``
    description: str = ""
    options: tuple[Any, ...] = ()  # ``enum`` of an ``enum`` field
    minimum: Number | None = None
    maximum: Number | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    default: Any = None
    visible_when: Condition | None = None
    raw: Any = None  # the property schema of a ``raw`` field (nested object, array, ...)
    extra: Mapping[str, Any] = field(default_factory=dict)  # other schema keys
    hint_extra: Mapping[str, Any] = field(default_factory=dict)  # other ui.fields keys

    @property
    def label(self) -> str:
        """What the applicant sees: the title, else the name."""
        raw_title = self.raw.get("title") if isinstance(self.raw, dict) else None
        return self.title or (raw_title if isinstance(raw_title, str) else "") or self.name


@dataclass(frozen=True)
class GuidedMaterial:
    """An application material (申请材料)."""

    id: str
    name: str
    required: bool = True
    when: Condition | None = None
    accept: tuple[str, ...] = DEFAULT_ACCEPT
    max_mb: Number = 20
    deferrable: bool = False
    copies: int = 1
    original: bool = False
    note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuidedFee:
    """A fee (收费项目)."""

    name: str
    amount: Number | None = 0
    basis: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuidedNeed:
    """This step needs ``step`` to reach ``at`` (``finish`` or ``preliminary``) first."""

    step: str
    at: str = "finish"

    @property
    def staged(self) -> bool:
        """Released by the upstream's preliminary opinion (分段并联)."""
        return self.at == At.PRELIMINARY


@dataclass(frozen=True)
class GuidedStepField:
    """A field of the reviewer's form; ``output`` publishes it to later steps."""

    name: str
    title: str = ""
    type: str = "string"  # "" when the schema has no ``type``
    pattern: str = ""
    required: bool = True
    output: bool = True
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuidedStep:
    """A step (环节)."""

    id: str
    name: str
    departments: tuple[str, ...]
    days: Number
    listed: bool = False  # one department written as ``departments: [x]``
    join: str = "all"
    preliminary_days: Number | None = None
    needs: tuple[GuidedNeed, ...] = ()
    when: Condition | None = None
    materials: tuple[str, ...] = ()
    fields: tuple[GuidedStepField, ...] = ()  # the step ``form`` and ``outputs``
    reads: tuple[str, ...] = ()
    certificate: str = ""
    certificate_number: str = ""
    on_timeout: str = "none"
    reply_options: tuple[str, ...] = ()
    note: str = ""
    form_extra: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The published fields, also when the step form is kept raw."""
        if self.fields:
            return tuple(f.name for f in self.fields if f.output)
        raw = self.extra.get("outputs")
        return tuple(raw) if isinstance(raw, list) else ()


@dataclass(frozen=True)
class GuidedMatter:
    """A matter as the guided editor edits it."""

    id: str
    name: str
    lead: str
    time_limit: Number
    statutory_limit: Number
    version: int = 1
    category: str = ""
    notice: str = ""
    conditions: str = ""
    fees: tuple[GuidedFee, ...] = ()
    fields: tuple[GuidedField, ...] = ()  # in ``form.properties`` order
    field_order: tuple[str, ...] | None = None  # ``ui.order`` as written
    materials: tuple[GuidedMaterial, ...] = ()
    steps: tuple[GuidedStep, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # top-level keys kept verbatim
    form_extra: Mapping[str, Any] = field(default_factory=dict)  # title, allOf, ...
    ui_extra: Mapping[str, Any] = field(default_factory=dict)
    hints_extra: Mapping[str, Any] = field(default_factory=dict)  # nested ui.fields paths

    def field_named(self, name: str) -> GuidedField:
        """The field with that name (KeyError if none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def display_order(self) -> tuple[str, ...]:
        """Field names in the order the applicant sees them."""
        names = [f.name for f in self.fields]
        listed = [n for n in self.field_order or () if n in names]
        return (*listed, *(n for n in names if n not in listed))
