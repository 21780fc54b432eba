"""Responses compressed with Brotli or gzip (Flask-Compress), never to help BREACH.

Pages, fragments, CSS, JavaScript, JSON and SVG of 500 bytes or more go out
compressed when the browser accepts it (the ``COMPRESS_*`` settings in
:mod:`app.config`): a feed page's HTML shrinks about tenfold.
Every response says ``Vary: Accept-Encoding``, next to the ``Vary: HX-Request``
of pages that answer htmx with a fragment.

Compression and secrets on a page that reflects input make BREACH possible.
Plaza answers it twice:

* the CSRF token, the secret on every page, is masked afresh in every response
  (:mod:`app.web.csrf`), so there is nothing constant to guess;
* a response to a request another site started (``Sec-Fetch-Site: cross-site``,
  which a page cannot forge) is sent uncompressed. Guessing needs thousands of
  requests made with the victim's cookies, and with ``SameSite=Lax`` cookies only
  another site's navigations carry them: those now get no compression at all, so
  nothing else on a signed-in page (the shopper's email, their feed) leaks
  through lengths either. A link followed from another site (an email, a search
  engine) costs that one page its compression; the page's own requests and
  everything after it are same-origin.
"""

from __future__ import annotations

from flask import Response, request
from flask_compress import Compress


class SameSiteCompress(Compress):
    """Flask-Compress, except for requests another site's page made the browser send."""

    def after_request(self, response: Response | None) -> Response:
        if request.headers.get("Sec-Fetch-Site") == "cross-site" and response is not None:
            response.vary.add("Accept-Encoding")
            return response
        return super().after_request(response)
