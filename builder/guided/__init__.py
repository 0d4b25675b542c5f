"""The guided editor's model of a matter: web forms instead of YAML, the same document out.

``from_doc`` reads a matter document (plain dicts, as ``builder.source`` reads it) into
frozen dataclasses; ``to_doc`` writes that document back with the keys a power user
writes, in the order of docs/catalog.md. What the model does not edit — nested form
objects, ``allOf`` rules, defaults written out (``copies: 1``), unusual spellings
(``needs: [{step: a}]``) — is kept verbatim in ``extra``/``raw``, so for every valid
matter document ``to_doc(from_doc(doc)) == doc``. The edit helpers return a new model
in that canonical form (``from_doc(to_doc(g)) == g``).
"""

from builder.guided.conditions import (
    condition_fields,
    condition_schema,
    describe_condition,
    parse_simple_condition,
)
from builder.guided.document import (
    MATERIAL_KEYS,
    MATTER_KEYS,
    STEP_KEYS,
    Equiv,
    from_doc,
    to_doc,
)
from builder.guided.edits import (
    add_field,
    add_material,
    add_step,
    field_references,
    move_field,
    move_step,
    remove_field,
    remove_material,
    remove_step,
    rename_field,
    rename_step,
    update_field,
    update_material,
    update_step,
)
from builder.guided.model import (
    DEFAULT_ACCEPT,
    Condition,
    FieldType,
    GuidedError,
    GuidedFee,
    GuidedField,
    GuidedMaterial,
    GuidedMatter,
    GuidedNeed,
    GuidedStep,
    GuidedStepField,
    Number,
    Op,
    SimpleCondition,
)
from builder.guided.yaml_text import to_yaml

__all__ = [
    "DEFAULT_ACCEPT",
    "MATERIAL_KEYS",
    "MATTER_KEYS",
    "STEP_KEYS",
    "Condition",
    "Equiv",
    "FieldType",
    "GuidedError",
    "GuidedFee",
    "GuidedField",
    "GuidedMaterial",
    "GuidedMatter",
    "GuidedNeed",
    "GuidedStep",
    "GuidedStepField",
    "Number",
    "Op",
    "SimpleCondition",
    "add_field",
    "add_material",
    "add_step",
    "condition_fields",
    "condition_schema",
    "describe_condition",
    "field_references",
    "from_doc",
    "move_field",
    "move_step",
    "parse_simple_condition",
    "remove_field",
    "remove_material",
    "remove_step",
    "rename_field",
    "rename_step",
    "to_doc",
    "to_yaml",
    "update_field",
    "update_material",
    "update_step",
]
