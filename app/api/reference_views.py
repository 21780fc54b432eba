"""``/developers/api``: the partner API's reference, for people (``app.api.reference``).

Public, like the OpenAPI document it is drawn from: a retailer's web team reads it
before anyone has a token.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from app.api.openapi import PREFIX
from app.api.reference import api_reference, schema_anchor

bp = Blueprint("api_reference", __name__)
bp.add_app_template_filter(schema_anchor, "schema_anchor")


@bp.get("/developers/api")
def reference() -> ResponseReturnValue:
    response = render_template("api/reference.html", api=api_reference(), prefix=PREFIX)
    return response, {"Cache-Control": "public, max-age=300"}
