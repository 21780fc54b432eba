"""pinterest: a board's RSS feed becomes one card with its newest pins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from cards.errors import SourceError
from cards.pinterest import PinterestConfig, PinterestKind

KIND = PinterestKind()
BOARD_FEED = "https://www.pinterest.com/northwind/summer-looks.rss"


def pin(number: int, day: int | None, image: str | None = "default", link: str = "") -> str:
    link = link or f"https://www.pinterest.com/pin/{number}/"
    image = f"https://i.pinimg.com/236x/{number}.jpg" if image == "default" else image
    picture = f'&lt;img src="{image}"&gt;' if image else ""
    date = f"<pubDate>{day:02d} Jun 2025 09:00:00 GMT</pubDate>" if day else ""
    return (
        f"<item><title>Pin {number}</title><link>{link}</link>"
        f'<description>&lt;a href="/pin/{number}/"&gt;{picture}&lt;/a&gt;'
        f"Look {number}</description>"
        f"{date}<guid>https://www.pinterest.com/pin/{number}/</guid></item>"
    )


def board(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        "<title>Summer looks</title>"
        "<link>https://www.pinterest.com/northwind/summer-looks/</link>"
        "<description>Light layers for hot days</description>"
        f'<atom:link href="{BOARD_FEED}" rel="self"/>'
        f"<language>en-us</language>{''.join(items)}</channel></rss>"
    )


def refresh(context, url: str = BOARD_FEED):
    return list(KIND.refresh(PinterestConfig(url=url), context))


def test_a_board_becomes_one_card_with_its_six_newest_pins(context, serve):
    serve(
        BOARD_FEED,
        board(
            pin(1, 3),
            pin(2, 12),
            pin(3, 5, link="javascript:alert(1)"),  # dropped: unusable link
            pin(4, 14, image=None),  # dropped: no picture
            pin(5, 1),
            pin(6, 10),
            pin(7, 11),
            pin(2, 13),  # same GUID as pin 2: the first one wins
            pin(8, 7),
            pin(9, None),  # undated: after the dated pins
            pin(10, 9, image="data:image/png;base64,AAAA"),  # dropped: unsafe picture
        ),
    )

    (card,) = refresh(context)

    assert card.external_id == BOARD_FEED
    assert card.title == "Summer looks"
    assert card.url == "https://www.pinterest.com/northwind/summer-looks/"
    assert card.summary == "Light layers for hot days"
    assert card.image_url == "https://i.pinimg.com/236x/2.jpg"
    assert card.published_at == datetime(2025, 6, 12, 9, 0, tzinfo=UTC)
    assert card.payload["board_title"] == "Summer looks"
    assert card.payload["board_url"] == "https://www.pinterest.com/northwind/summer-looks/"
    assert card.payload["pins"] == [
        {
            "title": f"Pin {n}",
            "url": f"https://www.pinterest.com/pin/{n}/",
            "image_url": f"https://i.pinimg.com/236x/{n}.jpg",
        }
        for n in (2, 7, 6, 8, 1, 5)
    ]


def test_relative_pin_links_and_images_resolve_against_the_feed(context, serve):
    serve(BOARD_FEED, board(pin(1, 3, image="/236x/1.jpg", link="/pin/1/")))

    (card,) = refresh(context)

    assert card.payload["pins"] == [
        {
            "title": "Pin 1",
            "url": "https://www.pinterest.com/pin/1/",
            "image_url": "https://www.pinterest.com/236x/1.jpg",
        }
    ]


@pytest.mark.parametrize(
    "items",
    [(), (pin(1, 3, image=None), pin(2, 4, link="javascript:void(0)"))],
    ids=["empty board", "no usable pins"],
)
def test_a_board_without_usable_pins_yields_nothing(context, serve, items):
    serve(BOARD_FEED, board(*items))

    assert refresh(context) == []


def test_not_modified_yields_nothing(context, serve):
    serve(BOARD_FEED, b"", not_modified=True)

    assert refresh(context) == []


def test_a_profile_page_instead_of_a_feed_is_a_source_error(context, serve):
    serve(BOARD_FEED, "<!DOCTYPE html><html><body>Pinterest</body></html>", "text/html")

    with pytest.raises(SourceError, match="HTML page, not a feed"):
        refresh(context)


@pytest.mark.parametrize(
    "url",
    [
        BOARD_FEED,
        "https://www.pinterest.co.uk/northwind/summer-looks.rss",
        "https://pinterest.com/northwind/summer-looks.rss/",
        "http://127.0.0.1:8123/northwind/summer-looks.rss",
    ],
)
def test_config_accepts_board_feeds_on_any_host(url):
    assert PinterestConfig(url=url).url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://www.pinterest.com/northwind/summer-looks/", "with .rss at the end"),
        ("https://www.pinterest.com/northwind.rss", "with .rss at the end"),
        ("https://www.pinterest.com/northwind/summer/looks.rss", "with .rss at the end"),
        ("javascript:alert(1)//northwind/summer-looks.rss", "full web address"),
        ("ftp://www.pinterest.com/northwind/summer-looks.rss", "full web address"),
    ],
)
def test_config_refuses_anything_but_a_board_feed(url, message):
    with pytest.raises(ValidationError, match=message):
        PinterestConfig(url=url)


def test_config_json_schema_generates():
    schema = PinterestConfig.model_json_schema()

    assert schema["required"] == ["url"]
    assert "rss" in schema["properties"]["url"]["description"]
