"""Refresh contexts: how a kind's ``refresh`` reaches its source.

:class:`LiveContext` goes through the guarded fetcher (SSRF checks, caps,
conditional GET). :class:`SampleContext` replays files bundled with Plaza, so
the offline demo travels the very same parse -> normalize -> store path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httplib2
from flask import Flask

from app.ingest.history import CollectsRejections
from app.models import Provider
from app.taxonomy_store import taxonomy
from cards.errors import SourceError
from cards.spec import Fetched
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchError, FetchPolicy, fetch


@dataclass
class LiveContext(CollectsRejections):
    """Fetches for real; remembers validators so the next refresh can get a 304."""

    provider: Provider
    now: datetime
    taxonomy: Taxonomy
    policy: FetchPolicy
    secrets: Mapping[str, str | None] = field(default_factory=dict)
    settings: Mapping[str, str | None] = field(default_factory=dict)
    source_unchanged: bool = False
    fresh_until: datetime | None = None

    def fetch(self, url: str) -> Fetched:
        try:
            result = fetch(
                url,
                etag=self.provider.etag,
                last_modified=self.provider.last_modified,
                policy=self.policy,
            )
        except FetchError as exc:
            raise SourceError(exc.reason, retry_after=exc.retry_after) from exc
        self.provider.etag = result.etag
        self.provider.last_modified = result.last_modified
        self.source_unchanged = result.not_modified
        self.fresh_until = result.fresh_until
        return Fetched(
            body=result.body,
            base_url=result.url,
            headers=dict(result.headers),
            not_modified=result.not_modified,
        )

    def google_http(self) -> Any:
        return httplib2.Http(timeout=self.policy.read_timeout)

    def secret(self, name: str) -> str | None:
        return self.secrets.get(name) or None

    def setting(self, name: str) -> str | None:
        return self.settings.get(name) or None


# The bundled samples, shipped as package data of app.demo (see its data/README.md).
SAMPLES = ("app.demo", "data")
DEMO_BASE_URL = "/static/demo/"
_API_SAMPLES = {"search": "search", "videos": "videos", "playlistItems": "playlist"}
# The samples were written as of this day: their items were published in the weeks
# before it and their promotions run around it (see app/demo/data/README.md).
SAMPLES_WRITTEN_ON = date(2026, 11, 23)
_RFC822 = re.compile(
    rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} "
    rb"(?:GMT|[+-]\d{4})"
)
_ISO8601 = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def read_sample(name: str) -> bytes:
    package, folder = SAMPLES
    return resources.files(package).joinpath(folder, name).read_bytes()


def sample_shift(now: datetime) -> timedelta:
    """How far the samples' dates move so that they sit around ``now`` as they sat around
    the day they were written: whole days, so a demo refreshed twice a day changes nothing."""
    return timedelta(days=(now.date() - SAMPLES_WRITTEN_ON).days)


def shift_dates(body: bytes, shift: timedelta) -> bytes:
    """Every RFC 822 and ISO 8601 date-time in ``body`` moved by ``shift``, each written
    in the style it was found in, so the demo does not age: a year from now its items
    are as new and its promotions as current as on the day the samples were written."""
    if not shift:
        return body

    def rfc822(match: re.Match[bytes]) -> bytes:
        moved = parsedate_to_datetime(match.group().decode()) + shift
        return format_datetime(moved, usegmt=match.group().endswith(b"GMT")).encode()

    def iso8601(match: re.Match[bytes]) -> bytes:
        text = match.group().decode()
        moved = (datetime.fromisoformat(text) + shift).isoformat()
        return (moved.removesuffix("+00:00") + "Z" if text.endswith("Z") else moved).encode()

    return _ISO8601.sub(iso8601, _RFC822.sub(rfc822, body))


@dataclass
class SampleContext(CollectsRejections):
    """Answers every fetch with the provider's bundled sample file."""

    samples: Mapping[str, str]
    now: datetime
    taxonomy: Taxonomy
    source_unchanged: bool = False
    fresh_until: datetime | None = None

    def fetch(self, url: str) -> Fetched:
        name = self.samples.get("feed")
        if name is None:
            raise SourceError("This demo source has no sample feed.")
        return Fetched(
            body=shift_dates(read_sample(name), sample_shift(self.now)),
            base_url=DEMO_BASE_URL,
            headers={"content-type": "application/xml"},
        )

    def google_http(self) -> Any:
        return _SampleHttp(self.samples, sample_shift(self.now))

    def secret(self, name: str) -> str | None:
        # The demo's YouTube API provider answers from samples, so any key will do.
        return "demo-key" if name == "youtube_api_key" and "search" in self.samples else None

    def setting(self, name: str) -> str | None:
        return None  # samples are read from files, whatever address a kind would use


class _SampleHttp:
    """An ``httplib2.Http`` stand-in that answers YouTube API calls from sample files."""

    def __init__(self, samples: Mapping[str, str], shift: timedelta) -> None:
        self.samples = samples
        self.shift = shift

    def request(self, uri: str, method: str = "GET", **_kwargs: Any) -> tuple[Any, bytes]:
        endpoint = urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]
        name = self.samples.get(_API_SAMPLES.get(endpoint, ""))
        if name is None:
            body = json.dumps({"error": {"code": 404, "message": f"no sample for {endpoint}"}})
            return httplib2.Response({"status": "404"}), body.encode()
        return httplib2.Response({"status": "200"}), shift_dates(read_sample(name), self.shift)


def fetch_policy(app: Flask) -> FetchPolicy:
    """The fetcher's limits for this deployment (the allow-list comes from config)."""
    return FetchPolicy.from_allow_string(app.config["FETCH_ALLOW"])


def context_for(app: Flask, provider: Provider, now: datetime) -> LiveContext | SampleContext:
    if provider.demo_samples:
        return SampleContext(samples=provider.demo_samples, now=now, taxonomy=taxonomy())
    return LiveContext(
        provider=provider,
        now=now,
        taxonomy=taxonomy(),
        policy=fetch_policy(app),
        secrets={"youtube_api_key": app.config.get("YOUTUBE_API_KEY")},
        settings={"youtube_feed_url": app.config.get("YOUTUBE_FEED_URL")},
    )
