"""From YAML to the config dataclasses, collecting every problem with its FILE:LINE.

:mod:`photosync.config` declares the schema (a field's type is what the YAML must hold, its
metadata whether it is required, secret, read from the environment or checked further); this
module walks the YAML against it and reports *all* problems at once, like vdirsyncer.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

Key = tuple[str, ...]


def line_map(node: yaml.Node | None, path: Key = ()) -> dict[Key, int]:
    """Map each key path to the 1-based line it stands on."""
    lines: dict[Key, int] = {}
    if node is None:
        return lines
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = path + (str(key_node.value),)
            lines.update(line_map(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    return lines


def duplicate_keys(node: yaml.Node | None, path: Key = ()) -> list[tuple[Key, int, int]]:
    """Keys given twice in one mapping (YAML loaders silently keep the last): (key, line, first)."""
    found: list[tuple[Key, int, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            name, line = str(key_node.value), key_node.start_mark.line + 1
            if name in seen:
                found.append((path + (name,), line, seen[name]))
            seen.setdefault(name, line)
            found += duplicate_keys(value_node, path + (name,))
    return found


def resolve_path(value: str, config_path: Path) -> Path:
    """Expand ``~`` and ``$VARS``; a relative path is relative to the config file's folder."""
    expanded = Path(os.path.expandvars(os.path.expanduser(value)))
    if not expanded.is_absolute():
        expanded = config_path.resolve().parent / expanded
    return expanded


class _Bad(Exception):
    """A value of the wrong type; the message completes "KEY ..."."""


_INVALID = object()


class Builder:
    """Turns plain YAML data into the dataclasses, collecting problems instead of stopping."""

    def __init__(self, path: Path, lines: dict[Key, int], problems: list[str]):
        self.path = path
        self.lines = lines
        self.problems = problems

    def problem(self, key: Key, message: str) -> None:
        probe = key
        while probe not in self.lines and probe:
            probe = probe[:-1]
        line = self.lines.get(probe, 1)
        self.problems.append(f"config error: {self.path}:{line}: {message}")

    def build(self, cls: type, data: dict[str, Any], key: Key) -> Any:
        """An instance of the dataclass ``cls`` from the mapping ``data`` found at ``key``."""
        hints = typing.get_type_hints(cls)
        known = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
        self._unknown_keys(known, data, key)
        values: dict[str, Any] = {}
        for name, fld in known.items():
            value = self._field(fld, hints[name], data, key + (name,))
            if value is not _INVALID:
                values[name] = value
        try:
            return cls(**values)
        except TypeError:  # a required field was missing; keep going with the defaults
            return cls(**{k: v for k, v in values.items() if k not in _required(cls)})

    def _unknown_keys(self, known: dict[str, Any], data: dict[str, Any], key: Key) -> None:
        for name in data:
            if name not in known:
                dotted = ".".join(key + (str(name),))
                close = difflib.get_close_matches(str(name), list(known), n=1)
                hint = f"; did you mean {'.'.join(key + (close[0],))!r}?" if close else \
                    f"; known keys here: {', '.join(known)}"
                self.problem(key + (str(name),), f"unknown key {dotted!r}{hint}")

    def _field(self, fld: dataclasses.Field[Any], hint: Any, data: dict[str, Any],
               key: Key) -> Any:
        """The value of one field: from the environment, the YAML (converted and checked), or
        ``_INVALID`` to keep its default."""
        meta = fld.metadata
        env = meta.get("env")
        if env and os.environ.get(env):
            return os.environ[env]
        if fld.name not in data:
            if meta.get("required"):
                self.problem(key[:-1], f"{'.'.join(key)} is required")
            return _INVALID
        raw = "off" if meta.get("off") and data[fld.name] is False else data[fld.name]
        value = self.convert(hint, raw, key)
        check = meta.get("check")
        problem = check(value) if check and value is not _INVALID else None
        if problem:
            self.problem(key, f"{'.'.join(key)}: {problem}")
            return _INVALID
        return value

    def convert(self, hint: Any, value: Any, key: Key) -> Any:
        """``value`` as the schema type ``hint``, or ``_INVALID`` (the problem recorded)."""
        args = typing.get_args(hint)
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            return self.convert(next(a for a in args if a is not type(None)), value, key)
        try:
            if dataclasses.is_dataclass(hint):
                return self._section(typing.cast(type, hint), value, key)
            return _scalar(hint, value, self.path)
        except _Bad as bad:
            self.problem(key, f"{'.'.join(key)} {bad}")
            return _INVALID

    def _section(self, cls: type, value: Any, key: Key) -> Any:
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise _Bad("must be a mapping of keys")
        return self.build(cls, value, key)


def _scalar(hint: Any, value: Any, config_path: Path) -> Any:
    """``value`` as the scalar or list type ``hint``; ``_Bad`` says what it must be."""
    if typing.get_origin(hint) is Literal:
        return _literal(typing.get_args(hint), value)
    if typing.get_origin(hint) is list:
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise _Bad("must be a list of strings")
        return [str(v) for v in value]
    if hint is Path:
        if not isinstance(value, str) or not value:
            raise _Bad("must be a path (a string)")
        return resolve_path(value, config_path)
    if hint is bool:
        if not isinstance(value, bool):
            raise _Bad(f"must be true or false (got {value!r})")
        return value
    if hint in (int, float):
        return _number(hint, value)
    if hint is str:
        if isinstance(value, bool):  # YAML reads unquoted off/on/yes/no as booleans
            raise _Bad(f"must be a string (got {value!r}): put quotes around it, e.g. \"off\"")
        if not _plain(value):
            raise _Bad(f"must be a string (got {value!r})")
        return str(value)
    raise AssertionError(f"unsupported schema type {hint!r}")


def _plain(value: Any) -> bool:
    """A YAML scalar that reads as a string (``1.5`` for a version, not ``true``)."""
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _literal(choices: tuple[Any, ...], value: Any) -> Any:
    if value not in choices:
        raise _Bad(f"must be one of {', '.join(map(str, choices))} (got {value!r})")
    return value


def _number(hint: type, value: Any) -> Any:
    if not _plain(value) or isinstance(value, str) or (hint is int and not isinstance(value, int)):
        raise _Bad(f"must be {'a whole number' if hint is int else 'a number'} (got {value!r})")
    return hint(value)


def _required(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get("required")}
