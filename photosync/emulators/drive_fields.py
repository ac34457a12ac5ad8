"""Partial responses: Google's ``fields`` syntax parsed, checked against the API schema, applied.

Syntax (as googleapiclient users write it): ``a,b`` several fields; ``a/b`` a sub-field;
``a(b,c)`` several sub-fields of an object or of every element of a list; ``*`` everything.
``files(id,name,parents),nextPageToken`` is the common shape. A field the resource's schema does
not know answers 400 ``Invalid field selection NAME``, like Drive.
"""

from __future__ import annotations

from typing import Any

# A selection: field name -> nested selection, or None for "the whole value".
Selection = dict[str, "Selection | None"]
ALL = "*"


class FieldsError(ValueError):
    """An invalid ``fields`` value; ``.field`` is the name Drive quotes in its message."""

    def __init__(self, field: str):
        super().__init__(f"Invalid field selection {field}")
        self.field = field


def parse(text: str) -> Selection:
    """Parse a fields expression into a nested selection dict."""
    parser = _Parser(text.replace(" ", ""))
    selection = parser.selection()
    if parser.pos != len(parser.text):
        raise FieldsError(parser.text[parser.pos :] or text)
    return selection


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_*"
        ):
            self.pos += 1
        if start == self.pos:
            raise FieldsError(self.text[start:] or self.text)
        return self.text[start : self.pos]

    def selection(self) -> Selection:
        result: Selection = {}
        while True:
            self.path(result)
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            return result

    def path(self, into: Selection) -> None:
        name = self.name()
        nxt = self.text[self.pos] if self.pos < len(self.text) else ""
        if nxt == "/":
            self.pos += 1
            child = into.get(name) if name in into else {}
            if child is None:  # already selected whole
                scratch: Selection = {}
                self.path(scratch)
                return
            self.path(child)
            into[name] = child
        elif nxt == "(":
            self.pos += 1
            inner = self.selection()
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise FieldsError(self.text)
            self.pos += 1
            existing = into.get(name, {})
            into[name] = None if existing is None else {**existing, **inner}
        else:
            into[name] = None


def validate(selection: Selection, schema: str, schemas: dict[str, Any], prefix: str = "") -> None:
    """Raise FieldsError for a name that ``schema`` (a discovery schema id) does not define."""
    properties = schemas[schema].get("properties", {})
    for name, inner in selection.items():
        if name == ALL:
            continue
        if name not in properties:
            raise FieldsError(prefix + name)
        if inner is None:
            continue
        target = _item_schema(properties[name], schemas)
        if target:
            validate(inner, target, schemas, prefix + name + "/")
        elif "properties" in properties[name]:
            validate(
                inner,
                "__inline__",
                {**schemas, "__inline__": properties[name]},
                prefix + name + "/",
            )
        else:
            raise FieldsError(prefix + name + "/" + next(iter(inner)))


def _item_schema(prop: dict[str, Any], schemas: dict[str, Any]) -> str | None:
    if "$ref" in prop:
        return prop["$ref"]
    items = prop.get("items") or {}
    return items.get("$ref")


def apply(value: Any, selection: Selection | None) -> Any:
    """The parts of a JSON value that ``selection`` names (lists are filtered element-wise)."""
    if selection is None or ALL in selection:
        return value
    if isinstance(value, list):
        return [apply(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    return {name: apply(value[name], inner) for name, inner in selection.items() if name in value}
