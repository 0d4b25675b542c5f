"""The kinds of formal documents (文书) and their titles: apart from the rendering, so the
timeline and the pages name a document by its title without importing the renderer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "Kind"]


@dataclass(frozen=True)
class Kind:
    """One kind of document: its id in URLs and its title."""

    id: str
    title: str


KINDS: dict[str, Kind] = {k.id: k for k in (
    Kind("receipt", "受理通知书"),
    Kind("supplement", "补正材料通知书"),
    Kind("refusal", "不予受理决定书"),
    Kind("decision", "不予许可决定书"),
    Kind("payment", "缴款通知书"),
    Kind("commitment", "容缺受理承诺书"),
    Kind("delivery", "送达回证"),
)}
