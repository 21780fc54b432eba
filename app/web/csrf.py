"""CSRF tokens that never appear twice the same, because responses are compressed.

Compression makes a response's length depend on how well its parts match each
other. A page that carries a secret and also reflects what a request asked for
(a search query, the email a login form echoes) lets an attacker who can make
the victim's browser send requests, and can see the encrypted lengths, guess the
secret a character at a time (BREACH). Plaza's one such secret on every page is
the CSRF token, so every response carries it masked with a fresh one-time pad,
as Django does: the pad, then the token shifted by the pad over the token's own
alphabet. The token itself (Flask-WTF's, signed, tied to the session) never
appears in a response, and two responses never carry the same masked form. The
server takes the pad off before Flask-WTF checks the token; a form field or the
``X-CSRFToken`` header work alike.

Templates call ``csrf_token()`` as before; one masked token serves a whole
response, so a page's many forms still compress well.
"""

from __future__ import annotations

import secrets
import string

from flask import Flask, g
from flask_wtf import CSRFProtect
from flask_wtf.csrf import generate_csrf

ALPHABET = string.ascii_letters + string.digits + "-_."  # itsdangerous's URL-safe tokens
_INDEX = {char: index for index, char in enumerate(ALPHABET)}
_SIZE = len(ALPHABET)


def mask(token: str) -> str:
    """``token`` behind a random pad of its length: ``pad + (token + pad)``, per character."""
    pad = "".join(secrets.choice(ALPHABET) for _ in token)
    shifted = (ALPHABET[(_INDEX[t] + _INDEX[p]) % _SIZE] for t, p in zip(token, pad, strict=True))
    return pad + "".join(shifted)


def unmask(masked: str) -> str | None:
    """The token inside ``masked``, or None when it is not a masked token at all."""
    half, odd = divmod(len(masked), 2)
    if odd or not masked or any(char not in _INDEX for char in masked):
        return None
    pad, shifted = masked[:half], masked[half:]
    return "".join(
        ALPHABET[(_INDEX[s] - _INDEX[p]) % _SIZE] for s, p in zip(shifted, pad, strict=True)
    )


def masked_csrf_token() -> str:
    """The CSRF token as templates show it: masked afresh for each response."""
    if "plaza_masked_csrf" not in g:
        g.plaza_masked_csrf = mask(generate_csrf())
    token: str = g.plaza_masked_csrf
    return token


class MaskedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection, with tokens masked in pages and unmasked on their way in."""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = masked_csrf_token
        app.context_processor(lambda: {"csrf_token": masked_csrf_token})

    def _get_csrf_token(self) -> str | None:
        sent = super()._get_csrf_token()
        return unmask(sent) if sent else None
