"""The ``youtube`` kind: video cards from a channel, a playlist or a search.

Two ways in. With an API key (the deployment secret ``youtube_api_key``) the
YouTube Data API gives durations, view counts, tags and categories, and makes
searches possible. Without one, channels and playlists still work through
YouTube's public Atom feeds, which carry everything but the duration. The
deployment setting ``youtube_feed_url`` (``PLAZA_YOUTUBE_FEED_URL``) moves those
feeds to another address, such as a mirror or a test server.

The API key's daily quota (10,000 units by default) is shared by every provider,
so each refresh spends as little as it can: a channel or playlist costs two
units (``playlistItems.list`` then ``videos.list``); only a search costs 101,
because ``search.list`` alone costs 100.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from cards._shared import (
    SUMMARY_MAX,
    TITLE_MAX,
    entry_image,
    entry_published,
    fetch_feed,
    first_of_each,
    published_at,
)
from cards.choices import labelled, needed_for
from cards.errors import SourceError
from cards.spec import CardDraft, CardKind, RefreshContext, report_rejected
from feeds.normalize import as_utc, iso8601_duration_seconds, plain_text, safe_url

if TYPE_CHECKING:
    from googleapiclient.errors import HttpError

_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_PLAYLIST_ID = re.compile(r"[A-Za-z0-9_-]{2,64}")
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_FEED_URL = "https://www.youtube.com/feeds/videos.xml"
_SOURCE_FIELD = {"channel": "channel_id", "playlist": "playlist_id", "search": "query"}
_SOURCE_LABEL = {"channel": "A channel's uploads", "playlist": "A playlist", "search": "A search"}
# YouTube's quota day starts at midnight Pacific time.
_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked"})
# YouTube's video categories (stable ids); their names are matched against interests.
_CATEGORIES = {
    "1": "Film & Animation",
    "2": "Autos & Vehicles",
    "10": "Music",
    "15": "Pets & Animals",
    "17": "Sports",
    "19": "Travel & Events",
    "20": "Gaming",
    "22": "People & Blogs",
    "23": "Comedy",
    "24": "Entertainment",
    "25": "News & Politics",
    "26": "Howto & Style",
    "27": "Education",
    "28": "Science & Technology",
    "29": "Nonprofits & Activism",
}


class YouTubeConfig(BaseModel):
    """Which videos to show: one channel's uploads, one playlist, or a search."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra=needed_for("source", _SOURCE_FIELD),
    )

    source: Literal["channel", "playlist", "search"] = Field(
        title="Videos from",
        description="A channel's latest uploads, a playlist, or the newest videos for a search "
        "(searching needs Plaza's YouTube API key).",
        json_schema_extra=labelled(_SOURCE_LABEL),
    )
    # validate_default: a missing ID is refused by the field's own validator, so the
    # message lands next to the field rather than above the form.
    channel_id: str | None = Field(
        default=None,
        validate_default=True,
        title="Channel ID",
        description="For a channel: its ID, which starts with UC and has 24 characters "
        "(YouTube: your channel > About > Share channel > Copy channel ID).",
        json_schema_extra={"pattern": f"^{_CHANNEL_ID.pattern}$"},
    )
    playlist_id: str | None = Field(
        default=None,
        validate_default=True,
        title="Playlist ID",
        description="For a playlist: the part after list= in the playlist's address.",
        json_schema_extra={"pattern": f"^{_PLAYLIST_ID.pattern}$"},
    )
    query: str | None = Field(
        default=None,
        validate_default=True,
        max_length=100,
        title="Search words",
        description="For a search: the words to search YouTube for.",
    )
    max_results: int = Field(
        default=15, ge=1, le=50, title="Most videos", description="How many videos to show."
    )

    @field_validator("channel_id", "playlist_id", "query", mode="before")
    @classmethod
    def blank_is_missing(cls, value: Any) -> Any:
        """Forms send empty strings for fields left blank."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("channel_id")
    @classmethod
    def check_channel_id(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL_ID.fullmatch(value):
            raise ValueError("A channel ID starts with UC and has 24 letters, digits, - or _.")
        return value

    @field_validator("playlist_id")
    @classmethod
    def check_playlist_id(cls, value: str | None) -> str | None:
        if value is not None and not _PLAYLIST_ID.fullmatch(value):
            raise ValueError("A playlist ID has only letters, digits, - and _.")
        return value

    @field_validator("channel_id", "playlist_id", "query")
    @classmethod
    def needed_for_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The field the chosen source reads must be filled in."""
        source = info.data.get("source")
        if value is None and source is not None and _SOURCE_FIELD[source] == info.field_name:
            wanted = {"channel": "a channel ID", "playlist": "a playlist ID", "search": "words"}
            raise ValueError(f"To show videos from a {source}, enter {wanted[source]}.")
        return value


