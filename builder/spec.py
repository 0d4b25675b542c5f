"""The compiled, immutable matter: what the runtime executes.

A ``MatterSpec`` is the definition (every possible path); a running case stores only
``matter_id`` + ``matter_version`` + step ids and looks the spec up. JSON Schema parts
(forms, conditions) are kept as dicts because jsonschema needs them so; treat them as
read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator

from builder.formats import SafeValidator

Schema = Mapping[str, Any]


class At(StrEnum):
    """Which moment of the upstream step releases a downstream step."""

    FINISH = "finish"
    PRELIMINARY = "preliminary"  # staged parallel: released by the preliminary opinion


class Join(StrEnum):
    """How a fan-out step with several departments ends."""

    ALL = "all"  # 会签: every department must approve
    ANY = "any"  # 或签: the first approval decides


class OnTimeout(StrEnum):
    """What happens when a task's deadline passes unanswered."""

    NONE = "none"
    CONSENT = "consent"  # 超时默许: counts as approved


@dataclass(frozen=True)
class Department:
    """A department (部门) that approves steps."""

    id: str
    name: str
    centre: str = ""  # a peer centre's id: the department sits there (跨中心协同)
    remote: str = ""  # its id in that centre (default: the same id)


@dataclass(frozen=True)
class Peer:
    """Another service centre this one exchanges tasks with (协同中心)."""

    id: str
    name: str
    url: str


@dataclass(frozen=True)
class Exemption:
    """A fee waived (减免) when the applicant's answers meet ``when``, for ``reason``."""

    when: Schema
    reason: str


@dataclass(frozen=True)
class Fee:
    """A fee (收费项目) the applicant pays: ``amount`` yuan as the catalog writes it;
    ``fen`` the same in whole fen (分), which is what is charged. With ``per_field`` the
    fee is ``fen`` per unit of that numeric answer (e.g. per square metre)."""

    name: str
    amount: float
    basis: str = ""
    fen: int = 0
    per_field: str = ""
    when: Schema | None = None
    exemptions: tuple[Exemption, ...] = ()


@dataclass(frozen=True)
class Material:
    """A required material (申请材料)."""

    id: str
    name: str
    required: bool = True
    when: Schema | None = None
    accept: tuple[str, ...] = ("pdf", "jpg", "jpeg", "png")
    max_mb: float = 20
    deferrable: bool = False  # may be supplied after acceptance (容缺受理)
    deferred_days: int | None = None  # due this many days (日) after acceptance or …
    deferred_after: str | None = None  # … after this step is decided
    copies: int = 1
    original: bool = False  # the original is checked at the window (原件核验)
    note: str = ""
    certificate: str = ""  # a certificate kind that satisfies it from the register (免提交)


@dataclass(frozen=True)
class Need:
    """An edge of the plan: this step needs ``step`` to reach ``at`` first."""

    step: str
    at: At = At.FINISH

    @property
    def staged(self) -> bool:
        """Released by the upstream's preliminary opinion (分段并联)."""
        return self.at is At.PRELIMINARY


@dataclass(frozen=True)
class Certificate:
    """A certificate (证照) issued when the step approves."""

    name: str
    number: str | None = None  # the output that carries the certificate number
    kind: str = ""  # the certificate kind (证照种类) it enters the register as
    holder: str = ""  # the output or form field (dotted path) naming the holder


@dataclass(frozen=True)
class CertificateKind:
    """A kind of certificate (证照种类) the centre keeps in its register (证照库)."""

    id: str
    name: str
    holder: str = "any"  # what identifies the holder: "uscc", "ric" or "any" of them
    valid_years: int | None = None  # None: valid without limit (长期有效)


