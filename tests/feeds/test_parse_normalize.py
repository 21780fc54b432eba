"""feeds.parse and feeds.normalize: what is fatal, what is tolerated, and clean values."""

from __future__ import annotations

import re
import time
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.normalize import (
    clip_html,
    html_image_urls,
    iso8601_duration_seconds,
    parse_datetime,
    parse_price,
    plain_text,
    safe_url,
)
from feeds.parse import FeedFormatError, parse_feed

BASE = "https://shop.example/feeds/products.xml"
RSS = {"Content-Type": "application/rss+xml"}


def rss(*items: str, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{prolog}<rss version="2.0"><channel><title>Shop</title>{"".join(items)}</channel></rss>'
    ).encode()


ITEM = "<item><title>Boot</title><link>products/boot</link></item>"


# --- parse_feed ---------------------------------------------------------------------


def test_a_feed_parses_and_leaves_links_for_the_kind_to_resolve():
    parsed = parse_feed(rss(ITEM), RSS, BASE)

    assert parsed.bozo is False
    assert parsed.entries[0].link == "products/boot"
    assert safe_url(parsed.entries[0].link, BASE) == "https://shop.example/feeds/products/boot"


def test_header_names_are_case_insensitive():
    latin = rss(ITEM.replace("Boot", "Bottes d'été"), prolog='<?xml version="1.0"?>')
    body = latin.decode().encode("cp1252")

    parsed = parse_feed(body, {"CONTENT-TYPE": "text/xml; charset=windows-1252"}, BASE)

    assert parsed.entries[0].title == "Bottes d'été"


def test_a_well_formed_feed_without_items_is_not_an_error():
    assert parse_feed(rss(), RSS, BASE).entries == []


def test_an_ill_formed_feed_that_still_gave_entries_is_kept():
    parsed = parse_feed(rss(ITEM, "<item><title>Half"), RSS, BASE)

    assert parsed.bozo
    assert parsed.entries[0].title == "Boot"


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"", RSS, "The address returned an empty response, not a feed."),
        (b"  \r\n ", RSS, "The address returned an empty response, not a feed."),
        (
            b"<!doctype html><html><body><h1>Shop</h1></body></html>",
            {"Content-Type": "application/rss+xml"},
            "The address returned an HTML page, not a feed.",
        ),
        (
            b"<html><head><title>x</title></head><body>Moved</body></html>",
            {"Content-Type": "text/html"},
            "The address returned an HTML page, not a feed.",
        ),
        (
            b'{"items": []}',
            {"Content-Type": "application/json"},
            "did not return an RSS or Atom feed",
        ),
        (b"\x00\x01\x02\xff\xfe garbage", {}, "did not return an RSS or Atom feed"),
        (b'<?xml version="1.0"?><rss version="2.0"><chan', RSS, "The feed is malformed"),
    ],
)
def test_documents_without_a_feed_raise_a_plain_sentence(body, headers, message):
    with pytest.raises(FeedFormatError) as raised:
        parse_feed(body, headers, BASE)

    assert message in raised.value.message


def test_an_html_page_that_links_its_feed_says_where_the_feed_is():
    page = (
        b"<html><head><link rel='alternate' type='application/atom+xml' href='/atom.xml'>"
        b"</head><body>Shop</body></html>"
    )

    with pytest.raises(
        FeedFormatError, match=r"links to a feed at https://shop\.example/atom\.xml"
    ):
        parse_feed(page, {"Content-Type": "text/html"}, BASE)


def test_bytes_that_spell_a_file_path_are_parsed_never_opened(tmp_path):
    local_feed = tmp_path / "feed.xml"
    local_feed.write_bytes(rss("<item><title>LOCAL FILE</title><link>https://x/</link></item>"))

    with pytest.raises(FeedFormatError):
        parse_feed(str(local_feed).encode(), RSS, BASE)


