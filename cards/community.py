"""The ``community`` kind: an organisation's answered questions and popular ideas, as cards.

What shoppers ask and suggest is worth more than the page it was written on: a question a
partner answered, or an idea many shoppers want or the partner has planned, can help
others who follow the same interests. Plaza keeps one provider of this kind per
organisation (``kept_by_plaza``): its worker writes the config from the community's
texts that everyone may see, and this kind turns each post into a card that links to the
question's thread or the organisation's board. Like every kind it never reads the
database; a post that leaves the config leaves the feed at once (``gone_grace`` zero).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cards._shared import UtcDatetime
from cards.spec import CardDraft, CardKind, RefreshContext

MAX_POSTS = 200  # the newest of an organisation's posts that become cards
MAX_INTERESTS = 50  # interests of one post
PLAZA_PATH = r"^/[A-Za-z0-9]"  # a page of Plaza's own (a thread, a board), never elsewhere
CALLS = {"question": "Read the answer", "idea": "See the idea"}  # the card's button


def post_key(kind: str, post_id: int) -> str:
    """The card's stable id for a community text: ``question-7``, ``idea-3``."""
    return f"{kind}-{post_id}"


def without_posts(config: Mapping[str, Any], keys: Collection[str]) -> dict[str, Any]:
    """A stored config without the posts ``keys`` (texts taken down or deleted), so that
    no refresh brings their cards back before Plaza writes the config again."""
    posts = config.get("posts", [])
    return {**config, "posts": [post for post in posts if post.get("key") not in keys]}


class CommunityPost(BaseModel):
    """One answered question or idea, as it is shown: written by Plaza, not a partner."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^(question|idea)-[0-9]+$")
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(default="", max_length=1000)  # the answer, or the idea's note
    label: str = Field(min_length=1, max_length=250)  # "Answered by Trailpeak"
    path: str = Field(max_length=300, pattern=PLAZA_PATH)
    interests: list[str] = Field(default_factory=list, max_length=MAX_INTERESTS)
    published_at: UtcDatetime


class CommunityConfig(BaseModel):
    """The posts of one organisation's community that may surface in the feed."""

    model_config = ConfigDict(extra="forbid")

    posts: list[CommunityPost] = Field(default_factory=list, max_length=MAX_POSTS)


class CommunityKind(CardKind[CommunityConfig]):
    """Questions an organisation answered and ideas shoppers back or the organisation
    planned, shown to shoppers interested in the same things and leading to the thread
    or the board."""

    name = "community_post"
    label = "Community"
    description = "Answered questions and popular ideas from an organisation's community."
    card_label = "Community"
    feed_label = "Community posts"
    config_model = CommunityConfig
    fetches_remote = False
    gone_grace = timedelta(0)  # a removed text's card leaves the feed at once
    default_interval = timedelta(days=1)  # Plaza makes it due whenever its posts change
    kept_by_plaza = True

    def refresh(self, config: CommunityConfig, context: RefreshContext) -> Iterator[CardDraft]:
        for post in config.posts:
            yield CardDraft(
                external_id=post.key,
                title=post.title,
                url=post.path,
                summary=post.text,
                interests=list(post.interests),
                payload={"label": post.label, "cta": CALLS[post.key.partition("-")[0]]},
                published_at=post.published_at,
            )
