"""Hostile text in values, titles, help, options and file names comes out escaped."""

from __future__ import annotations

from typing import Any

from runtime.forms import build_fields, build_row, build_uploads, validate, validate_materials
from tests.runtime.forms.dom import Element, dom, macros

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
EVIL = SCRIPT + IMG

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "title": EVIL, "description": EVIL, "maxLength": 3},
        "note": {"type": "string", "title": EVIL},
        "count": {"type": "number", "title": EVIL},
        "flag": {"type": "boolean", "title": EVIL},
        "pick": {"enum": [SCRIPT, IMG], "title": EVIL},
        "choose": {"enum": [SCRIPT, IMG], "title": EVIL},
        "group": {"type": "object", "title": EVIL,
                  "properties": {"inner": {"type": "string", "title": EVIL}}},
        "rows": {"type": "array", "title": EVIL, "items": {
            "type": "object", "title": EVIL,
            "properties": {"cell": {"type": "string", "title": EVIL}}}},
    },
}
UI = {"fields": {
    "name": {"help": EVIL, "placeholder": EVIL},
    "note": {"widget": "textarea", "placeholder": EVIL},
    "choose": {"widget": "radio", "help": EVIL},
}}
DATA = {"name": EVIL, "note": "</textarea>" + EVIL, "count": EVIL, "pick": EVIL,
        "group": {"inner": EVIL}, "rows": [{"cell": EVIL}], EVIL: EVIL}
MATERIALS = [{"id": "m", "name": EVIL, "note": EVIL, "accept": ["pdf", "<b>"]}]
UPLOADED = {"m": [{"id": EVIL, "name": EVIL + ".exe", "size": 1}]}


def assert_inert(root: Element) -> None:
    tags = {e.tag for e in root.iter()}
    assert "script" not in tags and "img" not in tags and "b" not in tags
    for e in root.iter():
        assert not [a for a in e.attrs if a.lower().startswith("on")], e.attrs


def test_everything_rendered_is_escaped() -> None:
    errors = validate(SCHEMA, DATA, ui=UI) + validate_materials(MATERIALS, DATA, UPLOADED)
    assert any(SCRIPT in e.message for e in errors)
    forms = macros()
    html = "".join([
        str(forms.error_summary(errors)),
        str(forms.body(build_fields(SCHEMA, UI, DATA, errors), live_url=EVIL,
                       add_row_url=EVIL)),
        str(forms.row(build_row(SCHEMA, UI, "rows", 1, DATA, errors), live_url=EVIL)),
        str(forms.uploads(build_uploads(MATERIALS, DATA, UPLOADED, errors))),
    ])
    assert SCRIPT not in html and "<img" not in html
    root = dom(html)
    assert_inert(root)
    # the text survives intact for people to read
    assert root.by_id("f-name").get("value") == EVIL
    assert root.by_id("f-note").text().removeprefix("\n") == "</textarea>" + EVIL
    assert root.find("label", for_="f-name").text().startswith(EVIL)
    assert [o.get("value") for o in root.by_id("f-pick").find_all("option")] == ["", SCRIPT, IMG]
    uploaded = root.find("div", data_material="m").find("li")
    assert uploaded.text().startswith(EVIL + ".exe")
