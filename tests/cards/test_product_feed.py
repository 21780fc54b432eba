"""product_feed: RSS 2.0, Atom and Google Merchant documents become product drafts."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from cards.errors import SourceError
from cards.product_feed import ProductFeedConfig, ProductFeedKind

FEED_URL = "https://shop.example/feeds/products.xml"
KIND = ProductFeedKind()

MERCHANT_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
<channel>
  <title>Northwind Outfitters</title>
  <link>https://shop.example/</link>
  <description>Everything for the trail</description>
  <item>
    <g:id>SKU-1</g:id>
    <title>Trail Runner 2 &amp; more</title>
    <link>/products/trail-runner-2</link>
    <description><![CDATA[<p>Grippy <b>and</b> light.</p><script>alert(1)</script>]]></description>
    <g:price>89.00 USD</g:price>
    <g:sale_price>69.00 USD</g:sale_price>
    <g:availability>in stock</g:availability>
    <g:brand>Northwind</g:brand>
    <g:image_link>https://cdn.shop.example/trail-runner-2.jpg</g:image_link>
    <g:google_product_category>Apparel &amp; Accessories &gt; Shoes</g:google_product_category>
    <g:product_type>Shoes &gt; Running</g:product_type>
    <g:shipping><g:country>US</g:country><g:price>5.00 USD</g:price></g:shipping>
    <pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate>
  </item>
  <item>
    <g:id>SKU-2</g:id>
    <title>Cast iron skillet</title>
    <link>https://shop.example/products/skillet</link>
    <description>Seasoned and ready.</description>
    <g:price>45,50 EUR</g:price>
    <g:availability>out_of_stock</g:availability>
    <g:product_type>Home &amp; Garden &gt; Kitchen</g:product_type>
    <g:image_link>/img/skillet.jpg</g:image_link>
  </item>
</channel>
</rss>
"""


def refresh(context, **config):
    return list(KIND.refresh(ProductFeedConfig(url=FEED_URL, **config), context))


def rss_items(*items: str, namespaces: str = 'xmlns:g="http://base.google.com/ns/1.0"') -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {namespaces}><channel>'
        f"<title>Shop</title><link>https://shop.example/</link>{''.join(items)}</channel></rss>"
    )


def item(guid: str, link: str, extra: str = "", title: str = "A product") -> str:
    return (
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
        f"<link>{link}</link>{extra}</item>"
    )


def test_merchant_rss_items_become_product_drafts(context, serve):
    serve(FEED_URL, MERCHANT_RSS)

    runner, skillet = refresh(context)

    assert runner.external_id == "SKU-1"
    assert runner.title == "Trail Runner 2 & more"
    assert runner.url == "https://shop.example/products/trail-runner-2"
    assert runner.summary == "Grippy and light."
    assert runner.image_url == "https://cdn.shop.example/trail-runner-2.jpg"
    # Most specific interest first: the product type is more precise than the category.
    assert runner.interests == ["apparel/shoes/running", "apparel/shoes", "apparel"]
    assert runner.published_at == datetime(2025, 6, 10, 4, 0, tzinfo=UTC)
    assert runner.payload == {
        "price": "89.00",
        "currency": "USD",
        "sale_price": "69.00",
        "availability": "in_stock",
        "brand": "Northwind",
        "product_type": "Shoes > Running",
        "google_product_category": "Apparel & Accessories > Shoes",
    }
    assert skillet.payload["price"] == "45.50"
    assert skillet.payload["currency"] == "EUR"
    assert skillet.payload["availability"] == "out_of_stock"
    assert skillet.payload["sale_price"] is None
    assert skillet.image_url == "https://shop.example/img/skillet.jpg"
    assert skillet.interests == ["home/kitchen", "home"]
    assert skillet.published_at is None


