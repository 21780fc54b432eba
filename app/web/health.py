"""Liveness and readiness for the load balancer (Fly health checks)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import db
from app.web.errors import RETRY_AFTER_SECONDS

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process answers: nothing else is checked, so a slow database never restarts it."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The database answers: take traffic only then."""
    try:
        with db.engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.outage().failed(error)
        response = jsonify(status="unavailable", database="unreachable")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, 503
    db.outage().ended()
    return jsonify(status="ok", database="ok")
