"""youtube: the Data API through googleapiclient's own HttpMockSequence, and the Atom feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from googleapiclient.http import HttpMockSequence
from pydantic import ValidationError

from cards.errors import SourceError
from cards.taxonomy import default_taxonomy
from cards.youtube import YouTubeConfig, YouTubeKind

KIND = YouTubeKind()
CHANNEL = "UCabcdefghijklmnopqrstuv"
PLAYLIST = "PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG"
OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}


def thumbnails(video_id: str, *sizes: str) -> dict:
    widths = {"default": (120, 90), "medium": (320, 180), "high": (480, 360), "maxres": (1280, 720)}
    return {
        size: {
            "url": f"https://i.ytimg.com/vi/{video_id}/{size}.jpg",
            "width": widths[size][0],
            "height": widths[size][1],
        }
        for size in sizes
    }


def search_response(*video_ids: str) -> str:
    return json.dumps(
        {
            "kind": "youtube#searchListResponse",
            "etag": "q2V0bWFkZXVwZXRhZw",
            "nextPageToken": "CAUQAA",
            "regionCode": "US",
            "pageInfo": {"totalResults": 1000000, "resultsPerPage": len(video_ids)},
            "items": [
                {
                    "kind": "youtube#searchResult",
                    "etag": f"etag-{video_id}",
                    "id": {"kind": "youtube#video", "videoId": video_id},
                    "snippet": {
                        "publishedAt": "2025-06-01T15:00:00Z",
                        "channelId": CHANNEL,
                        "title": f"Search title {video_id}",
                        "description": "Shortened description…",
                        "thumbnails": thumbnails(video_id, "default", "medium", "high"),
                        "channelTitle": "Northwind Running",
                        "liveBroadcastContent": "none",
                        "publishTime": "2025-06-01T15:00:00Z",
                    },
                }
                for video_id in video_ids
            ],
        }
    )


def video(video_id: str, **changes) -> dict:
    resource = {
        "kind": "youtube#video",
        "etag": f"etag-{video_id}",
        "id": video_id,
        "snippet": {
            "publishedAt": "2025-06-01T15:00:00Z",
            "channelId": CHANNEL,
            "title": "How to choose trail running shoes &amp; socks",
            "description": "Our coach explains grip, drop and cushioning.\n\nShop the shoes: https://shop.example",
            "thumbnails": thumbnails(video_id, "default", "medium", "high", "maxres"),
            "channelTitle": "Northwind Running",
            "tags": ["trail", "running shoes"],
            "categoryId": "17",
            "liveBroadcastContent": "none",
            "defaultAudioLanguage": "en",
        },
        "contentDetails": {
            "duration": "PT12M5S",
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "contentRating": {},
            "projection": "rectangular",
        },
        "statistics": {
            "viewCount": "12345",
            "likeCount": "678",
            "favoriteCount": "0",
            "commentCount": "9",
        },
    }
    for part, fields in changes.items():
        resource[part] = {**resource[part], **fields}
    return resource


def videos_response(*videos: dict) -> str:
    return json.dumps(
        {
            "kind": "youtube#videoListResponse",
            "etag": "videos-etag",
            "items": list(videos),
            "pageInfo": {"totalResults": len(videos), "resultsPerPage": len(videos)},
        }
    )


def api_error(status: int, reason: str, message: str, domain: str = "youtube.quota") -> tuple:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }
    return {"status": str(status), "content-type": "application/json"}, json.dumps(body)


def with_api(context, *responses) -> HttpMockSequence:
    context.secrets["youtube_api_key"] = "test-key"
    context.http = HttpMockSequence(list(responses))
    return context.http


def query(uri: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(uri).query)


def refresh(context, **config):
    return list(KIND.refresh(YouTubeConfig(**config), context))


def test_search_then_one_videos_call_gives_durations_and_views(context):
    http = with_api(
        context,
        (OK, search_response("dQw4w9WgXcQ", "9bZkp7q19f0")),
        (
            OK,
            videos_response(
                video("dQw4w9WgXcQ"),
                video(
                    "9bZkp7q19f0",
                    contentDetails={"duration": "PT1H2M3S"},
                    statistics={"viewCount": "5"},
                    snippet={"title": "Kitchen tour", "tags": ["cookware"], "categoryId": "26"},
                ),
            ),
        ),
    )

    first, second = refresh(context, source="search", query="trail shoes", max_results=2)

    # Exactly two requests: the discovery document ships with the library.
    assert [urlsplit(uri).path for uri, *_ in http.request_sequence] == [
        "/youtube/v3/search",
        "/youtube/v3/videos",
    ]
    search, videos = (query(uri) for uri, *_ in http.request_sequence)
    assert search["q"] == ["trail shoes"]
    assert search["type"] == ["video"]
    assert search["order"] == ["date"]
    assert search["maxResults"] == ["2"]
    assert search["key"] == ["test-key"]
    assert videos["id"] == ["dQw4w9WgXcQ,9bZkp7q19f0"]
    assert videos["part"] == ["snippet,contentDetails,statistics"]

    assert first.external_id == "dQw4w9WgXcQ"
    assert first.title == "How to choose trail running shoes & socks"
    assert first.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert first.summary.startswith("Our coach explains grip, drop and cushioning. Shop the shoes")
    assert first.image_url == "https://i.ytimg.com/vi/dQw4w9WgXcQ/maxres.jpg"
    assert first.published_at == datetime(2025, 6, 1, 15, 0, tzinfo=UTC)
    assert first.interests == ["apparel/shoes/running", "sports/hiking", "sports"]
    assert first.payload == {
        "video_id": "dQw4w9WgXcQ",
        "channel_title": "Northwind Running",
        "channel_id": CHANNEL,
        "duration_seconds": 725,
        "view_count": 12345,
        "embed_url": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    }
    assert second.payload["duration_seconds"] == 3723
    assert second.payload["view_count"] == 5
    assert second.interests == ["home/kitchen", "style"]


def playlist_items_response(*video_ids: str) -> str:
    """A playlistItems.list answer with ``part=contentDetails``, as YouTube sends it."""
    return json.dumps(
        {
            "kind": "youtube#playlistItemListResponse",
            "etag": "pl-etag",
            "items": [
                {
                    "kind": "youtube#playlistItem",
                    "etag": f"etag-{video_id}",
                    "id": f"item-{video_id}",
                    "contentDetails": {
                        "videoId": video_id,
                        "videoPublishedAt": "2025-06-03T09:00:00Z",
                    },
                }
                for video_id in video_ids
            ],
            "pageInfo": {"totalResults": len(video_ids), "resultsPerPage": 15},
        }
    )


def test_channel_with_a_key_reads_its_uploads_playlist_not_search(context):
    uploads = "UU" + CHANNEL[2:]
    http = with_api(
        context,
        (OK, playlist_items_response("dQw4w9WgXcQ")),
        (OK, videos_response(video("dQw4w9WgXcQ"))),
    )

    (draft,) = refresh(context, source="channel", channel_id=CHANNEL, max_results=7)

    # playlistItems.list (1 quota unit) then videos.list (1 unit); never search.list (100).
    assert [urlsplit(uri).path for uri, *_ in http.request_sequence] == [
        "/youtube/v3/playlistItems",
        "/youtube/v3/videos",
    ]
    listed, videos = (query(uri) for uri, *_ in http.request_sequence)
    assert listed["playlistId"] == [uploads]
    assert listed["part"] == ["contentDetails"]
    assert listed["maxResults"] == ["7"]
    assert listed["key"] == ["test-key"]
    assert "channelId" not in listed
    assert videos["id"] == ["dQw4w9WgXcQ"]
    assert draft.external_id == "dQw4w9WgXcQ"
    assert draft.payload["duration_seconds"] == 725
    assert context.fetched == []  # no Atom feed when the API is available


def test_playlist_then_videos_drops_private_and_deleted_entries(context):
    http = with_api(
        context,
        (OK, playlist_items_response("dQw4w9WgXcQ", "AAAAAAAAAAA", "bad id")),
        (OK, videos_response(video("dQw4w9WgXcQ", contentDetails={"duration": "P0D"}))),
    )

    (draft,) = refresh(context, source="playlist", playlist_id=PLAYLIST)

    assert [urlsplit(uri).path for uri, *_ in http.request_sequence] == [
        "/youtube/v3/playlistItems",
        "/youtube/v3/videos",
    ]
    listed, videos = (query(uri) for uri, *_ in http.request_sequence)
    assert listed["playlistId"] == [PLAYLIST]
    assert listed["part"] == ["contentDetails"]
    assert videos["id"] == ["dQw4w9WgXcQ,AAAAAAAAAAA"]  # the malformed id is never sent
    assert draft.external_id == "dQw4w9WgXcQ"
    assert draft.payload["duration_seconds"] is None  # P0D: a live stream, length unknown


def test_no_results_make_no_videos_call(context):
    http = with_api(context, (OK, search_response()))

    assert refresh(context, source="search", query="nothing matches this") == []
    assert len(http.request_sequence) == 1


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        # 05:00 PDT -> next midnight PDT is 07:00 UTC the next day.
        (datetime(2025, 6, 15, 12, 0, tzinfo=UTC), datetime(2025, 6, 16, 7, 0, tzinfo=UTC)),
        # 23:30 PST on Jan 14 -> midnight PST half an hour later (08:00 UTC).
        (datetime(2025, 1, 15, 7, 30, tzinfo=UTC), datetime(2025, 1, 15, 8, 0, tzinfo=UTC)),
        # The evening before DST ends: that midnight is still PDT.
        (datetime(2025, 11, 1, 20, 0, tzinfo=UTC), datetime(2025, 11, 2, 7, 0, tzinfo=UTC)),
    ],
)
def test_quota_exceeded_waits_for_the_next_pacific_midnight(context, now, reset):
    context.now = now
    with_api(
        context,
        api_error(
            403,
            "quotaExceeded",
            'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
            'getting-started#quota">quota</a>.',
        ),
    )

    with pytest.raises(SourceError) as raised:
        refresh(context, source="search", query="shoes")

    assert raised.value.message == (
        "YouTube's daily API quota is used up; Plaza will try again after it resets at "
        "midnight Pacific time."
    )
    assert raised.value.retry_after == reset


def test_quota_exceeded_on_the_videos_call_is_the_same_error(context):
    with_api(
        context,
        (OK, search_response("dQw4w9WgXcQ")),
        api_error(403, "dailyLimitExceeded", "Daily Limit Exceeded", domain="usageLimits"),
    )

    with pytest.raises(SourceError) as raised:
        refresh(context, source="search", query="shoes")

    assert raised.value.retry_after == datetime(2025, 6, 16, 7, 0, tzinfo=UTC)


def test_unknown_playlist_says_which(context):
    with_api(
        context,
        api_error(
            404,
            "playlistNotFound",
            "The playlist identified with the request's <code>playlistId</code> parameter "
            "cannot be found.",
            domain="youtube.playlistItem",
        ),
    )

    with pytest.raises(SourceError) as raised:
        refresh(context, source="playlist", playlist_id=PLAYLIST)

    assert raised.value.message == f"YouTube could not find the playlist {PLAYLIST}; check the ID."
    assert raised.value.retry_after is None


def test_unknown_channel_says_which(context):
    # A channel that does not exist has no uploads playlist either.
    http = with_api(
        context,
        api_error(
            404,
            "playlistNotFound",
            "The playlist identified with the request's <code>playlistId</code> parameter "
            "cannot be found.",
            domain="youtube.playlistItem",
        ),
    )

    with pytest.raises(SourceError, match=f"could not find the channel {CHANNEL}"):
        refresh(context, source="channel", channel_id=CHANNEL)
    assert len(http.request_sequence) == 1


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            api_error(400, "keyInvalid", "API key not valid.", domain="global"),
            "YouTube refused Plaza's API key; ask Plaza's operators to check it.",
        ),
        (
            api_error(403, "forbidden", "Forbidden", domain="youtube.playlistItem"),
            f"YouTube does not let Plaza read the playlist {PLAYLIST}; check that it is public.",
        ),
        (
            ({"status": "503"}, "Service Unavailable"),
            "YouTube answered with an error (HTTP 503); Plaza will try again.",
        ),
    ],
)
def test_other_api_errors_are_explained(context, response, message):
    with_api(context, response)

    with pytest.raises(SourceError) as raised:
        refresh(context, source="playlist", playlist_id=PLAYLIST)

    assert raised.value.message == message


CHANNEL_FEED = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
      xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"/>
 <id>yt:channel:{CHANNEL}</id>
 <yt:channelId>{CHANNEL}</yt:channelId>
 <title>Northwind Running</title>
 <link rel="alternate" href="https://www.youtube.com/channel/{CHANNEL}"/>
 <author><name>Northwind Running</name><uri>https://www.youtube.com/channel/{CHANNEL}</uri></author>
 <published>2015-03-01T10:00:00+00:00</published>
 <entry>
  <id>yt:video:dQw4w9WgXcQ</id>
  <yt:videoId>dQw4w9WgXcQ</yt:videoId>
  <yt:channelId>{CHANNEL}</yt:channelId>
  <title>Running shoes</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"/>
  <author><name>Northwind Running</name><uri>https://www.youtube.com/channel/{CHANNEL}</uri></author>
  <published>2025-06-01T15:00:00+00:00</published>
  <updated>2025-06-02T08:00:00+00:00</updated>
  <media:group>
   <media:title>Running shoes</media:title>
   <media:content url="https://www.youtube.com/v/dQw4w9WgXcQ?version=3"
    type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i1.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    width="480" height="360"/>
   <media:description>Grip, drop and cushioning.</media:description>
   <media:community>
    <media:starRating count="120" average="5.00" min="1" max="5"/>
    <media:statistics views="12345"/>
   </media:community>
  </media:group>
 </entry>
 <entry>
  <id>yt:video:not-an-id</id>
  <yt:videoId>"&gt;&lt;script&gt;</yt:videoId>
  <title>Injected</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=x"/>
 </entry>
</feed>
"""


