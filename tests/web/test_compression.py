"""Compressed responses, and the CSRF token masked afresh in each so that BREACH finds
nothing constant to guess."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from app.web.csrf import mask, unmask

HX = {"HX-Request": "true"}
SIGNED = re.compile(r"eyJ[\w.-]+")  # itsdangerous's signed JSON: the feed's cursors
TOKENS = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def decoded(response) -> str:  # type: ignore[no-untyped-def]
    body = response.get_data()
    if response.content_encoding == "br":
        body = brotli.decompress(body)
    elif response.content_encoding == "gzip":
        body = gzip.decompress(body)
    return body.decode()


def blank(html: str) -> str:
    return SIGNED.sub("SIGNED", TOKENS.sub("TOKEN", html))


def tokens(html: str) -> set[str]:
    return {a or b for a, b in TOKENS.findall(html)}


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_compressed_page_decodes_to_the_same_page(world, encoding):
    world.consumer()
    world.cards(world.provider(), 12)
    world.login()
    plain = world.client.get("/", headers={"Accept-Encoding": "identity"})
    packed = world.client.get("/", headers={"Accept-Encoding": encoding})
    assert plain.content_encoding is None
    assert packed.content_encoding == encoding
    assert len(packed.get_data()) < len(plain.get_data()) / 3
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    # Equal but for what differs from one response to the next: the masked CSRF token
    # and the signed cursor of this feed visit.
    assert blank(decoded(packed)) == blank(plain.get_data(as_text=True))


def test_brotli_is_preferred_and_gzip_is_the_fallback(world):
    world.consumer()
    world.login()
    assert world.client.get("/", headers={"Accept-Encoding": "gzip, br"}).content_encoding == "br"
    assert world.client.get("/", headers={"Accept-Encoding": "gzip"}).content_encoding == "gzip"


def test_every_answer_varies_on_accept_encoding_and_fragments_on_hx_request_too(world):
    world.consumer()
    world.login()
    page = world.client.get("/interests/search?q=run", headers={"Accept-Encoding": "br"})
    fragment = world.client.get("/interests/search?q=run", headers={"Accept-Encoding": "br", **HX})
    for response in (page, fragment):
        vary = {v.strip().lower() for v in response.headers["Vary"].split(",")}
        assert {"accept-encoding", "hx-request"} <= vary
    assert "<html" not in decoded(fragment) and "<html" in decoded(page)
    tiny = world.client.get("/healthz", headers={"Accept-Encoding": "br"})
    assert "Accept-Encoding" in tiny.headers["Vary"]


def test_small_responses_are_not_compressed(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and len(response.get_data()) < 500
    assert response.content_encoding is None
    assert response.get_json() == {"status": "ok"}


def test_scripts_styles_and_svg_are_compressed_too(client):
    for path, mimetype in (
        ("/static/plaza.css", "text/css"),
        ("/static/plaza.js", "javascript"),
        ("/static/demo/img/p-rug-hh-20159.svg", "image/svg+xml"),
    ):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert mimetype in response.mimetype
        assert response.content_encoding == "gzip", path
        assert gzip.decompress(response.get_data()) == client.get(path).get_data()


def test_requests_another_site_started_are_answered_uncompressed(world):
    world.consumer()
    world.login()
    headers = {"Accept-Encoding": "br, gzip"}
    cross = world.client.get("/", headers={**headers, "Sec-Fetch-Site": "cross-site"})
    same = world.client.get("/", headers={**headers, "Sec-Fetch-Site": "same-origin"})
    typed = world.client.get("/", headers={**headers, "Sec-Fetch-Site": "none"})
    assert cross.status_code == 200 and cross.content_encoding is None
    assert "Accept-Encoding" in cross.headers["Vary"]
    assert same.content_encoding == typed.content_encoding == "br"


def test_the_token_differs_in_every_response_and_each_one_works(world):
    world.consumer(follows=())
    world.login()
    first = tokens(world.client.get("/interests").get_data(as_text=True))
    second = tokens(world.client.get("/interests").get_data(as_text=True))
    fragment = tokens(world.client.get("/interests/search?q=run", headers=HX).get_data(True))
    # One masked token per response, used by all its forms and by htmx's header.
    assert len(first) == len(second) == len(fragment) == 1
    assert len(first | second | fragment) == 3
    for token, slug in zip(first | second | fragment, ("shoes", "home", "sports"), strict=True):
        followed = world.client.post(
            f"/interests/{slug}/follow", data={"csrf_token": token}, headers=HX
        )
        assert followed.status_code == 200
    header = world.client.post(
        "/interests/electronics/follow", headers={**HX, "X-CSRFToken": first.pop()}
    )
    assert header.status_code == 200


def test_the_unmasked_token_never_reaches_a_page(world):
    world.consumer()
    world.login()
    for path in ("/", "/interests", "/login"):
        html = world.client.get(path).get_data(as_text=True)
        for token in tokens(html):
            inner = unmask(token)
            assert inner and inner not in html


def test_a_wrong_or_unmasked_token_is_refused(world):
    world.consumer()
    token = world.login()
    inner = unmask(token)
    assert inner is not None
    # The first character: all six of its bits count (the last one's low bits may be
    # padding, so changing it can leave the same token).
    forged = ("A" if token[0] != "A" else "B") + token[1:]
    for sent in (inner, forged, "", "not a token!", mask("x" * len(inner))):
        refused = world.client.post("/interests/home/follow", data={"csrf_token": sent})
        assert refused.status_code == 400, sent
        assert "Your session expired" in refused.get_data(as_text=True)


def test_masking_round_trips_and_pads_afresh():
    token = "IjBmM2E.aBcD-_9.xyz"
    masked = {mask(token) for _ in range(20)}
    assert len(masked) == 20
    assert {unmask(m) for m in masked} == {token}
    assert unmask("abc") is None and unmask("a b c d ") is None
