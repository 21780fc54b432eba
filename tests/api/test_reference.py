"""``/developers/api``: the API's reference for people, drawn from the OpenAPI document."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from pydantic import BaseModel, Field

from app.api.openapi import openapi_document
from app.api.reference import schema_anchor
from cards.registry import registered
from cards.spec import CardDraft, CardKind


class Links(HTMLParser):
    """The page's ids, in-page links and outside addresses."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.fragments: list[str] = []
        self.addresses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value:
                if value.startswith("#"):
                    self.fragments.append(value[1:])
                else:
                    self.addresses.append(value)


def read(client: Any) -> tuple[str, Links]:
    response = client.get("/developers/api")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    links = Links()
    links.feed(html)
    return html, links


def test_every_endpoint_and_schema_of_the_document_is_on_the_page(client):
    document = openapi_document()
    html, links = read(client)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            anchor = f"{method}-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
            assert anchor in links.ids, f"{method.upper()} {path} is missing"
            assert f"<code>{path}</code>" in html
            assert operation["summary"].replace("'", "&#39;") in html
    for name in document["components"]["schemas"]:
        assert schema_anchor(name) in links.ids, f"schema {name} is missing"


def test_every_link_on_the_page_leads_somewhere_and_nothing_comes_from_elsewhere(client):
    _, links = read(client)
    broken = sorted(set(links.fragments) - links.ids)
    assert broken == []
    assert [a for a in links.addresses if re.match(r"(https?:)?//", a)] == []
    assert "/api/v1/openapi.json" in links.addresses  # the same, for programs


def test_fields_say_their_type_whether_required_and_their_limits(client):
    html, _ = read(client)
    section = html.split(f'id="{schema_anchor("ProviderCreate")}"', 1)[1].split("</section>")[0]
    assert '<code>kind</code> <span class="api-required">required</span>' in section
    assert "<code>name</code></th>" in section  # optional
    assert "Target interest slugs. At most 100 items." in section
    listing = html.split('id="get-api-v1-providers"', 1)[1].split("</section>")[0]
    assert "<code>limit (query)</code>" in listing
    assert "Items per page. At least 1; at most 100; default 50." in listing
    assert '<a href="#schema-ProviderPage"><code>ProviderPage</code></a>' in listing


def test_a_kind_installed_later_is_documented_without_editing_anything(client):
    class Tides(BaseModel):
        harbour: str = Field(description="Which harbour's tide table to show.", max_length=80)

    class TideKind(CardKind[Tides]):
        """High and low water for a harbour."""

        name = "tides"
        label = "Tides"
        description = "High and low water."
        card_label = "Tides"
        config_model = Tides

        def refresh(self, config, context):  # type: ignore[no-untyped-def]
            yield CardDraft(external_id="1", title="High water 06:12")

    with registered(TideKind()):
        html, links = read(client)
        assert schema_anchor("KindConfig.tides") in links.ids
        assert "Which harbour&#39;s tide table to show. At most 80 characters." in html
    _, links = read(client)
    assert schema_anchor("KindConfig.tides") not in links.ids


def test_it_needs_no_account_and_may_be_cached_briefly(client):
    response = client.get("/developers/api")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