def test_channel_without_a_key_reads_the_public_atom_feed(context, serve):
    url = f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"
    serve(url, CHANNEL_FEED, content_type="text/xml; charset=UTF-8")

    (draft,) = refresh(context, source="channel", channel_id=CHANNEL)

    assert context.fetched == [url]
    assert draft.external_id == "dQw4w9WgXcQ"
    assert draft.title == "Running shoes"
    assert draft.summary == "Grip, drop and cushioning."
    assert draft.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert draft.image_url == "https://i1.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert draft.published_at == datetime(2025, 6, 1, 15, 0, tzinfo=UTC)
    assert draft.interests == ["apparel/shoes/running"]
    assert draft.payload == {
        "video_id": "dQw4w9WgXcQ",
        "channel_title": "Northwind Running",
        "channel_id": CHANNEL,
        "duration_seconds": None,
        "view_count": 12345,
        "embed_url": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    }


def test_the_feeds_are_read_where_the_deployment_says(context, serve):
    mirror = "http://yt-mirror.example:8080/feeds/videos.xml"
    context.settings["youtube_feed_url"] = mirror
    serve(f"{mirror}?channel_id={CHANNEL}", CHANNEL_FEED, content_type="text/xml")

    (draft,) = refresh(context, source="channel", channel_id=CHANNEL)

    assert context.fetched == [f"{mirror}?channel_id={CHANNEL}"]
    assert draft.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"  # links stay YouTube's