# lol9 expands to 10**9 "lol"s.
LAUGHS = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)
LINES = LAUGHS.replace("><", ">\n<")
LAUGH = "<item><title>&lol9;</title><link>https://x/</link></item>"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            rss(LAUGH, prolog=f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{LINES}\n]>\n'),
            id="one declaration a line",
        ),
        pytest.param(
            # On one line with the XML declaration, feedparser's own DOCTYPE filter misses it.
            rss(LAUGH, prolog=f'<?xml version="1.0"?><!DOCTYPE rss [{LAUGHS}]>'),
            id="all on the first line",
        ),
        pytest.param(
            rss(LAUGH, prolog=f'<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [{LAUGHS}]>')
            .decode()
            .encode("utf-16"),
            id="in utf-16",
        ),
        pytest.param(
            rss(
                "<item><title>&a;</title><link>https://x/</link></item>",
                prolog="<?xml version='1.0'?>"
                "<!DOCTYPE rss [<!ENTITY % p \"<!ENTITY a 'x'>\"> %p;]>",
            ),
            id="parameter entity",
        ),
    ],
)
def test_billion_laughs_is_refused_before_any_expansion(body):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FeedFormatError, match="declares its own XML entities"):
            parse_feed(body, RSS, BASE)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 5_000_000
    assert time.perf_counter() - started < 30  # an expansion would take far longer


def test_external_entities_never_read_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    for target in (secret.as_uri(), "file:///etc/passwd"):
        body = rss(
            "<item><title>&xxe;</title><link>https://x/</link></item>",
            prolog=f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{target}">\n]>\n',
        )
        with pytest.raises(FeedFormatError) as raised:
            parse_feed(body, RSS, BASE)
        assert "TOP-SECRET" not in raised.value.message
        assert "root:" not in raised.value.message


def test_an_external_dtd_is_not_loaded(tmp_path):
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET-VALUE">')
    body = rss(
        "<item><title>Boot &leak;</title><link>https://x/</link></item>",
        prolog=f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{dtd.as_uri()}">\n',
    )

    parsed = parse_feed(body, RSS, BASE)

    assert "TOP-SECRET" not in str(parsed)
    assert parsed.entries[0].title.startswith("Boot")


CREME = rss(ITEM.replace("Boot", "Crème"))


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (CREME, RSS),
        (CREME.decode().encode("latin-1"), RSS),
        (CREME.replace(b"utf-8", b"iso-8859-1"), RSS),
        (CREME.replace(b"utf-8", b"windows-1252"), {}),
        (rss(ITEM.replace("Boot", "Crème"), prolog=""), {"Content-Type": "text/xml"}),
    ],
    ids=[
        "correct",
        "latin-1 declared utf-8",
        "utf-8 declared iso-8859-1",
        "utf-8 declared windows-1252, no header",
        "text/xml without charset",
    ],
)
def test_mislabelled_encodings_still_read_accents(body, headers):
    assert parse_feed(body, headers, BASE).entries[0].title == "Crème"


# --- plain_text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("<p>Grippy <b>and</b> light.</p><p>Second&nbsp;line</p>", "Grippy and light. Second line"),
        ("Trail&amp;Road &lt;3 &#x2603;", "Trail&Road <3 \u2603"),
        ("<script>alert(1)</script><style>p{}</style>Visible", "Visible"),
        ("line one\n\tline two\x00\x1b", "line one line two"),
        ("a < b and c > d", "a < b and c > d"),
        ("Unclosed <b>bold", "Unclosed bold"),
        ("", ""),
        (None, ""),
    ],
)
def test_plain_text_strips_tags_and_collapses_whitespace(given, expected):
    assert plain_text(given, 100) == expected


def test_plain_text_cuts_at_a_word_boundary_with_an_ellipsis():
    assert (
        plain_text("The quick brown fox jumps over the lazy dog", 20) == "The quick brown fox\u2026"
    )
    assert plain_text("Supercalifragilistic expialidocious", 10) == "Supercali\u2026"
    assert plain_text("Exactly twenty chars", 20) == "Exactly twenty chars"


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_plain_text_is_always_short_clean_and_trimmed(text, max_len):
    result = plain_text(text, max_len)

    assert len(result) <= max_len
    assert result == result.strip()
    assert "  " not in result
    assert not any(ord(c) < 32 for c in result)


# --- clip_html ----------------------------------------------------------------------