class YouTubeKind(CardKind[YouTubeConfig]):
    """Show your YouTube videos in shoppers' feeds: the latest uploads of your channel, a
    playlist you curate, or the newest videos for a search. Each video becomes a card that
    plays right in the feed in YouTube's privacy-enhanced player, with its length and view
    count when available. Channels and playlists work straight away; searches need the
    YouTube API key that Plaza's operators may set up. Plaza looks for new videos every hour."""

    name = "youtube"
    label = "YouTube videos"
    description = "Video cards from a YouTube channel, playlist or search."
    card_label = "Video"
    item_interests = True  # a channel posts about many things; each video says which
    feed_label = "Videos"
    freshness_half_life = timedelta(days=10)  # a video keeps longer than a product
    notification_category = "videos"
    config_model = YouTubeConfig
    default_interval = timedelta(hours=1)

    def refresh(self, config: YouTubeConfig, context: RefreshContext) -> Iterator[CardDraft]:
        key = context.secret("youtube_api_key")
        if key:
            drafts = _from_api(config, context, key)
        elif config.source == "search":
            raise SourceError(
                "Searching YouTube needs an API key; ask Plaza's operators to set one, "
                "or use a channel or playlist."
            )
        else:
            drafts = _from_feed(config, context)
        yield from islice(first_of_each(d for d in drafts if d is not None), config.max_results)


def _from_feed(config: YouTubeConfig, context: RefreshContext) -> Iterator[CardDraft | None]:
    """Videos from YouTube's public Atom feed of a channel or playlist (no key, no quota)."""
    parameter = _SOURCE_FIELD[config.source]
    address = context.setting("youtube_feed_url") or _FEED_URL
    query = urlencode({parameter: getattr(config, parameter)})
    document = fetch_feed(context, f"{address}?{query}")
    if document is None:
        return
    for entry in document.parsed.entries:
        stats = entry.get("media_statistics") or {}
        yield _video(
            context,
            video_id=entry.get("yt_videoid", ""),
            title=entry.get("title"),
            description=entry.get("summary"),
            channel_title=entry.get("author") or document.parsed.feed.get("title"),
            channel_id=entry.get("yt_channelid"),
            published=entry_published(entry, context.now),
            image_url=entry_image(entry, document.base_url),
            duration_seconds=None,
            view_count=stats.get("views"),
            categories=[],
        )


def _from_api(
    config: YouTubeConfig, context: RefreshContext, key: str
) -> Iterator[CardDraft | None]:
    """Videos through the Data API: one list call for the ids, one ``videos.list`` for details.

    The second call costs one quota unit for up to 50 videos and is what brings
    durations, view counts, tags and categories. The discovery document ships
    with google-api-python-client, so building the client makes no request. Imported
    here: only the worker calls the API, and the client costs a web process 15 MB.
    """
    from googleapiclient.discovery import build
    from googleapiclient.errors import HttpError

    youtube = build(
        "youtube",
        "v3",
        developerKey=key,
        http=context.google_http(),
        static_discovery=True,
        cache_discovery=False,
    )
    try:
        ids = _api_video_ids(youtube, config)
        if not ids:
            return
        response = (
            youtube.videos()
            .list(part="snippet,contentDetails,statistics", id=",".join(ids), maxResults=len(ids))
            .execute()
        )
    except HttpError as error:
        raise _api_error(error, config, context.now) from error
    for item in response.get("items", []):
        snippet = item.get("snippet", {})
        yield _video(
            context,
            video_id=item.get("id", ""),
            title=snippet.get("title"),
            description=snippet.get("description"),
            channel_title=snippet.get("channelTitle"),
            channel_id=snippet.get("channelId"),
            published=published_at([snippet.get("publishedAt")], context.now),
            image_url=_best_thumbnail(snippet.get("thumbnails", {})),
            duration_seconds=iso8601_duration_seconds(
                item.get("contentDetails", {}).get("duration")
            ),
            view_count=item.get("statistics", {}).get("viewCount"),
            categories=[
                *snippet.get("tags", []),
                _CATEGORIES.get(snippet.get("categoryId", ""), ""),
            ],
        )


def _api_video_ids(youtube: Any, config: YouTubeConfig) -> list[str]:
    """The ids of the newest videos of the configured source, without repeats.

    Channels are read through their uploads playlist, not ``search.list``:
    one quota unit instead of 100, and the playlist holds every public upload
    in order, where search results can miss or lag behind recent ones.
    """
    if config.source == "search":
        response = (
            youtube.search()
            .list(
                part="snippet",
                type="video",
                order="date",
                q=config.query,
                maxResults=config.max_results,
            )
            .execute()
        )
        ids = [item.get("id", {}).get("videoId", "") for item in response.get("items", [])]
    else:
        response = (
            youtube.playlistItems()
            .list(
                part="contentDetails",
                playlistId=_playlist_id(config),
                maxResults=config.max_results,
            )
            .execute()
        )
        ids = [
            item.get("contentDetails", {}).get("videoId", "") for item in response.get("items", [])
        ]
    return list(dict.fromkeys(i for i in ids if _VIDEO_ID.fullmatch(i)))