def test_atom_feed_with_google_fields_under_another_prefix(context, serve):
    serve(
        FEED_URL,
        """<?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xmlns:gm="http://base.google.com/ns/1.0">
          <title>Northwind</title><id>urn:northwind</id><updated>2025-06-01T00:00:00Z</updated>
          <entry>
            <id>tag:shop.example,2025:boots</id>
            <gm:id>BOOT-9</gm:id>
            <title>Hiking boots</title>
            <link rel="alternate" href="https://shop.example/boots"/>
            <summary>Waterproof.</summary>
            <updated>2025-06-02T10:30:00+02:00</updated>
            <gm:price>USD 129.99</gm:price>
            <gm:availability>preorder</gm:availability>
            <gm:image_link>https://cdn.shop.example/boots.jpg</gm:image_link>
            <gm:product_type>Footwear &gt; Hiking</gm:product_type>
          </entry>
        </feed>""",
        content_type="application/atom+xml",
    )

    (boots,) = refresh(context)

    assert boots.external_id == "BOOT-9"
    assert boots.url == "https://shop.example/boots"
    assert boots.payload["price"] == "129.99"
    assert boots.payload["currency"] == "USD"
    assert boots.payload["availability"] == "preorder"
    assert boots.image_url == "https://cdn.shop.example/boots.jpg"
    assert boots.published_at == datetime(2025, 6, 2, 8, 30, tzinfo=UTC)
    assert boots.interests == ["apparel/shoes", "sports/hiking"]


def test_plain_rss_without_google_fields(context, serve):
    serve(
        FEED_URL,
        """<?xml version="1.0"?>
        <rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
        <channel><title>Blog shop</title>
          <item><title>Apron</title><link>https://shop.example/apron</link>
            <guid isPermaLink="false">apron-1</guid><category>Kitchen</category>
            <description>&lt;img src="/img/apron.jpg"&gt; Linen apron</description></item>
          <item><title>Mug</title><link>https://shop.example/mug</link>
            <media:content url="https://cdn.shop.example/mug.jpg" medium="image"/></item>
          <item><title>Tray</title><link>https://shop.example/tray</link>
            <enclosure url="https://cdn.shop.example/tray.png" type="image/png" length="10"/></item>
        </channel></rss>""",
    )

    apron, mug, tray = refresh(context)

    assert apron.external_id == "apron-1"
    assert apron.summary == "Linen apron"
    assert apron.image_url == "https://shop.example/img/apron.jpg"
    assert apron.interests == ["home/kitchen"]
    assert apron.payload == {
        "price": None,
        "currency": None,
        "sale_price": None,
        "availability": None,
        "brand": None,
        "product_type": None,
        "google_product_category": None,
    }
    assert mug.external_id == "https://shop.example/mug"  # no id and no guid: the link
    assert mug.image_url == "https://cdn.shop.example/mug.jpg"
    assert tray.image_url == "https://cdn.shop.example/tray.png"


CAFE = (
    '<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>Café</title>'
    "<item><title>Crème brûlée set</title><link>https://shop.example/creme</link></item>"
    "</channel></rss>"
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            CAFE.format(declared="utf-8").encode("latin-1"),
            "application/rss+xml",
            id="latin-1 bytes declared utf-8",
        ),
        pytest.param(
            CAFE.format(declared="iso-8859-1").encode("utf-8"),
            "application/rss+xml",
            id="utf-8 bytes declared latin-1",
        ),
        pytest.param(
            CAFE.replace(' encoding="{declared}"', "").encode("cp1252"),
            "application/xml; charset=windows-1252",
            id="encoding only in the content-type header",
        ),
        pytest.param(
            CAFE.replace(' encoding="{declared}"', "").encode("utf-8"),
            "",
            id="no declaration and no content-type",
        ),
        pytest.param(
            CAFE.format(declared="utf-16").encode("utf-16"),
            "application/rss+xml",
            id="utf-16 with a byte-order mark",
        ),
    ],
)
def test_wrong_or_missing_encoding_declarations_still_read_accents(
    context, serve, body, content_type
):
    serve(FEED_URL, body, content_type=content_type)

    (draft,) = refresh(context)

    assert draft.title == "Crème brûlée set"


