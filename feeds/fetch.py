"""The guarded fetcher: how Plaza reads a feed address a retailer gave it.

Every request goes through the guarded client (:mod:`feeds.client`), in the
manner of Miniflux's fetcher: only ``http`` and ``https`` addresses without
embedded credentials; the host resolved exactly once and refused if *any* of
its addresses is loopback, private, link-local, shared (CGNAT), multicast,
reserved, documentation, a translated/embedded IPv4 form or a cloud metadata
service, unless the operator allowed it (``PLAZA_FETCH_ALLOW``); a connection
to the very address that was checked; connect and read timeouts and a
wall-clock deadline. On top of that, a fetch here:

* checks every redirect the same way, and follows only a few;
* bounds size (the *decompressed* body, so a gzip bomb stops early);
* sends conditional requests, and reads the server's caching hints.

Errors come out as :class:`FetchError` whose ``reason`` is a sentence a
retailer can act on, because it ends up on their provider's health page.
"""

from __future__ import annotations

import http
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from urllib.parse import urljoin

from urllib3.response import BaseHTTPResponse, HTTPResponse

from feeds.addresses import refusal_reason
from feeds.client import exchange, read_at_most, retry_after, within_deadline
from feeds.deadline import Deadline
from feeds.errors import FetchError
from feeds.policy import DEFAULT_POLICY, FetchPolicy
from feeds.target import Target, check_address, checked_addresses

__all__ = [
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "check_address",
    "checked_addresses",
    "fetch",
    "refusal_reason",
]

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml, text/xml, "
    "application/json;q=0.9, */*;q=0.8"
)
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
BACK_OFF_STATUSES = frozenset({429, 503})
MAX_FRESHNESS = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(hours=24)

_MAX_AGE = re.compile(r'(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?=,|$)', re.IGNORECASE)


@dataclass(frozen=True)
class FetchResult:
    """A successful fetch: a body (status 2xx) or "not modified" (status 304).

    ``etag`` and ``last_modified`` are what to send next time; on a 304 that
    did not repeat them they are the values we sent, so callers can store them
    unconditionally. ``fresh_until`` is the server's ``max-age`` promise, bounded.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    not_modified: bool
    fresh_until: datetime | None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    now: Callable[[], datetime] = _utc_now,
) -> FetchResult:
    """GET ``url`` under ``policy``, following checked redirects; raise :class:`FetchError`.

    ``etag`` / ``last_modified`` from the previous fetch make the request
    conditional, so an unchanged feed costs a 304 and no body.
    """
    with within_deadline(policy) as deadline:
        return _follow(url, etag, last_modified, policy, now, deadline)


def _follow(
    url: str,
    etag: str | None,
    last_modified: str | None,
    policy: FetchPolicy,
    now: Callable[[], datetime],
    deadline: Deadline,
) -> FetchResult:
    """Fetch, then fetch each redirect target, each hop checked afresh."""
    target = Target.parse(url)
    headers = _request_headers(etag, last_modified)
    for _hop in range(policy.max_redirects + 1):
        with exchange("GET", target, policy, deadline, headers) as response:
            if response.status not in REDIRECT_STATUSES:
                return _result(target, response, etag, last_modified, policy, now, deadline)
            target = Target.parse(_redirect_location(target, response), where="The redirect target")
    raise FetchError(
        "too_many_redirects",
        f"The address redirected more than {policy.max_redirects} times "
        "(it may be redirecting in a loop), so Plaza gave up.",
    )


def _request_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _redirect_location(target: Target, response: BaseHTTPResponse) -> str:
    location = response.headers.get("Location")
    if not location:
        raise FetchError(
            "http_status",
            f"The server answered {_status_words(response)} without saying where to go.",
            status=response.status,
        )
    return urljoin(target.url, location.strip())


def _result(
    target: Target,
    response: BaseHTTPResponse,
    etag: str | None,
    last_modified: str | None,
    policy: FetchPolicy,
    now: Callable[[], datetime],
    deadline: Deadline,
) -> FetchResult:
    """Turn a final (non-redirect) response into a result or an error."""
    status = response.status
    if status in BACK_OFF_STATUSES:
        raise FetchError(
            "http_status",
            f"The server answered {_status_words(response)}; Plaza will try again later.",
            status=status,
            retry_after=retry_after(response.headers.get("Retry-After"), now(), MAX_RETRY_AFTER),
        )
    if status != 304 and not 200 <= status < 300:
        raise FetchError(
            "http_status",
            f"The server answered {_status_words(response)}.{_STATUS_HINTS.get(status, '')}",
            status=status,
        )
    not_modified = status == 304
    body = b"" if not_modified else _read_body(target, response, policy, deadline)
    headers = response.headers
    return FetchResult(
        url=target.url,
        status=status,
        headers=MappingProxyType(headers.copy()),
        body=body,
        etag=headers.get("ETag") or (etag if not_modified else None),
        last_modified=headers.get("Last-Modified") or (last_modified if not_modified else None),
        not_modified=not_modified,
        fresh_until=_fresh_until(headers.get("Cache-Control"), now()),
    )


_STATUS_HINTS = {
    401: " The feed seems to need a login; Plaza can only read public feeds.",
    403: " The server does not let Plaza read this address.",
    404: " Check that the address is right and the feed still exists.",
    410: " The feed has been removed for good.",
}


def _status_words(response: BaseHTTPResponse) -> str:
    try:
        phrase = http.HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    return f"{response.status} {phrase}".strip()


def _read_body(
    target: Target, response: BaseHTTPResponse, policy: FetchPolicy, deadline: Deadline
) -> bytes:
    """Read at most ``max_bytes`` of decoded body, failing as soon as it would be more."""
    _check_encoding(target, response)
    too_large = FetchError(
        "too_large",
        f"The response is larger than {_size(policy.max_bytes)}, the most Plaza reads from a feed.",
    )
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > policy.max_bytes:
        raise too_large
    body = read_at_most(response, policy.max_bytes + 1, target, policy, deadline)
    if len(body) > policy.max_bytes:
        raise too_large
    return body


def _check_encoding(target: Target, response: BaseHTTPResponse) -> None:
    """Refuse bodies compressed in a way urllib3 cannot undo (e.g. brotli without the module).

    Passing them through would hand the parser compressed bytes and a
    confusing "not a feed" error instead of the real cause.
    """
    header = response.headers.get("Content-Encoding", "")
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    unknown = [c for c in codings if c != "identity" and c not in HTTPResponse.CONTENT_DECODERS]
    if unknown:
        raise FetchError(
            "protocol",
            f"The server {target.host} compressed the response as {', '.join(unknown)}, "
            "which Plaza cannot read.",
        )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _fresh_until(cache_control: str | None, now: datetime) -> datetime | None:
    """The end of the ``max-age`` the server granted, at most 24 h away."""
    match = _MAX_AGE.search(cache_control or "")
    if not match:
        return None
    return now + min(timedelta(seconds=int(match.group(1))), MAX_FRESHNESS)
