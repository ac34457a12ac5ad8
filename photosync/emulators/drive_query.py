"""Drive's ``q`` search language: a tokenizer and a recursive-descent parser to a predicate.

Covers what real clients send (``'ID' in parents``, ``trashed = false``, ``name = '..'``,
``name contains '..'``, ``mimeType = / != '..'``, ``appProperties has { key='k' and value='v' }``,
``modifiedTime > '2020-01-01T00:00:00'``, ``'me' in owners``, ``sharedWithMe`` (alone or
``= true``), ``and``/``or``/``not`` and parentheses) and refuses the rest with :class:`QueryError`
(400 ``invalid`` on ``q``), as Drive
does. A predicate takes a :class:`~photosync.emulators.drive_files.DriveFile`-like object and the
caller's email (for ``'me' in owners``). :func:`parse_bounded` also says which parent folders
every match lies in (``'A' in parents or 'B' in parents ...`` and'ed with anything), so a listing
of a million files reads only those folders' children instead of testing every file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Predicate = Callable[[Any, str], bool]
Bound = frozenset[str] | None  # parent ids every match has one of; None: no such bound

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<op>!=|<=|>=|=|<|>)
    | (?P<punct>[(){}])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)

KEYWORDS = {"and", "or", "not", "contains", "in", "has", "true", "false"}
STRING_FIELDS = {
    "name": ("=", "!=", "contains"),
    "mimeType": ("=", "!=", "contains"),
    "fullText": ("contains",),
}
BOOL_FIELDS = {"trashed", "starred", "sharedWithMe"}
BARE_BOOLEANS = {"sharedWithMe"}  # may stand alone as a term, as Drive's search guide shows
DATE_FIELDS = {"modifiedTime", "createdTime", "viewedByMeTime"}
COLLECTIONS = {"parents", "owners", "writers", "readers"}
MAPS = {"appProperties", "properties"}
COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class QueryError(ValueError):
    """The query is not valid Drive syntax (Drive answers 400 ``Invalid Value``)."""


@dataclass
class Token:
    kind: str  # string | op | punct | word | end
    value: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.lastgroup == "bad":
            raise QueryError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        elif kind == "word" and value.lower() in KEYWORDS:
            value = value.lower()
        tokens.append(Token(kind, value))
        pos = match.end()
    tokens.append(Token("end", ""))
    return tokens


def parse(text: str, aliases: dict[str, str] | None = None) -> Predicate:
    """Compile a ``q`` string; an empty query matches everything. ``aliases`` maps ids such as
    ``root`` to the real ids they stand for in ``'root' in parents``."""
    return parse_bounded(text, aliases)[0]


def parse_bounded(text: str, aliases: dict[str, str] | None = None) -> tuple[Predicate, Bound]:
    """:func:`parse`, and the parent ids every matching file has one of (None: unbounded)."""
    if not text.strip():
        return (lambda f, me: True), None
    parser = _Parser(tokenize(text), aliases or {})
    predicate, bound = parser.expression()
    if parser.peek().kind != "end":
        raise QueryError(f"unexpected {parser.peek().value!r}")
    return predicate, bound


class _Parser:
    def __init__(self, tokens: list[Token], aliases: dict[str, str]):
        self.tokens = tokens
        self.aliases = aliases
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self, kind: str | None = None, value: str | None = None) -> Token:
        token = self.peek()
        if (kind and token.kind != kind) or (value is not None and token.value != value):
            wanted = value or kind
            raise QueryError(f"expected {wanted}, found {token.value or 'end of query'!r}")
        self.pos += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token.kind in ("word", "punct", "op") and token.value == value:
            self.pos += 1
            return True
        return False

    def expression(self) -> tuple[Predicate, Bound]:
        terms = [self.conjunction()]
        while self.accept("or"):
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        tests = [t for t, _ in terms]
        bounds = [b for _, b in terms]
        bound = None if None in bounds else frozenset().union(*bounds)  # type: ignore[arg-type]
        return (lambda f, me: any(t(f, me) for t in tests)), bound

    def conjunction(self) -> tuple[Predicate, Bound]:
        terms = [self.unary()]
        while self.accept("and"):
            terms.append(self.unary())
        if len(terms) == 1:
            return terms[0]
        tests = [t for t, _ in terms]
        bound = min((b for _, b in terms if b is not None), key=len, default=None)
        return (lambda f, me: all(t(f, me) for t in tests)), bound

    def unary(self) -> tuple[Predicate, Bound]:
        if self.accept("not"):
            negated, _ = self.unary()
            return (lambda f, me: not negated(f, me)), None
        if self.accept("("):
            inner = self.expression()
            self.take("punct", ")")
            return inner
        if self.peek().kind == "string":
            return self.membership()
        return self.term(), None

    def term(self) -> Predicate:
        field = self.take("word").value
        if field in MAPS:
            return self.map_has(field)
        op = self.peek()
        if (
            field in BARE_BOOLEANS and op.kind != "op"
        ):  # Drive's own example: "sharedWithMe and ..."
            return lambda f, me: bool(getattr(f, field, False))
        if op.kind == "op" or op.value == "contains":
            self.pos += 1
            return self.comparison(field, op.value)
        raise QueryError(f"expected an operator after {field!r}")

    def membership(self) -> tuple[Predicate, Bound]:
        value = self.take("string").value
        self.take("word", "in")
        collection = self.take("word").value
        if collection not in COLLECTIONS:
            raise QueryError(f"'in' needs one of {sorted(COLLECTIONS)}, not {collection!r}")
        if collection == "parents":
            parent = self.aliases.get(value, value)
            return (lambda f, me: parent in f.parents), frozenset((parent,))
        return (lambda f, me: (me if value == "me" else value) == f.owner), None

    def map_has(self, field: str) -> Predicate:
        self.take("word", "has")
        self.take("punct", "{")
        self.take("word", "key")
        self.take("op", "=")
        key = self.take("string").value
        self.take("word", "and")
        self.take("word", "value")
        self.take("op", "=")
        value = self.take("string").value
        self.take("punct", "}")
        return lambda f, me: (getattr(f, field) or {}).get(key) == value

    def comparison(self, field: str, op: str) -> Predicate:
        if field in STRING_FIELDS:
            if op not in STRING_FIELDS[field]:
                raise QueryError(f"{field} does not support {op!r}")
            return string_predicate(field, op, self.take("string").value)
        if field in BOOL_FIELDS:
            if op not in ("=", "!="):
                raise QueryError(f"{field} does not support {op!r}")
            word = self.take("word").value
            if word not in ("true", "false"):
                raise QueryError(f"{field} compares with true or false, not {word!r}")
            wanted = (word == "true") == (op == "=")
            return lambda f, me: bool(getattr(f, field, False)) == wanted
        if field in DATE_FIELDS:
            if op not in COMPARE:
                raise QueryError(f"{field} does not support {op!r}")
            when = parse_time(self.take("string").value)
            compare = COMPARE[op]
            return lambda f, me: compare(getattr(f, field, 0.0) or 0.0, when)
        raise QueryError(f"unknown search field {field!r}")


def string_predicate(field: str, op: str, value: str) -> Predicate:
    """name contains is a case-insensitive prefix match on the name's words, as Drive documents."""
    if op == "=":
        return lambda f, me: getattr(f, field) == value
    if op == "!=":
        return lambda f, me: getattr(f, field) != value
    if field == "mimeType":
        return lambda f, me: value in f.mimeType
    needle = value.lower()

    def contains(f: Any, me: str) -> bool:
        name = f.name.lower()
        return name.startswith(needle) or any(
            word.startswith(needle) for word in re.split(r"[^0-9a-z]+", name) if word
        )

    return contains


def parse_time(text: str) -> float:
    """RFC 3339 (``Z``, offset or none = UTC) to epoch seconds."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(f"bad date {text!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()
