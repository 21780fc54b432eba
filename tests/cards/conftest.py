"""A stand-in RefreshContext and a small taxonomy for the card-kind tests.

Only the context is faked: the kinds parse real documents with feedparser and
talk to google-api-python-client through its own ``HttpMockSequence``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from googleapiclient.http import HttpMockSequence

from cards.errors import SourceError
from cards.spec import Fetched
from cards.taxonomy import Taxonomy

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)

INTERESTS = [
    ("apparel", "Apparel", "Apparel & Accessories;Clothing"),
    ("apparel/shoes", "Shoes", "Footwear"),
    ("apparel/shoes/running", "Running shoes", "Running"),
    ("home", "Home", "Home & Garden"),
    ("home/kitchen", "Kitchen", "Cookware"),
    ("style", "Style", "Howto & Style;Fashion"),
    ("sports", "Sports", ""),
    ("sports/hiking", "Hiking", "Trail"),
]


@dataclass
class FakeContext:
    """Answers ``fetch`` from a dict of prepared responses and records what was asked."""

    now: datetime
    taxonomy: Taxonomy
    responses: dict[str, Fetched] = field(default_factory=dict)
    http: HttpMockSequence | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    source_unchanged: bool = False
    fresh_until: datetime | None = None

    def fetch(self, url: str) -> Fetched:
        self.fetched.append(url)
        if url not in self.responses:
            raise SourceError(f"The address {url} answered 404 Not Found.")
        return self.responses[url]

    def google_http(self) -> HttpMockSequence:
        assert self.http is not None, "this test did not expect a YouTube API call"
        return self.http

    def secret(self, name: str) -> str | None:
        return self.secrets.get(name)

    def setting(self, name: str) -> str | None:
        return self.settings.get(name)


@pytest.fixture
def taxonomy() -> Taxonomy:
    return Taxonomy.from_rows(
        {"slug": slug, "name": name, "aliases": aliases} for slug, name, aliases in INTERESTS
    )


@pytest.fixture
def context(taxonomy: Taxonomy) -> FakeContext:
    return FakeContext(now=NOW, taxonomy=taxonomy)


@pytest.fixture
def serve(context: FakeContext) -> Callable[..., Fetched]:
    """Make ``context.fetch(url)`` answer with ``body``; returns the prepared response."""

    def serve(
        url: str,
        body: bytes | str,
        content_type: str = "application/rss+xml",
        base_url: str | None = None,
        not_modified: bool = False,
    ) -> Fetched:
        fetched = Fetched(
            body=body.encode("utf-8") if isinstance(body, str) else body,
            base_url=base_url or url,
            headers={"Content-Type": content_type} if content_type else {},
            not_modified=not_modified,
        )
        context.responses[url] = fetched
        return fetched

    return serve
