"""Generated applicant and department forms: JSON Schema 2020-12 + ``ui`` hints.

Pure (no web framework): build a field tree, render it with the Jinja macros in
``templates/forms/_fields.html`` (add ``TEMPLATE_DIR`` to the Jinja loader), parse what
the browser posts back, and validate it with Chinese messages. See docs/forms.md.
"""

from pathlib import Path

from runtime.forms.errors import FieldError
from runtime.forms.fields import Field, Option, Row, build_fields, build_row
from runtime.forms.materials import (
    Upload,
    UploadedFile,
    applicable_materials,
    build_uploads,
    validate_materials,
)
from runtime.forms.parse import apply_row_action, parse, row_action
from runtime.forms.schema import defaults, field_id, pointer
from runtime.forms.validate import validate
from runtime.forms.visibility import condition_fields, hidden_paths, prune_hidden, visible_paths

TEMPLATE_DIR = Path(__file__).parent / "templates"

__all__ = [
    "TEMPLATE_DIR",
    "Field",
    "FieldError",
    "Option",
    "Row",
    "Upload",
    "UploadedFile",
    "applicable_materials",
    "apply_row_action",
    "build_fields",
    "build_row",
    "build_uploads",
    "condition_fields",
    "defaults",
    "field_id",
    "hidden_paths",
    "parse",
    "pointer",
    "prune_hidden",
    "row_action",
    "validate",
    "validate_materials",
    "visible_paths",
]