def test_html_page_instead_of_a_feed_is_a_source_error(context, serve):
    serve(
        FEED_URL,
        "<!DOCTYPE html><html><head><title>Shop</title>"
        '<link rel="alternate" type="application/rss+xml" href="/feed.rss"></head>'
        "<body><h1>Welcome</h1></body></html>",
        content_type="text/html; charset=utf-8",
    )

    with pytest.raises(SourceError) as raised:
        refresh(context)

    assert raised.value.message == (
        "The address returned an HTML page, not a feed. The page links to a feed at "
        "https://shop.example/feed.rss; use that address instead."
    )


def test_empty_body_is_a_source_error(context, serve):
    serve(FEED_URL, b"")

    with pytest.raises(SourceError, match="empty response"):
        refresh(context)


def test_truncated_feed_keeps_the_items_that_were_complete(context, serve):
    whole = rss_items(
        item("a", "https://shop.example/a"),
        item("b", "https://shop.example/b"),
        item("c", "https://shop.example/c"),
    )
    serve(FEED_URL, whole[: whole.index(">c</guid>") + 6])

    drafts = refresh(context)

    assert [d.external_id for d in drafts] == ["a", "b"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://shop.example/a</link></item></channel></rss>"""


def test_billion_laughs_is_refused_without_expanding(context, serve):
    serve(FEED_URL, BILLION_LAUGHS)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(SourceError, match="XML entities"):
            refresh(context)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 5_000_000
    assert time.perf_counter() - started < 30  # an expansion would take far longer


def test_external_entity_never_reads_a_file(context, serve):
    serve(
        FEED_URL,
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<rss version="2.0"><channel><title>&xxe;</title>'
        "<item><title>&xxe;</title><link>https://shop.example/a</link></item></channel></rss>",
    )

    with pytest.raises(SourceError) as raised:
        refresh(context)

    assert "root:" not in raised.value.message


def test_odd_dates_become_none_and_future_dates_are_capped(context, serve):
    serve(
        FEED_URL,
        rss_items(
            item("odd", "https://shop.example/odd", "<pubDate>the day after tomorrow</pubDate>"),
            item(
                "bad", "https://shop.example/bad", "<pubDate>Mon, 45 Foo 2025 99:00 GMT</pubDate>"
            ),
            item(
                "future", "https://shop.example/future", "<pubDate>2099-01-01T00:00:00Z</pubDate>"
            ),
            item(
                "offset",
                "https://shop.example/offset",
                "<pubDate>Sun, 1 Jun 2025 09:00:00 -0500</pubDate>",
            ),
        ),
    )

    odd, bad, future, offset = refresh(context)

    assert odd.published_at is None
    assert bad.published_at is None
    assert future.published_at == context.now
    assert offset.published_at == datetime(2025, 6, 1, 14, 0, tzinfo=UTC)


def test_duplicate_guids_keep_the_first_item(context, serve):
    serve(
        FEED_URL,
        rss_items(
            item("same", "https://shop.example/first", title="First"),
            item("other", "https://shop.example/other", title="Other"),
            item("same", "https://shop.example/second", title="Second"),
        ),
    )

    drafts = refresh(context)

    assert [(d.external_id, d.title) for d in drafts] == [("same", "First"), ("other", "Other")]


def test_javascript_links_drop_the_item_and_bad_images_are_ignored(context, serve):
    serve(
        FEED_URL,
        rss_items(
            item("js", "javascript:alert(document.cookie)"),
            item("tab", "java&#9;script:alert(1)"),
            item("data", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"),
            item(
                "ok",
                "https://shop.example/ok",
                "<g:image_link>javascript:alert(1)</g:image_link>"
                "<g:link>vbscript:msgbox(1)</g:link>",
            ),
        ),
    )

    (draft,) = refresh(context)

    assert draft.external_id == "ok"
    assert draft.url == "https://shop.example/ok"
    assert draft.image_url is None


def test_relative_links_resolve_against_the_final_address(context, serve):
    serve(
        FEED_URL,
        rss_items(
            item("rel", "products/1", "<g:image_link>../img/1.jpg</g:image_link>"),
            item("root", "/products/2"),
        ),
        base_url="https://cdn.shop.example/exports/feed.xml",  # after a redirect
    )

    first, second = refresh(context)

    assert first.url == "https://cdn.shop.example/exports/products/1"
    assert first.image_url == "https://cdn.shop.example/img/1.jpg"
    assert second.url == "https://cdn.shop.example/products/2"


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("89.00 USD", ("89.00", "USD")),
        ("USD 89.00", ("89.00", "USD")),
        ("89,00 EUR", ("89.00", "EUR")),
        ("$89", ("89.00", "USD")),
        ("1,299.5 USD", ("1299.50", "USD")),
        ("1.299,00 EUR", ("1299.00", "EUR")),
        ("£7", ("7.00", "GBP")),
        ("free", (None, None)),
        ("-5 USD", (None, None)),
        ("12.00", (None, None)),
    ],
)
def test_prices_in_several_formats(context, serve, price, expected):
    serve(FEED_URL, rss_items(item("p", "https://shop.example/p", f"<g:price>{price}</g:price>")))

    (draft,) = refresh(context)

    assert (draft.payload["price"], draft.payload["currency"]) == expected