def test_short_html_is_kept_exactly():
    html = "<p>Bring <b>old</b> shoes &amp; socks</p>"

    assert clip_html(html, len(html)) == html
    assert clip_html(None, 10) == ""


@pytest.mark.parametrize(
    ("html", "max_len", "expected"),
    [
        # Never half a tag: the cut backs up to before the tag it would split.
        (
            '<p>Bring shoes</p><a href="https://shop.example/">map</a>',
            30,
            "<p>Bring shoes</p>\u2026",
        ),
        # Never half a word or an entity: back to the last space or tag edge.
        ("<p>Bring your running shoes</p>", 20, "<p>Bring your\u2026"),
        ("<p>Trail &amp; road</p>", 14, "<p>Trail\u2026"),
        ("<ul><li>one</li><li>two three</li></ul>", 26, "<ul><li>one</li><li>two\u2026"),
        # A "<" that starts no tag is text, as browsers read it.
        ("<p>Kids < 10 go free all day</p>", 22, "<p>Kids < 10 go free\u2026"),
    ],
)
def test_long_html_is_cut_before_a_tag_or_word_with_an_ellipsis(html, max_len, expected):
    assert clip_html(html, max_len) == expected


@given(st.text(alphabet=st.sampled_from(list('<>/!ab p="&;x\n')), max_size=80), st.integers(1, 60))
def test_clipped_html_is_a_bounded_prefix_that_never_ends_inside_a_tag(html, max_len):
    clipped = clip_html(html, max_len)

    assert len(clipped) <= max_len
    if clipped != html:
        kept = clipped.removesuffix("\u2026")
        assert html.startswith(kept)
        assert re.search(r"<[a-zA-Z/!?][^>]*$", kept) is None  # no tag left unfinished


# --- parse_price --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("89.00 USD", (Decimal("89.00"), "USD")),
        ("USD 89.00", (Decimal("89.00"), "USD")),
        ("89,00 EUR", (Decimal("89.00"), "EUR")),
        ("$89", (Decimal("89"), "USD")),
        ("89.00USD", (Decimal("89.00"), "USD")),
        ("€ 12,5", (Decimal("12.5"), "EUR")),
        ("£1,299", (Decimal("1299"), "GBP")),
        ("1,299.99 USD", (Decimal("1299.99"), "USD")),
        ("1.299,99 EUR", (Decimal("1299.99"), "EUR")),
        ("1 299,00 EUR", (Decimal("1299.00"), "EUR")),
        ("1\u00a0299,00 EUR", (Decimal("1299.00"), "EUR")),
        ("CHF 1'299.50", (Decimal("1299.50"), "CHF")),
        ("C$ 20", (Decimal("20"), "CAD")),
        ("0.00 USD", (Decimal("0.00"), "USD")),
        ("89", None),  # no currency
        ("-5 USD", None),
        ("from 89 USD", None),
        ("89 USD 12", None),
        ("89 USD EUR", None),
        ("1,2,3 USD", None),
        ("1.234,567.89 USD", None),
        ("1234,567 USD", None),
        ("9999999999999 USD", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_price(text, expected):
    assert parse_price(text) == expected


@given(st.text())
def test_parse_price_never_raises(text):
    result = parse_price(text)
    assert result is None or (result[0] >= 0 and len(result[1]) == 3)


# --- safe_url -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://shop.example/a", "", "https://shop.example/a"),
        ("  https://shop.example/a b.jpg ", "", "https://shop.example/a%20b.jpg"),
        ("img/a.jpg", BASE, "https://shop.example/feeds/img/a.jpg"),
        ("/img/a.jpg", BASE, "https://shop.example/img/a.jpg"),
        ("//cdn.example/a.jpg", BASE, "https://cdn.example/a.jpg"),
        ("/static/demo/a.jpg", "", "/static/demo/a.jpg"),
        ("a.jpg", "/static/demo/", "/static/demo/a.jpg"),
        ("/static/demo/a.jpg", BASE, "https://shop.example/static/demo/a.jpg"),
        ("javascript:alert(1)", BASE, None),
        ("JaVaScRiPt:alert(1)", BASE, None),
        ("java\tscript:alert(1)", BASE, None),
        ("https://shop.example/\nx", BASE, None),
        ("data:text/html,<script>alert(1)</script>", BASE, None),
        ("vbscript:msgbox(1)", BASE, None),
        ("mailto:shop@example.com", BASE, None),
        ("ftp://shop.example/a", BASE, None),
        ("/img/a.jpg", "", None),
        ("//cdn.example/a.jpg", "", None),
        ("/static/../admin", "", None),
        ("/static/%2e%2e/admin", "", None),
        ("/static\\..\\admin", "", None),
        ("../../../etc/passwd", "/static/demo/", None),
        ("http:///nohost", "", None),
        ("http://[::1", "", None),
        ("https://shop.example/" + "a" * 3000, "", None),
        ("", BASE, None),
        (None, BASE, None),
    ],
)
def test_safe_url(url, base, expected):
    assert safe_url(url, base) == expected


