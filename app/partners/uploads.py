"""Pictures uploaded in the portal: checked, re-encoded and stored (:class:`Upload`).

Nothing a partner sends is served as sent. Pillow must recognise the file as one of
a few picture formats (by its content, never its name or declared type), within a
pixel budget that stops decompression bombs; it is then turned the right way up,
scaled down to a size no card needs more than, and written afresh as WebP. The new
file carries no metadata, so a phone photo's GPS position or a file's author does not
reach shoppers. Why WebP: every browser Plaza supports shows it, and it is a fraction
of a JPEG's or PNG's size for the same picture, transparency included.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from datetime import datetime
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, select

from app.models import Organization, Upload, User, stored_id

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo opens; a bomb that claims more does not
LONGEST_SIDE = 1600  # twice the widest a card draws a picture, for sharp screens
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
CONTENT_TYPE = "image/webp"
QUALITY = 82


class UploadProblem(ValueError):
    """The file cannot become a picture on Plaza; the message says why, for the partner."""


def _read(stream: IO[bytes]) -> bytes:
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadProblem(
            f"The picture is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. Save it "
            "smaller (a card needs no more than 1600 pixels across) and upload it again."
        )
    if not data:
        raise UploadProblem("The file is empty. Choose a picture to upload.")
    return data


def _open(data: bytes) -> Image.Image:
    """The picture in ``data``, fully decoded, or UploadProblem saying why not."""
    too_large = UploadProblem(
        f"The picture has more pixels than Plaza takes (at most {MAX_PIXELS // 1_000_000} "
        "million). Save it smaller and upload it again."
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if picture.width * picture.height > MAX_PIXELS:
                raise too_large
            picture.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UploadProblem(
            "That file is not a picture Plaza can read. Upload a JPEG, PNG, WebP or GIF."
        ) from exc
    return picture


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """``data`` as a fresh WebP at most LONGEST_SIDE across, upright, without metadata;
    with its width and height."""
    picture = ImageOps.exif_transpose(_open(data))
    if picture.mode not in ("RGB", "RGBA"):
        alpha = "A" in picture.getbands() or "transparency" in picture.info
        picture = picture.convert("RGBA" if alpha else "RGB")
    picture.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=QUALITY, method=4)  # no exif, icc or xmp given
    return out.getvalue(), picture.width, picture.height


def store_image(
    db: Session, organization: Organization, by: User | None, stream: IO[bytes], now: datetime
) -> Upload:
    """The uploaded picture, re-encoded and stored for ``organization`` (the caller
    commits); the same picture uploaded again by it is the row already there."""
    data, width, height = reencode(_read(stream))
    digest = hashlib.sha256(data).hexdigest()
    existing = db.exec(
        select(Upload).where(
            Upload.organization_id == stored_id(organization), Upload.digest == digest
        )
    ).first()
    if existing is not None:
        return existing
    upload = Upload(
        organization_id=stored_id(organization),
        digest=digest,
        content_type=CONTENT_TYPE,
        width=width,
        height=height,
        data=data,
        created_by_id=by.id if by else None,
        created_at=now,
    )
    db.add(upload)
    db.flush()
    return upload


def find_upload(db: Session, digest: str) -> Upload | None:
    return db.exec(select(Upload).where(Upload.digest == digest)).first()