def test_playlist_without_a_key_reads_the_playlist_feed(context, serve):
    url = f"https://www.youtube.com/feeds/videos.xml?playlist_id={PLAYLIST}"
    serve(url, CHANNEL_FEED, content_type="text/xml; charset=UTF-8")

    assert [d.external_id for d in refresh(context, source="playlist", playlist_id=PLAYLIST)] == [
        "dQw4w9WgXcQ"
    ]


def test_feed_not_modified_yields_nothing(context, serve):
    url = f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"
    serve(url, b"", not_modified=True)

    assert refresh(context, source="channel", channel_id=CHANNEL) == []


def test_search_without_a_key_asks_for_one(context):
    with pytest.raises(SourceError) as raised:
        refresh(context, source="search", query="shoes")

    assert raised.value.message == (
        "Searching YouTube needs an API key; ask Plaza's operators to set one, "
        "or use a channel or playlist."
    )
    assert context.fetched == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"source": "channel"}, "enter a channel ID"),
        ({"source": "channel", "channel_id": ""}, "enter a channel ID"),
        ({"source": "channel", "channel_id": "northwind"}, "starts with UC"),
        ({"source": "channel", "channel_id": "UC" + "a" * 21}, "starts with UC"),
        ({"source": "playlist", "playlist_id": "PL has spaces"}, "only letters, digits"),
        ({"source": "playlist", "channel_id": CHANNEL}, "enter a playlist ID"),
        ({"source": "search", "query": "   "}, "enter words"),
        ({"source": "search", "query": "x", "max_results": 51}, "less than or equal to 50"),
        ({"source": "search", "query": "x", "max_results": 0}, "greater than or equal to 1"),
        ({"source": "video"}, "'channel', 'playlist' or 'search'"),
    ],
)
def test_config_requires_the_field_its_source_needs(config, message):
    with pytest.raises(ValidationError, match=message):
        YouTubeConfig(**config)


