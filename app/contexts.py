"""Refresh contexts: how a kind's ``refresh`` reaches its source.

:class:`LiveContext` goes through the guarded fetcher (SSRF checks, caps,
conditional GET). :class:`SampleContext` replays files bundled with Plaza, so
the offline demo travels the very same parse -> normalize -> store path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httplib2

from app.models import Provider
from cards.errors import SourceError
from cards.spec import Fetched
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchError, FetchPolicy, fetch


@dataclass
class LiveContext:
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


DEMO_DATA = "demo_data"
DEMO_BASE_URL = "/static/demo/"
_API_SAMPLES = {"search": "search", "videos": "videos", "playlistItems": "playlist"}


def read_sample(name: str) -> bytes:
    return resources.files("app").joinpath(DEMO_DATA, name).read_bytes()


@dataclass
class SampleContext:
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
            body=read_sample(name),
            base_url=DEMO_BASE_URL,
            headers={"content-type": "application/xml"},
        )

    def google_http(self) -> Any:
        return _SampleHttp(self.samples)

    def secret(self, name: str) -> str | None:
        # The demo's YouTube API provider answers from samples, so any key will do.
        return "demo-key" if name == "youtube_api_key" and "search" in self.samples else None

    def setting(self, name: str) -> str | None:
        return None  # samples are read from files, whatever address a kind would use


class _SampleHttp:
    """An ``httplib2.Http`` stand-in that answers YouTube API calls from sample files."""

    def __init__(self, samples: Mapping[str, str]) -> None:
        self.samples = samples

    def request(self, uri: str, method: str = "GET", **_kwargs: Any) -> tuple[Any, bytes]:
        endpoint = urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]
        name = self.samples.get(_API_SAMPLES.get(endpoint, ""))
        if name is None:
            body = json.dumps({"error": {"code": 404, "message": f"no sample for {endpoint}"}})
            return httplib2.Response({"status": "404"}), body.encode()
        return httplib2.Response({"status": "200"}), read_sample(name)
