"""Pictures uploaded in the portal: checked by their content, re-encoded without their
metadata, stored once, served by Plaza with long cache headers; anything else refused
with a reason, and nothing saved."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import select

from app.models import Card, Provider, Upload
from app.partners.uploads import LONGEST_SIDE, UploadProblem, reencode

GPS_TAG, ARTIST_TAG, ORIENTATION_TAG = 0x8825, 0x013B, 0x0112


def photo(width: int = 2400, height: int = 1200, *, fmt: str = "JPEG", **save: object) -> bytes:
    """A camera-like photo: EXIF with an artist, a GPS block and an orientation."""
    picture = Image.new("RGB", (width, height), (200, 40, 40))
    picture.paste((20, 40, 200), (0, 0, width // 2, height))  # left half blue
    exif = Image.Exif()
    exif[ARTIST_TAG] = "Jane Photographer"
    exif[ORIENTATION_TAG] = 6  # taken turned: shown rotated 90° clockwise
    exif[GPS_TAG] = {1: "N", 2: (52.0, 22.0, 1.0)}
    out = io.BytesIO()
    picture.save(out, format=fmt, exif=exif.tobytes(), **save)
    return out.getvalue()


def form(token: str, **fields: object) -> dict[str, object]:
    return {
        "csrf_token": token, "action": "save", "interests": ["shoes"],
        "config.headline": "Half off trail shoes", "config.body": "This week only.",
        "config.sponsor": "Acme", "config.cta_url": "https://acme.example/sale",
        "config.starts_at": "2026-12-01T00:00", "config.ends_at": "2030-12-31T00:00",
        "config.daily_impression_cap": "100", "config.per_consumer_cap": "2", **fields,
    }  # fmt: skip


def test_a_photo_is_turned_upright_scaled_and_stripped_of_its_metadata():
    data, width, height = reencode(photo())
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "WEBP"
    assert (width, height) == picture.size == (LONGEST_SIDE // 2, LONGEST_SIDE)  # turned
    assert picture.getexif() == {} and "exif" not in picture.info and "xmp" not in picture.info
    assert b"Jane Photographer" not in data
    top_pixel = picture.convert("RGB").getpixel((width // 2, 5))
    assert isinstance(top_pixel, tuple) and top_pixel[2] > 150  # the blue half is on top


def test_a_transparent_png_keeps_its_transparency():
    picture = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    data, _, _ = reencode(out.getvalue())
    assert Image.open(io.BytesIO(data)).mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"%PDF-1.7 not a picture at all", "not a picture Plaza can read"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
         "not a picture Plaza can read"),
        (photo(fmt="JPEG")[:300], "not a picture Plaza can read"),  # cut short
    ],
    ids=["empty", "pdf", "svg", "truncated"],
)  # fmt: skip
def test_what_is_not_a_picture_is_refused_with_the_reason(data, message):
    from app.partners.uploads import _open, _read

    with pytest.raises(UploadProblem, match=message):
        _open(_read(io.BytesIO(data)))


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, format="PNG")  # 100 Mpx in a few KB
    assert len(bomb.getvalue()) < 100_000
    with pytest.raises(UploadProblem, match="more pixels than Plaza takes"):
        reencode(bomb.getvalue())


def test_a_promotion_with_an_uploaded_picture_shows_it_from_plaza(app, partners, client, db, acme):
    path = "/portal/acme/providers/new/promotion"
    page = client.get(path).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="config.image_url.upload"' in page
    token = partners.csrf(client, path)
    data = form(token, **{"config.image_url.upload": (io.BytesIO(photo()), "IMG_0001.JPG")})
    saved = client.post(path, data=data, content_type="multipart/form-data")
    assert saved.status_code == 303, saved.get_data(as_text=True)
    upload = db.exec(select(Upload)).one()
    provider = db.exec(select(Provider)).one()
    assert provider.config["image_url"] == f"/media/{upload.digest}.webp"

    served = client.get(f"/media/{upload.digest}.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.data == upload.data and b"Jane Photographer" not in served.data
    again = client.get(
        f"/media/{upload.digest}.webp", headers={"If-None-Match": served.headers["ETag"]}
    )
    assert again.status_code == 304
    assert client.get("/media/" + "0" * 64 + ".webp").status_code == 404
    assert client.get("/media/../../etc/passwd.webp").status_code == 404

    # The same picture uploaded again is not stored twice.
    token = partners.csrf(client, path)
    copy = (io.BytesIO(photo()), "copy.jpg")
    second = form(token, **{"config.headline": "Again", "config.image_url.upload": copy})
    assert client.post(path, data=second, content_type="multipart/form-data").status_code == 303
    assert len(db.exec(select(Upload)).all()) == 1


def test_a_file_that_is_not_a_picture_is_refused_at_its_field_and_nothing_is_saved(
    partners, client, db, acme
):
    path = "/portal/acme/providers/new/promotion"
    token = partners.csrf(client, path)
    data = form(
        token, **{"config.image_url.upload": (io.BytesIO(b"MZ\x90\x00 an .exe"), "cat.jpg")}
    )
    refused = client.post(path, data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    block = page[page.index('id="f-config-image-url"') :][:2500]
    assert "not a picture Plaza can read. Upload a JPEG, PNG, WebP or GIF." in block
    assert 'value="Half off trail shoes"' in page  # what was typed stays
    assert db.exec(select(Provider)).all() == [] and db.exec(select(Upload)).all() == []


def test_a_fifty_megabyte_upload_is_refused_at_once_with_the_limit_in_words(
    partners, client, db, acme
):
    path = "/portal/acme/providers/new/promotion"
    token = partners.csrf(client, path)
    huge = io.BytesIO(b"\xff\xd8" + b"\0" * (50 * 1024 * 1024))
    data = form(token, **{"config.image_url.upload": (huge, "huge.jpg")})
    refused = client.post(path, data=data, content_type="multipart/form-data")
    assert refused.status_code == 413
    assert "A picture may be at most 10 MB; this upload is 50 MB." in refused.get_data(as_text=True)
    assert db.exec(select(Provider)).all() == [] and db.exec(select(Upload)).all() == []
    # Other pages keep their ordinary limit of 1 MB.
    login = client.post("/login", data={"csrf_token": token, "email": "x" * (2 * 1024 * 1024)})
    assert login.status_code == 413


def test_the_promotions_card_carries_its_uploaded_picture(app, partners, client, db, acme, world):
    path = "/portal/acme/providers/new/promotion"
    token = partners.csrf(client, path)
    data = form(token, **{"config.image_url.upload": (io.BytesIO(photo(300, 200)), "a.jpg")})
    assert client.post(path, data=data, content_type="multipart/form-data").status_code == 303
    provider = db.exec(select(Provider)).one()
    now = datetime.now(UTC)
    with app.app_context():
        from app.ingest.refresh import refresh_provider
        from app.ingest.sources import context_for

        refresh_provider(db, provider, context_for(app, provider, now), now + timedelta(seconds=1))
    card = db.exec(select(Card).where(Card.provider_id == provider.id)).one()
    assert re.fullmatch(r"/media/[0-9a-f]{64}\.webp", card.image_url or "")
    assert client.get(card.image_url).mimetype == "image/webp"
