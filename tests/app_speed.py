"""Making a test app cheap: the suite makes one per test, thousands in all.

A Flask app of Plaza's ~400 routes costs about 0.25 s to create, nearly all of it
Werkzeug compiling a URL builder for each rule (``Rule._compile_builder``: an AST
turned into a function by ``compile``), and each app compiles every template it
renders afresh in its own Jinja environment: together about a third of the suite's
time, spent again and again on the same rules and templates.

* The URL builders: a builder is a function of the rule's text, its parsed parts and
  its defaults only; the rule it serves is bound to it later (``__get__``), so one
  compiled builder serves every app's copy of the same rule.
* The templates: Jinja's own ``FileSystemBytecodeCache`` shares compiled templates
  between apps, keyed by template and checked against the source's checksum.

Production makes one app per process and is not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import FileSystemBytecodeCache
from werkzeug.routing.rules import Rule

Builder = Callable[..., tuple[str, str]]


def share_url_builders() -> None:
    """Every Werkzeug rule compiles its URL builders once per process, whichever app
    it belongs to."""
    compile_builder: Callable[[Rule, bool], Builder] = Rule._compile_builder
    if getattr(compile_builder, "shared", False):
        return
    compiled: dict[tuple[Any, ...], Builder] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Builder:
        defaults = tuple(sorted((key, repr(value)) for key, value in (self.defaults or {}).items()))
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    shared.shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]


def share_compiled_templates(app: Flask, directory: Path) -> None:
    """``app`` takes its compiled templates from ``directory``, where other apps left them."""
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(directory))
