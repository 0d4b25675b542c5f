"""Where things stand in YAML text: line starts and ends, where a node's own text ends,
and whether a piece of text reads back as a value. Shared by the guided editor's patches
(`builder.guided.patch`) and the administrator's small catalog edits
(`runtime.services.yaml_edit`)."""

from __future__ import annotations

from typing import Any

import yaml


def reads_as(text: str, expected: Any) -> bool:
    """True when ``text`` means ``expected`` both as a block value and inside ``{…}``."""
    try:
        return bool(yaml.safe_load(f"k: {text}") == {"k": expected} and
                    yaml.safe_load(f"- {{k: {text}}}") == [{"k": expected}])
    except yaml.YAMLError:
        return False


def line_start(text: str, index: int) -> int:
    """The index where the line holding ``index`` starts."""
    return text.rfind("\n", 0, index) + 1


def after_line(text: str, index: int) -> int:
    """Just past the line holding ``index`` (or ``index``'s line start when only blanks
    lie before it: the node ended on the line before)."""
    start = line_start(text, index)
    if not text[start:index].strip():
        return start
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def node_end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark lies past the
    comments that follow it: take its last child's end)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style \
            and node.value:
        last = node.value[-1]
        return node_end(last[1] if isinstance(last, tuple) else last)
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        return _block_scalar_end(node)
    return int(node.end_mark.index)


def _block_scalar_end(node: yaml.ScalarNode) -> int:
    """The index just before the line break ending a block scalar's last content line."""
    end = int(node.end_mark.index)
    text = node.end_mark.buffer or ""
    start = int(node.start_mark.index)
    while end > start and text[end - 1] in " \n\r":
        end -= 1
    return end