def _playlist_id(config: YouTubeConfig) -> str:
    """The configured playlist, or a channel's uploads playlist ("UC..." becomes "UU...").

    The uploads playlist's id is the channel id with its second letter changed;
    asking ``channels.list`` for ``relatedPlaylists.uploads`` would give the
    same answer for one more quota unit and one more round trip.
    """
    if config.source == "channel":
        assert config.channel_id is not None  # the config's validator guarantees it
        return "UU" + config.channel_id[2:]
    assert config.playlist_id is not None
    return config.playlist_id


def _video(
    context: RefreshContext,
    *,
    video_id: str,
    title: str | None,
    description: str | None,
    channel_title: str | None,
    channel_id: str | None,
    published: datetime | None,
    image_url: str | None,
    duration_seconds: int | None,
    view_count: str | None,
    categories: Iterable[str],
) -> CardDraft | None:
    """One video card, the same whichever way the video was found; ``None`` without a valid id."""
    text_title = plain_text(title, TITLE_MAX)
    if not _VIDEO_ID.fullmatch(video_id) or not text_title:
        reason = "its video id is not a YouTube video id" if text_title else "it has no title"
        report_rejected(context, text_title or video_id or "A video", reason)
        return None
    return CardDraft(
        external_id=video_id,
        title=text_title,
        url=f"https://www.youtube.com/watch?v={video_id}",
        summary=plain_text(description, SUMMARY_MAX),
        image_url=image_url,
        interests=_video_interests(context, categories, text_title, description),
        published_at=published,
        payload={
            "video_id": video_id,
            "channel_title": plain_text(channel_title, 100) or None,
            "channel_id": channel_id if channel_id and _CHANNEL_ID.fullmatch(channel_id) else None,
            # Live streams and premieres report a zero duration: unknown, not 0:00.
            "duration_seconds": duration_seconds or None,
            "view_count": int(view_count) if view_count and view_count.isdigit() else None,
            "embed_url": f"https://www.youtube-nocookie.com/embed/{video_id}",
        },
    )


def _video_interests(
    context: RefreshContext, categories: Iterable[str], title: str, description: str | None
) -> list[str]:
    """What one video is about: its tags and category (whole), then whatever interests its
    title names, and only when neither says anything, those its description names. A
    description rambles ("...a tidy repot you can do on the kitchen floor"), so it is
    the last word, not the first."""
    taxonomy = context.taxonomy
    found = taxonomy.match(c for c in categories if c)
    found += [s for s in taxonomy.mentioned([title]) if s not in found]
    if not found:
        found = taxonomy.mentioned([plain_text(description, SUMMARY_MAX)])
    return found


def _best_thumbnail(thumbnails: dict[str, dict[str, Any]]) -> str | None:
    """The widest of a video's thumbnails (default, medium, high, standard, maxres)."""
    widest = max(thumbnails.values(), key=lambda t: t.get("width") or 0, default={})
    # API thumbnails are absolute; no base, so nothing relative can be invented.
    return safe_url(widest.get("url"), "")


def _api_error(error: HttpError, config: YouTubeConfig, now: datetime) -> SourceError:
    """A retailer-readable SourceError for an API error; a spent quota waits for its reset."""
    status = error.resp.status
    reasons = _reasons(error.content)
    if status == 403 and reasons & _QUOTA_REASONS:
        return SourceError(
            "YouTube's daily API quota is used up; Plaza will try again after it resets at "
            "midnight Pacific time.",
            retry_after=_next_quota_reset(now),
        )
    if reasons & _KEY_REASONS:
        return SourceError("YouTube refused Plaza's API key; ask Plaza's operators to check it.")
    what = {
        "channel": f"channel {config.channel_id}",
        "playlist": f"playlist {config.playlist_id}",
        "search": f"search for {config.query!r}",
    }[config.source]
    if status == 404:
        return SourceError(f"YouTube could not find the {what}; check the ID.")
    if status == 403:
        return SourceError(f"YouTube does not let Plaza read the {what}; check that it is public.")
    if status == 400:
        return SourceError(f"YouTube did not accept the {what}; check it.")
    return SourceError(f"YouTube answered with an error (HTTP {status}); Plaza will try again.")


def _reasons(content: bytes) -> set[str]:
    """The machine-readable ``reason`` values of a Google API error body."""
    try:
        error = json.loads(content).get("error")
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    details = [*(error.get("errors") or []), *(error.get("details") or [])]
    return {
        d["reason"] for d in details if isinstance(d, dict) and isinstance(d.get("reason"), str)
    }


def _next_quota_reset(now: datetime) -> datetime:
    """The next midnight in America/Los_Angeles after ``now``, as aware UTC."""
    local = as_utc(now).astimezone(_QUOTA_ZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=_QUOTA_ZONE)
    return as_utc(midnight)
