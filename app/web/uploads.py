"""A larger request body for the views that take a picture, and a clear refusal past it.

Every other request keeps ``MAX_CONTENT_LENGTH`` (1 MB). A view marked with
:func:`accepts_uploads` may receive up to its own limit; the check runs before anything
reads the body (the CSRF check reads forms), so a 50 MB upload is refused at once, with
the limit in words rather than a bare "413".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, request

View = TypeVar("View", bound=Callable[..., object])
MULTIPART_OVERHEAD = 256 * 1024  # the form's other fields around the file


def accepts_uploads(max_bytes: int) -> Callable[[View], View]:
    def mark(view: View) -> View:
        view.plaza_upload_limit = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def init_app(app: Flask) -> None:
    @app.before_request
    def allow_uploads() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        limit = getattr(view, "plaza_upload_limit", None)
        if limit is None:
            return
        request.max_content_length = limit + MULTIPART_OVERHEAD
        if request.content_length is not None and request.content_length > limit:
            megabytes = limit // (1024 * 1024)
            sent = request.content_length / (1024 * 1024)
            abort(
                413,
                description=(
                    f"A picture may be at most {megabytes} MB; this upload is {sent:.0f} MB. "
                    "Save it smaller and upload it again."
                ),
            )
