"""Every library photosync imports is declared in pyproject.toml, not just pulled in by another."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _top_level_imports(package: Path) -> dict[str, str]:
    """Top-level module name -> a file importing it, for every absolute import below ``package``."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], str(path.relative_to(REPO)))
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {_normalise(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0])
            for spec in project["dependencies"]}


def test_every_third_party_import_is_a_declared_dependency():
    distributions = packages_distributions()
    imports = {name: where for name, where in _top_level_imports(REPO / "photosync").items()
               if name not in sys.stdlib_module_names and name != "photosync"}
    assert {"yaml", "wand", "googleapiclient"} <= set(imports)  # the walk sees the imports
    undeclared = []
    for name, where in sorted(imports.items()):
        dists = {_normalise(d) for d in distributions.get(name, [])}
        if not dists & _declared():
            undeclared.append(f"{name} (imported by {where}; installed by {sorted(dists)})")
    assert undeclared == []
