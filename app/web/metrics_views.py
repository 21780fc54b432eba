"""``/metrics``: Prometheus's scrape of the web process, behind a bearer token.

Off (404) unless ``PLAZA_METRICS_TOKEN`` is set; a request without ``Authorization:
Bearer <token>`` gets 401. The session plays no part: a signed-in staff member's
browser is refused like anyone's, and no CSRF token is involved, since the route
changes nothing. Every response of the app is counted by its status class here too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.typing import ResponseReturnValue

from app import db
from app.metrics import recorded
from app.metrics.exposition import CONTENT_TYPE, authorized, exposition
from app.metrics.state import DatabaseState

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    if not authorized(request.headers.get("Authorization"), token):
        return Response(
            "A bearer token is needed.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            content_type="text/plain",
        )
    body = exposition(DatabaseState(db.session(), datetime.now(UTC)))
    return Response(body, content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _count(response: Response) -> Response:
    recorded.response(response.status_code)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_count)
