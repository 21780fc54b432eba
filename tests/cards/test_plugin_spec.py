"""Every hook of the card-kind interface is documented, and every kind sticks to it."""

from __future__ import annotations

import ast
import importlib
import inspect
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from app.web.templating import FILTERS
from cards import spec
from cards.registry import all_kinds, get_kind, registered
from cards.spec import CardDraft, CardKind

ROOT = Path(__file__).resolve().parents[2]
BUILT_IN = {
    "product_feed",
    "youtube",
    "pinterest",
    "promotion",
    "survey",
    "editorial",
    "community_post",
}


def documented_hooks() -> dict[str, str]:
    """Hook name -> its docstring, read from the spec's source (attribute docstrings too)."""
    tree = ast.parse(Path(spec.__file__).read_text())
    card_kind = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CardKind")
    docs: dict[str, str] = {}
    body = card_kind.body
    for index, node in enumerate(body):
        if isinstance(node, ast.FunctionDef):
            docs[node.name] = ast.get_docstring(node) or ""
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            following = body[index + 1] if index + 1 < len(body) else None
            is_doc = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
            docs[node.target.id] = following.value.value if is_doc else ""  # type: ignore[union-attr]
    return docs


def test_every_hook_in_the_spec_has_a_docstring():
    hooks = documented_hooks()
    assert {"name", "config_model", "refresh", "template", "handle_action"} <= set(hooks)
    assert [name for name, doc in hooks.items() if not doc.strip()] == []


def test_every_hook_is_described_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    missing = [name for name in documented_hooks() if f"`{name}`" not in guide]
    assert missing == []


def test_every_template_filter_plaza_adds_is_described_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    names = [template_filter.__name__ for template_filter in FILTERS]
    assert "rich_text" in names
    assert [name for name in names if f"`{name}`" not in guide] == []


def test_built_in_kinds_load_through_entry_points():
    assert set(all_kinds()) >= BUILT_IN


def test_every_built_in_kind_is_registered_in_pyproject_as_plugins_are():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    kinds = declared["plaza.card_kinds"]
    assert set(kinds) == BUILT_IN
    for name, target in kinds.items():
        module, _, attribute = target.partition(":")
        assert getattr(importlib.import_module(module), attribute).name == name


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_kinds_define_only_documented_hooks(name):
    kind = get_kind(name)
    hooks = set(documented_hooks())
    own = {
        attr
        for klass in type(kind).__mro__
        if klass not in (CardKind, object)
        for attr in vars(klass)
        if not attr.startswith("_")
    }
    assert own - hooks == set(), f"{name} defines undocumented public hooks"
    assert kind.label and kind.description and kind.card_label
    assert issubclass(kind.config_model, BaseModel)
    assert kind.config_model.model_json_schema()["type"] == "object"
    assert inspect.getdoc(type(kind))


def test_a_kind_can_be_registered_for_one_test_and_is_gone_after():
    class Echo(CardKind):
        """Cards that say what they were configured to say."""

        name = "echo"
        label = "Echo"
        description = "Repeats its config."
        card_label = "Echo"

        def refresh(self, config, context):
            yield CardDraft(external_id="1", title="hello")

    with registered(Echo()):
        assert get_kind("echo").label == "Echo"
    assert "echo" not in all_kinds()
