"""An organisation's public profile: what its page at ``/o/<slug>`` says about it.

Members write it in the portal; shoppers read it, signed in or not. The description
is plain text (shown escaped, its line breaks kept); the website and social links are
complete http(s) addresses with a host, checked here before anything is stored: a
``javascript:`` or ``data:`` address, a relative one, one with a user name or password
in it, or one too long is refused with a message naming the field, and the profile is
left as it was. Shared by the portal and anything else that edits a profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.models import Organization
from feeds.normalize import safe_url

DESCRIPTION_MAX = 1000
LINK_MAX = 500
SOCIAL_LINKS = 4
# Tabs and line breaks are text; every other control character (NUL above all, which
# PostgreSQL refuses) is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# How a link to a well-known network is labelled on the page; others show their host.
NETWORKS = {
    "instagram.com": "Instagram",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "pinterest.com": "Pinterest",
    "tiktok.com": "TikTok",
    "facebook.com": "Facebook",
    "x.com": "X",
    "twitter.com": "X",
    "linkedin.com": "LinkedIn",
    "threads.net": "Threads",
    "bsky.app": "Bluesky",
}


@dataclass
class ProfileProblems(ValueError):
    """Everything wrong with a submitted profile, as (field, message) pairs."""

    problems: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(message for _, message in self.problems)


@dataclass(frozen=True)
class ProfileForm:
    """A profile as submitted: the description and the links, as typed."""

    description: str = ""
    website: str = ""
    social: tuple[str, ...] = ()

    @classmethod
    def of(cls, organization: Organization) -> ProfileForm:
        """The profile ``organization`` has now, as its form shows it."""
        return cls(
            organization.description,
            organization.website_url or "",
            tuple(organization.social_links),
        )


def social_field(position: int) -> str:
    """The form field of the ``position``-th social link (1-based)."""
    return f"social_{position}"


def update_profile(organization: Organization, form: ProfileForm) -> None:
    """Check ``form`` and, only when all of it is right, store it on ``organization`` (the
    caller commits); raises :class:`ProfileProblems` listing every problem otherwise."""
    problems = ProfileProblems()
    description = form.description.replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_MAX:
        problems.problems.append(
            ("description", f"Description: keep it to {DESCRIPTION_MAX:,} characters.")
        )
    elif _CONTROL.search(description):
        problems.problems.append(
            ("description", "Description: it contains characters that are not text.")
        )
    website = _checked_link("website", "Website", form.website, problems)
    if len(form.social) > SOCIAL_LINKS:
        problems.problems.append(("social", f"Give at most {SOCIAL_LINKS} social links."))
    social = [
        _checked_link(social_field(n), f"Social link {n}", raw, problems)
        for n, raw in enumerate(form.social, start=1)
    ]
    if problems.problems:
        raise problems
    organization.description = description
    organization.website_url = website
    organization.social_links = [link for link in social if link]


def _checked_link(name: str, label: str, raw: str, problems: ProfileProblems) -> str | None:
    """``raw`` when it is a web address a shopper may be sent to, None when empty;
    otherwise a problem naming ``label`` is added."""
    value = raw.strip()
    if not value:
        return None
    if len(value) > LINK_MAX:
        problems.problems.append((name, f"{label}: keep the address to {LINK_MAX} characters."))
        return None
    # safe_url refuses what urlsplit cannot read (an unclosed "[" in the host, say).
    if safe_url(value) != value or urlsplit(value).scheme not in ("http", "https"):
        problems.problems.append(
            (name, f"{label}: enter a full web address starting with https:// (or http://).")
        )
    elif urlsplit(value).username is not None or urlsplit(value).password is not None:
        problems.problems.append(
            (name, f"{label}: an address with a user name or password in it is not accepted.")
        )
    else:
        return value
    return None


def link_label(url: str) -> str:
    """What a profile link is called on the page: the network's name, or the host."""
    host = (urlsplit(url).hostname or url).removeprefix("www.").removeprefix("m.")
    return NETWORKS.get(host, host)
