"""Every kind's provider form, given bad input, says at each field what to type instead,
in words a retailer reads without knowing pydantic, keeps what was typed and saves nothing."""

from __future__ import annotations

import pytest
from markupsafe import escape
from sqlmodel import select

from app.models import Provider

MACHINE_WORDS = ("Field required", "Input should", "String should", "Value error")


@pytest.mark.parametrize(
    ("kind", "typed", "expected"),
    [
        (
            "product_feed",
            {"config.max_items": "lots"},
            {
                "f-config-url": "Enter the feed address, a web address starting with https://",
                "f-config-max-items": "Enter a whole number for “Most products”, like 200.",
            },
        ),
        (
            "product_feed",
            {"config.url": "shop.example/feed.xml", "config.max_items": "0"},
            {
                "f-config-url": "Enter a full web address starting with https://",
                "f-config-max-items": "Enter 1 or more for “Most products”.",
            },
        ),
        (
            "youtube",
            {"config.source": "channel", "config.max_results": "99999"},
            {
                "f-config-channel-id": "To show videos from a channel, enter a channel ID.",
                "f-config-max-results": "or less for “Most videos”.",
            },
        ),
        (
            "youtube",
            {"config.source": "somewhere"},
            {"f-config-source": "Choose “Videos from”: “A channel&#39;s uploads” or"},
        ),
        (
            "pinterest",
            {},
            {"f-config-url": "Enter the board feed address, a web address starting with https://"},
        ),
        (
            "pinterest",
            {"config.url": "https://www.pinterest.com/acme/summer"},
            {"f-config-url": "Use the board&#39;s RSS address"},
        ),
        (
            "promotion",
            {"config.headline": "H" * 90, "config.starts_at": "next week"},
            {
                "f-config-headline": "Shorten the headline to 80 characters or fewer.",
                "f-config-body": "Enter the text.",
                "f-config-sponsor": "Enter the sponsor.",
                "f-config-cta-url": "Enter the button link, a web address starting with https://",
                "f-config-starts-at": "Choose a date and a time for “Starts”, like 2026-12-01",
                "f-config-ends-at": "Choose a date and a time for “Ends”",
            },
        ),
        (
            "survey",
            {"config.questions.0.id": "Sport Q", "config.questions.0.type": "single"},
            {
                "f-config-title": "Enter the survey title.",
                "f-config-questions-0-id": "Check “Question ID”. A short name",
                "f-config-questions-0-prompt": "Enter the question.",
            },
        ),
    ],
    ids=[
        "feed blank",
        "feed no scheme",
        "youtube channel",
        "youtube source",
        "pinterest blank",
        "pinterest board page",
        "promotion",
        "survey",
    ],
)
def test_bad_input_is_explained_at_its_field_in_words_and_nothing_is_saved(
    partners, client, db, acme, kind, typed, expected
):
    path = f"/portal/acme/providers/new/{kind}"
    token = partners.csrf(client, path)
    response = client.post(
        path, data={"csrf_token": token, "action": "save", "name": "Spring <b>line</b>", **typed}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for anchor, message in expected.items():
        block = page[page.index(f'id="{anchor}"') :][:2000]
        assert message in block, (anchor, block)
        assert f'href="#{anchor}"' in page  # the summary above the form links to it
    for words in MACHINE_WORDS:
        assert words not in page
    for key, value in typed.items():  # what was typed stays in its field, as text
        if key == "config.source":  # a drop-down offers only its own choices
            continue
        assert f'value="{escape(value)}"' in page or f">{escape(value)}<" in page
    assert 'value="Spring &lt;b&gt;line&lt;/b&gt;"' in page
    assert db.exec(select(Provider)).all() == []


def test_the_summary_names_each_field_before_saying_what_to_do(partners, client, acme):
    path = "/portal/acme/providers/new/product_feed"
    token = partners.csrf(client, path)
    page = client.post(path, data={"csrf_token": token, "action": "preview"}).get_data(as_text=True)
    summary = page.split('id="problems"', 1)[1].split("</ul>", 1)[0]
    assert "Feed address: Enter the feed address, a web address starting with https://" in summary
