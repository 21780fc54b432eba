"""The shape of the code: layers, no import cycles, services below pages, rooms by area.

The import contracts live in pyproject.toml (``[tool.importlinter]``) and are checked by
import-linter over the whole import graph, type-only imports included.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

from cards.registry import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[1]
MAX_ROOT_MODULES = 12


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _makes_a_blueprint(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
            "Blueprint",
            "partner_blueprint",
        ):
            return True
    return False


def test_every_page_module_is_one_that_services_may_not_import():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (services_below_pages,) = [
        c for c in config["contracts"] if c["name"].startswith("Services never import pages")
    ]
    pages = services_below_pages["forbidden_modules"]
    blueprints = [
        _module(path) for path in (ROOT / "app").rglob("*.py") if _makes_a_blueprint(path)
    ]
    assert len(blueprints) > 10
    uncovered = [m for m in blueprints if not any(m == p or m.startswith(p + ".") for p in pages)]
    assert uncovered == [], "add these page modules to the contract in pyproject.toml"


def test_the_app_package_keeps_few_modules_at_its_root():
    modules = sorted(p.name for p in (ROOT / "app").glob("*.py"))
    assert len(modules) <= MAX_ROOT_MODULES, modules


def test_no_built_in_kind_is_named_in_the_app():
    """What makes kinds different is a hook of cards/spec.py: the app never says
    ``if kind == "survey"``, so a plugin kind can do whatever a built-in one does."""
    built_in = {
        entry.name
        for entry in entry_points(group=ENTRY_POINT_GROUP)
        if entry.value.startswith("cards.")
    }
    assert built_in >= {"product_feed", "youtube", "pinterest", "promotion", "survey"}
    named = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in (ROOT / "app").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in built_in
    ]
    assert named == []