@given(st.text(), st.sampled_from(["", BASE, "/static/demo/", "javascript:x"]))
def test_safe_url_only_ever_returns_web_addresses_or_plaza_static_paths(url, base):
    result = safe_url(url, base)

    assert result is None or result.startswith(("http://", "https://", "/static/"))
    assert result is None or not any(ord(c) < 33 or ord(c) == 127 for c in result)


# --- parse_datetime -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 10 Jun 2025 04:00:00 GMT", datetime(2025, 6, 10, 4, 0, tzinfo=UTC)),
        ("Tue, 10 Jun 2025 04:00:00 -0500", datetime(2025, 6, 10, 9, 0, tzinfo=UTC)),
        ("10 Jun 2025 04:00 +0000", datetime(2025, 6, 10, 4, 0, tzinfo=UTC)),
        ("2025-06-10T04:00:00Z", datetime(2025, 6, 10, 4, 0, tzinfo=UTC)),
        ("2025-06-10T06:00:00+02:00", datetime(2025, 6, 10, 4, 0, tzinfo=UTC)),
        ("2025-06-10T04:00", datetime(2025, 6, 10, 4, 0, tzinfo=UTC)),
        ("2025-06-10", datetime(2025, 6, 10, tzinfo=UTC)),
        (
            time.struct_time((2025, 6, 10, 4, 0, 60, 1, 161, 0)),
            datetime(2025, 6, 10, 4, 0, 59, tzinfo=UTC),
        ),
        (datetime(2025, 6, 10, 4, 0), datetime(2025, 6, 10, 4, 0, tzinfo=UTC)),
        (
            datetime(2025, 6, 10, 6, 0, tzinfo=timezone(timedelta(hours=2))),
            datetime(2025, 6, 10, 4, 0, tzinfo=UTC),
        ),
        ("yesterday", None),
        ("Mon, 45 Foo 2025 99:00 GMT", None),
        ("2025-13-45T00:00:00Z", None),
        (time.struct_time((0, 0, 0, 0, 0, 0, 0, 0, 0)), None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(value, expected):
    result = parse_datetime(value)

    assert result == expected
    assert result is None or result.tzinfo is UTC


@given(st.text())
def test_parse_datetime_never_raises(text):
    result = parse_datetime(text)
    assert result is None or result.tzinfo is UTC


# --- iso8601_duration_seconds and html_image_urls ----------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT1H2M3S", 3723),
        ("PT4M13S", 253),
        ("PT45S", 45),
        ("PT1.5S", 1),
        ("P1DT2H", 93600),
        ("P1W", 604800),
        ("P0D", 0),
        ("P1Y", None),
        ("P", None),
        ("PT", None),
        ("P1DT", None),
        ("1H2M", None),
        ("", None),
        (None, None),
    ],
)
def test_iso8601_duration_seconds(value, expected):
    assert iso8601_duration_seconds(value) == expected


def test_html_image_urls_in_document_order():
    html = (
        '<a href="/p/"><img src="https://i.pinimg.com/1.jpg"></a>Look <img alt="x"><img src=/2.png>'
    )

    assert html_image_urls(html) == ["https://i.pinimg.com/1.jpg", "/2.png"]
    assert html_image_urls(None) == []
