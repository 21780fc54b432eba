"""``/media/<digest>.webp``: the pictures partners uploaded (:mod:`app.partners.uploads`).

Public, as the cards that show them are, and named by the digest of their bytes: an
address always holds the same picture, so it is cached for a year and marked immutable.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue

from app import db
from app.partners.uploads import find_upload

bp = Blueprint("media", __name__)
DIGEST = re.compile(r"[0-9a-f]{64}")
YEAR = 365 * 24 * 3600


@bp.get("/media/<string:digest>.webp")
def image(digest: str) -> ResponseReturnValue:
    upload = find_upload(db.session(), digest) if DIGEST.fullmatch(digest) else None
    if upload is None:
        abort(404, description="There is no such picture on Plaza.")
    response = Response(upload.data, mimetype=upload.content_type)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.set_etag(upload.digest)
    return response.make_conditional(request)