@dataclass(frozen=True)
class Register:
    """What a matter takes from the certificate register (免提交): ``holder`` is the form
    field (dotted path) with the applicant's credit code or ID number; ``fields`` are
    (form field, certificate kind, attribute) filled and locked from the register."""

    holder: str
    fields: tuple[tuple[str, str, str], ...] = ()

    def kinds(self, matter: MatterSpec) -> tuple[str, ...]:
        """Every certificate kind the matter may take, in declaration order."""
        found = [m.certificate for m in matter.materials if m.certificate]
        found += [kind for _, kind, _ in self.fields]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Step:
    """A step (环节) approved by one department, or by several in a fan-out."""

    id: str
    name: str
    departments: tuple[str, ...]
    days: float
    preliminary_days: float | None = None
    needs: tuple[Need, ...] = ()
    join: Join = Join.ALL
    when: Schema | None = None
    materials: tuple[str, ...] = ()
    form: Schema | None = None
    outputs: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # "step_id.output"
    certificate: Certificate | None = None
    on_timeout: OnTimeout = OnTimeout.NONE
    reply_options: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class MatterSpec:
    """A joint matter (事项), compiled and versioned."""

    id: str
    name: str
    version: int
    lead: str
    time_limit: float
    statutory_limit: float
    notice: str
    form: Schema
    ui: Schema
    materials: tuple[Material, ...]
    steps: tuple[Step, ...]
    conditions: str = ""
    category: str = ""
    fees: tuple[Fee, ...] = ()
    register: Register | None = None
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def step(self, step_id: str) -> Step:
        """The step with that id (KeyError if none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def material(self, material_id: str) -> Material:
        """The material with that id (KeyError if none)."""
        for material in self.materials:
            if material.id == material_id:
                return material
        raise KeyError(material_id)

    def applicable_steps(self, data: Mapping[str, Any] | None) -> tuple[Step, ...]:
        """Steps whose ``when`` holds for the applicant's data (all when ``data`` is None)."""
        if data is None:
            return self.steps
        return tuple(s for s in self.steps if holds(s.when, data))

    def applicable_materials(self, data: Mapping[str, Any]) -> tuple[Material, ...]:
        """Materials whose ``when`` holds for the applicant's data."""
        return tuple(m for m in self.materials if holds(m.when, data))


@dataclass(frozen=True)
class Centre:
    """Settings of the service centre (政务服务中心)."""

    name: str
    case_prefix: str
    yellow_days: float = 1.0
    yellow_fraction: float = 0.2
    max_upload_mb: float = 20
    address: str = ""
    phone: str = ""
    hours: str = ""
    public_url: str = ""
    payee_code: str = ""
    review_body: str = ""  # 行政复议机关
    litigation_court: str = ""  # 行政诉讼的人民法院
    announce: tuple[str, ...] = ()  # matters whose results are published (办件结果公告)
    id: str = ""  # this centre's id, as its peers name it
    peers: tuple[Peer, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Everything the catalog folder describes, checked and compiled."""

    centre: Centre
    departments: Mapping[str, Department]
    matters: Mapping[str, MatterSpec]
    calendar: Mapping[str, Any]
    notifications: Mapping[str, Any] = field(default_factory=dict)  # kind -> Template
    scoring: Mapping[str, Any] = field(default_factory=dict)
    certificates: Mapping[str, CertificateKind] = field(default_factory=dict)

    def matter(self, matter_id: str) -> MatterSpec:
        """The matter with that id (KeyError if none)."""
        return self.matters[matter_id]


def holds(condition: Schema | None, data: Mapping[str, Any]) -> bool:
    """Evaluate a ``when`` condition: a JSON Schema fragment against the data. No eval."""
    if condition is None:
        return True
    return _validator(condition).is_valid(data)


_VALIDATORS: dict[int, Draft202012Validator] = {}


def _validator(schema: Schema) -> Draft202012Validator:
    # Conditions are evaluated on every case; building a validator per call is the cost.
    key = id(schema)
    validator = _VALIDATORS.get(key)
    if validator is None or validator.schema is not schema:
        validator = SafeValidator(schema)  # a condition's patterns run in RE2 too
        _VALIDATORS[key] = validator
    return validator
