"""The ``rich_text`` template filter: the one way outside HTML becomes markup on a page.

Card templates (Plaza's and plugins') show a description's formatting through it
and nothing else; the allow-list itself is tested in tests/feeds/test_sanitize.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from markupsafe import Markup

from app.models import Card
from app.web.templating import plugin_template_folders

REL = 'rel="noopener noreferrer nofollow"'


def render(app: Flask, source: str, **context: object) -> str:
    with app.test_request_context():
        return render_template_string(source, **context)


def test_rich_text_is_a_template_filter_that_returns_markup(app):
    rich_text = app.jinja_env.filters["rich_text"]
    context = app.jinja_env.from_string("").new_context({})

    result = rich_text(context, "<p>Bring <b>old</b> shoes<script>alert(1)</script></p>")

    assert isinstance(result, Markup)
    assert result == "<p>Bring <b>old</b> shoes</p>"


def test_formatting_shows_while_the_same_value_printed_plainly_stays_text(app):
    html = '<p onclick="steal()">Up to <strong>50%</strong> off</p>'

    out = render(app, "{{ html|rich_text }}|{{ html }}", html=html)

    rich, plain = out.split("|")
    assert rich == "<p>Up to <strong>50%</strong> off</p>"
    assert (
        plain
        == "&lt;p onclick=&#34;steal()&#34;&gt;Up to &lt;strong&gt;50%&lt;/strong&gt; off&lt;/p&gt;"
    )


@pytest.mark.parametrize(
    "attribute",
    [
        'id="card-1"',
        'id="why-1"',
        'name="csrf_token"',
        'class="card"',
        'style="position:fixed"',
        'hx-get="/account"',
        'hx-post="/cards/1/dismiss"',
        'data-hx-trigger="load"',
        'data-card-id="1"',
        'onclick="steal()"',
    ],
)
def test_nothing_in_it_can_collide_with_plazas_ids_or_act_through_htmx(app, attribute):
    html = f'<p {attribute}>text</p><a href="https://shop.example/" {attribute}>link</a>'

    out = render(app, "{{ html|rich_text }}", html=html)

    assert out == f'<p>text</p><a href="https://shop.example/" {REL}>link</a>'


def test_relative_links_resolve_against_the_cards_url_or_are_dropped(app):
    html = '<a href="map.html">Map</a><img src="/img/store.png" alt="Store">'
    card = Card(title="Clinic", url="https://shop.example/events/clinic")
    template = "{{ html|rich_text }}"

    assert render(app, template, html=html, card=card) == (
        f'<a href="https://shop.example/events/map.html" {REL}>Map</a>'
        '<img src="https://shop.example/img/store.png" alt="Store">'
    )
    # An explicit base wins over the card's URL.
    assert render(app, "{{ html|rich_text('https://cdn.example/a/') }}", html=html, card=card) == (
        f'<a href="https://cdn.example/a/map.html" {REL}>Map</a>'
        '<img src="https://cdn.example/img/store.png" alt="Store">'
    )
    # Without an http(s) address to resolve against, they never point into Plaza.
    for context in ({"card": Card(title="No link", url=None)}, {}):
        assert render(app, template, html=html, **context) == f'<a {REL}>Map</a><img alt="Store">'


@pytest.mark.parametrize("value", [None, 42, ["<b>x</b>"], {"html": "<b>x</b>"}])
def test_anything_but_a_string_renders_as_nothing(app, value):
    assert (
        render(
            app, "[{{ value|rich_text }}][{{ payload.missing|rich_text }}]", value=value, payload={}
        )
        == "[][]"
    )


def test_no_template_plaza_loads_marks_anything_safe_itself(app):
    """Plaza's templates and every installed kind's: rich_text is the only way to markup."""
    loader = app.jinja_loader
    assert loader is not None
    names = loader.list_templates()
    assert "cards/_card.html" in names
    for folder in map(Path, plugin_template_folders()):
        assert {str(p.relative_to(folder)) for p in folder.rglob("*.html")} <= set(names)
    marking = re.compile(r"\|\s*safe\b|autoescape\s+false|Markup\s*\(", re.IGNORECASE)
    comment = re.compile(r"\{#.*?#\}", re.DOTALL)  # a comment may say "never |safe"

    def source(name: str) -> str:
        return comment.sub("", loader.get_source(app.jinja_env, name)[0])

    assert [name for name in names if marking.search(source(name))] == []
