"""Flickr's tag rules: parsing a tag string, normalising, machine tags and machine-tag queries.

Flickr keeps each tag's ``raw`` text and a normalised ``clean`` form (lower case, no spaces or
punctuation; a machine tag keeps its ``ns:pred=``) used by the ``tags`` extra and tag searches.
Machine tags (``namespace:predicate=value``) are also returned whole, lower-cased and unquoted,
by the ``machine_tags`` extra.
"""

from __future__ import annotations

import re

MAX_TAGS = 75
_MACHINE = re.compile(r"^([a-z_][a-z0-9_]*):([a-z_][a-z0-9_]*)=(.+)$", re.IGNORECASE)
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')


def parse_tag_string(text: str) -> list[str]:
    """Space-separated tags; double quotes group words (``"new york"``, ``ns:p="a b"``)."""
    tags = []
    for token in _TOKEN.findall(text or ""):
        tag = token.replace('"', "").strip()
        if tag:
            tags.append(tag)
    return tags


def parse_tag_list(text: str) -> list[str]:
    """A comma-separated list (the ``tags`` search argument)."""
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def clean(raw: str) -> str:
    """Flickr's normalised tag: lower case, letters and digits only. A machine tag keeps its
    ``namespace:predicate=`` and only its value is cleaned, as Flickr shows it
    (raw ``lens:type=17-55mm F/2.8`` -> ``lens:type=1755mmf28``)."""
    match = _MACHINE.match(raw.strip())
    if match:
        return f"{match.group(1)}:{match.group(2)}=".lower() + _plain(match.group(3))
    return _plain(raw)


def _plain(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def machine(raw: str) -> str | None:
    """``namespace:predicate=value`` lower-cased, or None when ``raw`` is not a machine tag."""
    match = _MACHINE.match(raw.strip())
    if not match:
        return None
    return f"{match.group(1)}:{match.group(2)}={match.group(3)}".lower()


def parse_machine_query(query: str) -> tuple[str | None, str | None, str | None] | None:
    """``ns:pred=value`` with parts left empty or ``*`` as wildcards; None if not a query."""
    query = query.strip().replace('"', "").lower()
    if ":" not in query:
        return None
    namespace, _, rest = query.partition(":")
    predicate, has_value, value = rest.partition("=")

    def part(text: str) -> str | None:
        return None if text in ("", "*") else text

    if not namespace and not predicate and not value:
        return None
    return part(namespace), part(predicate), part(value) if has_value else None


def machine_matches(
    machine_tags: list[str], query: tuple[str | None, str | None, str | None]
) -> bool:
    namespace, predicate, value = query
    for tag in machine_tags:
        ns, _, rest = tag.partition(":")
        pred, _, val = rest.partition("=")
        if (
            (namespace is None or ns == namespace)
            and (predicate is None or pred == predicate)
            and (value is None or val == value)
        ):
            return True
    return False