def test_config_accepts_and_cleans_valid_sources():
    config = YouTubeConfig(source="channel", channel_id=f" {CHANNEL} ", playlist_id="")

    assert config.channel_id == CHANNEL
    assert config.playlist_id is None
    assert config.max_results == 15


def test_config_json_schema_generates():
    schema = YouTubeConfig.model_json_schema()

    assert schema["properties"]["source"]["enum"] == ["channel", "playlist", "search"]
    assert schema["properties"]["channel_id"]["pattern"] == "^UC[A-Za-z0-9_-]{22}$"
    assert all(field.get("description") for field in schema["properties"].values())


def test_each_video_is_about_what_it_says_not_its_whole_channel(context):
    """A channel of home how-tos posts about plants one week and pans the next: each video
    gets the interests its tags and title name, its description only when they name none,
    and nothing when nothing matches (the provider's interests then stand in for it)."""
    context.taxonomy = default_taxonomy()
    untagged = {"tags": [], "categoryId": "26"}
    with_api(
        context,
        (OK, search_response("aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc")),
        (
            OK,
            videos_response(
                video(
                    "aaaaaaaaaaa",
                    snippet={
                        "title": "Repotting a Monstera Without the Mess",
                        "description": "A tidy repot you can do on the kitchen floor.",
                        **untagged,
                    },
                ),
                video(
                    "bbbbbbbbbbb",
                    snippet={
                        "title": "Our week at the shop",
                        "description": "We finally fixed the espresso grinder.",
                        **untagged,
                    },
                ),
                video(
                    "ccccccccccc",
                    snippet={
                        "title": "Vlog #12",
                        "description": "Thanks for watching!",
                        **untagged,
                    },
                ),
            ),
        ),
    )

    repotting, week, vlog = refresh(context, source="search", query="home", max_results=3)

    assert repotting.interests == ["garden/plants/houseplants"]  # not the kitchen floor
    assert week.interests and all(slug.startswith("food/") for slug in week.interests)
    assert vlog.interests == []
    assert KIND.item_interests  # so the store adds the channel's interests only to the vlog