@pytest.mark.parametrize(
    ("sale", "effective", "expected"),
    [
        ("79.00 USD", "", "79.00"),
        ("99.00 USD", "", None),  # not lower than the price
        ("79.00 EUR", "", None),  # another currency
        ("79.00 USD", "2025-06-01T00:00-07:00/2025-06-30T23:59-07:00", "79.00"),
        ("79.00 USD", "2025-05-01T00:00-07:00/2025-05-31T23:59-07:00", None),  # ended
        ("79.00 USD", "whenever", "79.00"),
    ],
)
def test_sale_price_only_when_lower_and_running(context, serve, sale, effective, expected):
    fields = f"<g:price>89.00 USD</g:price><g:sale_price>{sale}</g:sale_price>"
    if effective:
        fields += f"<g:sale_price_effective_date>{effective}</g:sale_price_effective_date>"
    serve(FEED_URL, rss_items(item("p", "https://shop.example/p", fields)))

    (draft,) = refresh(context)

    assert draft.payload["sale_price"] == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("in stock", "in_stock"),
        ("Out-of-Stock", "out_of_stock"),
        ("backorder", "backorder"),
        ("sold by the kilo", None),
    ],
)
def test_availability_is_a_fixed_token(context, serve, given, expected):
    fields = f"<g:availability>{given}</g:availability>"
    serve(FEED_URL, rss_items(item("p", "https://shop.example/p", fields)))

    (draft,) = refresh(context)

    assert draft.payload["availability"] == expected


def test_not_modified_yields_nothing(context, serve):
    serve(FEED_URL, b"", not_modified=True)

    assert refresh(context) == []
    assert context.fetched == [FEED_URL]


def test_max_items_counts_from_the_top_after_dropping_unusable_items(context, serve):
    serve(
        FEED_URL,
        rss_items(
            item("bad", "javascript:void(0)"),
            *(item(f"p{n}", f"https://shop.example/p{n}") for n in range(5)),
        ),
    )

    drafts = refresh(context, max_items=3)

    assert [d.external_id for d in drafts] == ["p0", "p1", "p2"]


def test_fetch_errors_reach_the_retailer_unchanged(context):
    with pytest.raises(SourceError, match="404 Not Found"):
        refresh(context)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://shop.example/feed.xml",
        "shop.example/feed.xml",
        "/feed.xml",
        "",
    ],
)
def test_config_refuses_addresses_that_are_not_web_addresses(url):
    with pytest.raises(ValidationError, match=r"full web address|at least|should have"):
        ProductFeedConfig(url=url)


def test_config_strips_spaces_and_bounds_max_items():
    assert ProductFeedConfig(url="  https://shop.example/feed.xml ").url == (
        "https://shop.example/feed.xml"
    )
    with pytest.raises(ValidationError):
        ProductFeedConfig(url="https://shop.example/feed.xml", max_items=0)
    with pytest.raises(ValidationError):
        ProductFeedConfig(url="https://shop.example/feed.xml", surprise=True)


def test_config_json_schema_describes_every_field():
    schema = ProductFeedConfig.model_json_schema()

    assert schema["required"] == ["url"]
    assert schema["properties"]["url"]["format"] == "uri"
    assert all(field.get("description") for field in schema["properties"].values())
