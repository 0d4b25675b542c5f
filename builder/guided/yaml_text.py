"""The matter document as YAML text, laid out the way people write catalog files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from builder.guided.values import _is_scalar


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{properties: {...}, required: [x]}``."""


class _Quoted(str):
    """A string written in double quotes, as docs/catalog.md asks for patterns."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # "  - id: x" under "steps:", as people write

    def ignore_aliases(self, data: Any) -> bool:
        return True  # never &id001 anchors, even when one object appears twice


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # PyYAML writes NEL and the Unicode line separators unescaped in single quotes and
    # reads them back as spaces; double quotes escape them.
    style = '"' if any(c in value for c in "\x85\u2028\u2029") else (
        "|" if "\n" in value else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = all(_is_scalar(v) and "\n" not in str(v) for v in value) and _width(value) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Quoted, _represent_quoted)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_Flow, _represent_flow)


def _width(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


_ONE_LINE = {"when", "visible_when", "if", "then", "else", "certificate", "needs"}


def _styled(value: Any, key: str = "", parent: str = "") -> Any:
    """Conditions, needs, certificates and short ui hints on one line; the rest in blocks."""
    if isinstance(value, list):
        return [_styled(v, key, key) for v in value]
    if isinstance(value, str):
        return _Quoted(value) if key == "pattern" and "\n" not in value else value
    if not isinstance(value, dict):
        return value
    text = json.dumps(value, ensure_ascii=False)
    flat = all(_is_scalar(v) for v in value.values())
    if "\\n" not in text and ((key in _ONE_LINE and len(text) <= 100)
                               or (parent == "fields" and flat and len(text) <= 60)):
        return _Flow(value)
    return {k: _styled(v, k, key) for k, v in value.items()}


def to_yaml(doc: Mapping[str, Any]) -> str:
    """The matter as YAML text: block style, Chinese as is, multi-line text as ``|``."""
    text: str = yaml.dump(_styled(dict(doc)), Dumper=_Dumper, allow_unicode=True,
                          sort_keys=False, width=10_000, default_flow_style=False)
    spaced = _spaced(text)
    # A blank line is only layout; should it ever fall inside a kept block, drop them.
    return spaced if yaml.safe_load(spaced) == yaml.safe_load(text) else text


def _spaced(text: str) -> str:
    out: list[str] = []
    section = ""
    for line in text.splitlines(keepends=True):
        if line.strip() and line[0] not in " -":
            section = line.split(":", 1)[0]
            if section in ("form", "ui", "materials", "steps") and out:
                out.append("\n")
        elif section == "steps" and line.startswith("  - ") and not out[-1].startswith(
                "steps:"):
            out.append("\n")
        out.append(line)
    return "".join(out)



def dump_block(value: Any) -> str:
    """One value (a mapping, a list or a scalar) in the layout of ``to_yaml``, at column 0."""
    text: str = yaml.dump(_styled(value), Dumper=_Dumper, allow_unicode=True,
                          sort_keys=False, width=10_000, default_flow_style=False)
    return text[:-4] if text.endswith("\n...\n") else text
