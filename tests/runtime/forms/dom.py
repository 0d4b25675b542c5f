"""A tiny DOM built with html.parser, and what a browser would post from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import yaml

from runtime.forms import TEMPLATE_DIR

VOID = {"input", "br", "img", "meta", "link", "hr", "area", "base", "col", "source", "wbr"}
CATALOG = Path(__file__).resolve().parents[3] / "catalog" / "matters"


@dataclass
class Element:
    """One element: tag, attributes (None for bare ones like ``hidden``), children, text."""

    tag: str
    attrs: dict[str, str | None]
    parent: Element | None = None
    children: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.attrs

    def iter(self) -> Iterator[Element]:
        for child in self.children:
            yield child
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and all(e.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def by_id(self, id_: str) -> Element:
        found = [e for e in self.iter() if e.get("id") == id_]
        assert len(found) == 1, f"id {id_!r} found {len(found)} times"
        return found[0]

    def text(self) -> str:
        parts = list(self.texts)
        for child in self.children:
            parts.append(child.text())
        return "".join(parts)

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Element(tag, dict(attrs), parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.texts.append(data)


def dom(html: str) -> Element:
    """Parse HTML into an Element tree (root is ``#root``)."""
    builder = _Builder()
    builder.feed(str(html))
    builder.close()
    return builder.root


def posted(root: Element) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser submits for the controls under ``root``."""
    pairs: list[tuple[str, str]] = []
    for e in root.iter():
        name = e.get("name")
        if not name or e.has("disabled"):
            continue
        if e.tag == "input":
            kind = (e.get("type") or "text").lower()
            if kind in ("file", "submit", "button", "image", "reset"):
                continue
            if kind in ("checkbox", "radio") and not e.has("checked"):
                continue
            value = e.get("value") or ""
            if kind not in ("checkbox", "radio", "hidden"):
                value = value.replace("\r", "").replace("\n", "")
            pairs.append((name, value))
        elif e.tag == "select":
            options = e.find_all("option")
            chosen = [o for o in options if o.has("selected")] or options[:1]
            if chosen:
                value = chosen[-1].get("value")
                pairs.append((name, value if value is not None else chosen[-1].text()))
        elif e.tag == "textarea":
            text = e.text()
            pairs.append((name, text[1:] if text.startswith("\n") else text))
    return pairs


def macros() -> Any:
    """The macro module of forms/_fields.html in an autoescaping environment."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("forms/_fields.html").module


def matter(name: str = "enterprise-establishment") -> dict[str, Any]:
    """A catalog matter as plain YAML data."""
    with open(CATALOG / f"{name}.yaml", encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh))
