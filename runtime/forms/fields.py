"""The field tree a form is rendered from: ``build_fields`` and ``build_row``.

Each ``Field`` carries everything the Jinja macros in ``forms/_fields.html`` need, already
converted to strings (values as the browser will post them back).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runtime.forms.errors import FieldError
from runtime.forms.schema import (
    Part,
    Schema,
    default_value,
    display,
    enum_labels,
    enum_values,
    field_id,
    form_value,
    items_schema,
    join,
    ordered_names,
    pointer,
    properties,
    row_label,
    schema_type,
    title,
    ui_fields,
    ui_order,
)
from runtime.forms.visibility import FieldState, field_state

Errors = Iterable[FieldError] | Mapping[str, str] | None

_BOOLEAN_OPTIONS = (("true", "是"), ("false", "否"))
_STRING_WIDGETS = {"text", "textarea", "email", "date"}


@dataclass(frozen=True)
class Option:
    """One choice of a select or radio group."""

    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Row:
    """One row of a repeatable section (array of objects)."""

    index: int
    name: str  # "shareholders.0"
    id: str  # "f-shareholders-0"
    label: str  # "股东 1"
    children: tuple[Field, ...]
    removable: bool
    error: str = ""


@dataclass(frozen=True)
class Field:
    """One form control, a fieldset of them (object) or a repeatable section (array).

    ``kind`` is one of text, email, date, textarea, number, checkbox, radio, select,
    hidden, object, array.
    """

    id: str
    name: str
    path: str
    label: str
    kind: str
    required: bool
    value: str = ""
    help: str = ""
    placeholder: str = ""
    options: tuple[Option, ...] = ()
    min: str | None = None
    max: str | None = None
    step: str | None = None
    max_length: int | None = None
    children: tuple[Field, ...] = ()
    rows: tuple[Row, ...] = ()
    visible: bool = True
    condition: Schema | None = None
    error: str = ""
    checked: bool = False
    min_items: int = 0
    max_items: int | None = None
    can_add: bool = False
    item_label: str = ""
    readonly: bool = False  # filled from the certificate register and locked (免提交)
    live: bool = False  # a change re-renders the conditional parts of the form

    @property
    def help_id(self) -> str:
        """Id of the help text element."""
        return f"{self.id}-help"

    @property
    def error_id(self) -> str:
        """Id of the error text element."""
        return f"{self.id}-error"

    @property
    def describedby(self) -> str:
        """Value for ``aria-describedby`` (help and error ids), "" when neither exists."""
        ids = [self.help_id] if self.help else []
        ids += [self.error_id] if self.error else []
        return " ".join(ids)


@dataclass(frozen=True)
class _Ctx:
    ui: Schema | None
    data: Any
    errors: Mapping[str, str]
    prefix: str
    live: frozenset[str] = frozenset()

    def name(self, parts: Sequence[Part]) -> str:
        return join(self.prefix, ".".join(str(p) for p in parts)) if parts else self.prefix


def _error_map(errors: Errors) -> dict[str, str]:
    if errors is None:
        return {}
    if isinstance(errors, Mapping):
        return {str(k): str(v) for k, v in errors.items()}
    found: dict[str, str] = {}
    for error in errors:
        found[error.pointer] = (
            f"{found[error.pointer]}；{error.message}" if error.pointer in found else error.message
        )
    return found


def build_fields(
    schema: Schema,
    ui: Schema | None,
    data: Mapping[str, Any] | None,
    errors: Errors = None,
    *,
    prefix: str = "",
    live: Iterable[str] = (),
) -> list[Field]:
    """The fields of a form for ``data`` (use ``defaults(schema)`` for a new form).

    ``errors`` are FieldErrors (or {pointer: message}); ``prefix`` namespaces the posted
    names (``prefix.field``) when several forms share a page; ``live`` names the
    top-level fields whose change re-renders the conditional parts (see
    ``condition_fields``).
    """
    ctx = _Ctx(ui=ui, data=dict(data or {}), errors=_error_map(errors), prefix=prefix,
               live=frozenset(live))
    return list(_object_fields(ctx, schema, ctx.data, [], "", shown=True, top=True))


def build_row(
    schema: Schema,
    ui: Schema | None,
    array_name: str,
    index: int,
    data: Mapping[str, Any] | None = None,
    errors: Errors = None,
    *,
    prefix: str = "",
) -> Row:
    """Row ``index`` of the array named ``array_name`` (``shareholders``), e.g. for "add row".

    Its values come from ``data`` when that row exists there, else from the item defaults.
    Raises ``KeyError`` when ``array_name`` is not an array of the schema.
    """
    parts: list[Part] = [int(p) if p.isdigit() else p for p in array_name.split(".")]
    node, path = schema, ""
    local: Any = dict(data or {})
    for part in parts:
        if isinstance(part, int):
            node = items_schema(node)
            local = local[part] if isinstance(local, list) and part < len(local) else {}
        else:
            node = properties(node)[part]
            path = join(path, part)
            local = local.get(part) if isinstance(local, Mapping) else None
    if schema_type(node) != "array" or isinstance(parts[-1], int):
        raise KeyError(array_name)
    rows = local if isinstance(local, list) else []
    item = rows[index] if index < len(rows) else default_value(items_schema(node))
    ctx = _Ctx(ui=ui, data=dict(data or {}), errors=_error_map(errors), prefix=prefix)
    removable = index + 1 > int(node.get("minItems", 0) or 0)
    return _row(ctx, node, parts, path, index, item, removable=removable, shown=True)


def _object_fields(
    ctx: _Ctx, obj: Schema, local: Any, parts: list[Part], path: str, *, shown: bool, top: bool
) -> tuple[Field, ...]:
    values = local if isinstance(local, Mapping) else {}
    out = []
    for prop in ordered_names(obj, ui_order(ctx.ui) if top else ()):
        sub_parts = [*parts, prop]
        sub_path = join(path, prop)
        dotted = ".".join(str(p) for p in sub_parts)
        state = field_state(ctx.ui, ctx.data, obj, values, prop, path=sub_path, name=dotted)
        sub = properties(obj)[prop]
        out.append(_field(ctx, sub, values.get(prop), sub_parts, sub_path, state, shown))
    return tuple(out)


def _kind(sub: Schema, hint: Mapping[str, Any]) -> str:
    widget = hint.get("widget")
    kind = schema_type(sub)
    if widget == "hidden":
        return "hidden"
    if kind in ("object", "array"):
        return kind
    if enum_values(sub) is not None:
        return "radio" if widget == "radio" else "select"
    if kind == "boolean":
        return widget if widget in ("radio", "select") else "checkbox"
    if kind in ("number", "integer"):
        return "number"
    if widget in _STRING_WIDGETS:
        return str(widget)
    fmt = sub.get("format")
    return fmt if fmt in ("date", "email") else "text"


def _help(sub: Schema, hint: Mapping[str, Any]) -> str:
    texts = [str(t) for t in (sub.get("description"), hint.get("help")) if t]
    return " ".join(texts)


def _bound(sub: Schema, key: str, exclusive: str, integer: bool, delta: int) -> str | None:
    if isinstance(sub.get(key), int | float):
        return display(sub[key])
    if integer and isinstance(sub.get(exclusive), int | float):
        edge = sub[exclusive]
        return display(int(edge) + delta if float(edge).is_integer() else edge)
    return None


def _field(
    ctx: _Ctx,
    sub: Schema,
    value: Any,
    parts: list[Part],
    path: str,
    state: FieldState,
    shown: bool,
) -> Field:
    hint = ui_fields(ctx.ui).get(path) or {}
    kind = _kind(sub, hint)
    name = ctx.name(parts)
    visible = shown and state.visible
    base = Field(
        id=field_id(name),
        name=name,
        path=path,
        label=title(sub, str(parts[-1])),
        kind=kind,
        required=state.required,
        help=_help(sub, hint),
        placeholder=str(hint.get("placeholder") or ""),
        visible=visible,
        condition=state.condition,
        error=ctx.errors.get(pointer(parts), ""),
        live=len(parts) == 1 and str(parts[0]) in ctx.live,
    )
    if kind == "object":
        children = _object_fields(ctx, sub, value, parts, path, shown=visible, top=False)
        return dataclasses.replace(base, children=children)
    if kind == "array":
        return _array(ctx, base, sub, value, parts, path)
    text = form_value(value)
    if kind in ("select", "radio"):
        pairs = (
            [(form_value(v), label) for v, label in enum_labels(sub)]
            if enum_values(sub) is not None
            else list(_BOOLEAN_OPTIONS)
        )
        chosen = value is not None
        options = tuple(Option(v, label, chosen and v == text) for v, label in pairs)
        return dataclasses.replace(base, value=text, options=options)
    if kind == "checkbox":
        return dataclasses.replace(base, value="true", checked=value is True)
    if kind == "number":
        integer = schema_type(sub) == "integer"
        step = sub.get("multipleOf")
        return dataclasses.replace(
            base,
            value=text,
            min=_bound(sub, "minimum", "exclusiveMinimum", integer, 1),
            max=_bound(sub, "maximum", "exclusiveMaximum", integer, -1),
            step=display(step) if isinstance(step, int | float) else "1" if integer else "any",
        )
    length = sub.get("maxLength")
    return dataclasses.replace(
        base, value=text, max_length=length if isinstance(length, int) else None
    )


def _array(
    ctx: _Ctx, base: Field, sub: Schema, value: Any, parts: list[Part], path: str
) -> Field:
    items = items_schema(sub)
    present = value if isinstance(value, list) else []
    min_items = int(sub.get("minItems", 0) or 0)
    max_items = sub.get("maxItems")
    count = max(len(present), min_items)
    rows = tuple(
        _row(
            ctx,
            sub,
            parts,
            path,
            index,
            present[index] if index < len(present) else default_value(items),
            removable=count > min_items,
            shown=base.visible,
        )
        for index in range(count)
    )
    return dataclasses.replace(
        base,
        rows=rows,
        min_items=min_items,
        max_items=max_items if isinstance(max_items, int) else None,
        can_add=not isinstance(max_items, int) or count < max_items,
        item_label=str(items.get("title") or base.label),
    )


def _row(
    ctx: _Ctx,
    array_schema: Schema,
    parts: list[Part],
    path: str,
    index: int,
    item_value: Any,
    *,
    removable: bool,
    shown: bool,
) -> Row:
    row_parts = [*parts, index]
    name = ctx.name(row_parts)
    label = row_label(array_schema, str(parts[-1]), index)
    item = items_schema(array_schema)
    if schema_type(item) == "object":
        children = _object_fields(ctx, item, item_value, row_parts, path, shown=shown, top=False)
    else:
        state = FieldState(visible=True, required=True, condition=None)
        only = _field(ctx, item, item_value, row_parts, path, state, shown)
        children = (dataclasses.replace(only, label=label),)
    return Row(
        index=index,
        name=name,
        id=field_id(name),
        label=label,
        children=children,
        removable=removable,
        error=ctx.errors.get(pointer(row_parts), "") if schema_type(item) == "object" else "",
    )
