"""What a consumer can choose: categories, channels, frequencies, and the defaults.

The defaults are the promise made to someone who never opens the settings:
everything in the notification centre, push only once they turn it on in a
browser (and never for promotions or surveys), email as one weekly digest.
"""

from __future__ import annotations

from enum import StrEnum

from cards.registry import UnknownKind, get_kind


class Category(StrEnum):
    PRODUCTS = "products"
    PRICE_DROPS = "price_drops"
    VIDEOS = "videos"
    BOARDS = "boards"
    PROMOTIONS = "promotions"
    SURVEYS = "surveys"
    ACCOUNT = "account"
    COMMUNITY = "community"


class Channel(StrEnum):
    IN_APP = "in_app"
    PUSH = "push"
    EMAIL = "email"


class Frequency(StrEnum):
    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


CATEGORY_LABELS: dict[Category, tuple[str, str]] = {
    Category.PRODUCTS: ("New products", "New arrivals in the interests you follow."),
    Category.PRICE_DROPS: ("Price drops", "When something you saved gets cheaper."),
    Category.VIDEOS: ("New videos", "Videos about your interests."),
    Category.BOARDS: ("New boards", "Pinterest boards about your interests."),
    Category.PROMOTIONS: ("Partner promotions", "Offers from retailers and brands."),
    Category.SURVEYS: ("Surveys", "Quick questions from brands you follow."),
    Category.ACCOUNT: ("Your account and reports", "Messages about your account or your reports."),
    Category.COMMUNITY: (
        "Answers and updates",
        "New answers to questions you asked or answered, news of suggestions you voted for.",
    ),
}
CHANNEL_LABELS: dict[Channel, str] = {
    Channel.IN_APP: "In Plaza",
    Channel.PUSH: "Push",
    Channel.EMAIL: "Email",
}
FREQUENCY_LABELS: dict[Frequency, str] = {
    Frequency.INSTANT: "Right away",
    Frequency.DAILY: "Daily digest",
    Frequency.WEEKLY: "Weekly digest",
    Frequency.OFF: "Off",
}

# Categories a card kind may name for its new cards (CardKind.notification_category);
# price drops, account messages and answers and updates are Plaza's own.
MESSAGE_CATEGORIES = frozenset({Category.ACCOUNT, Category.COMMUNITY})
CARD_CATEGORIES = frozenset(Category) - {Category.PRICE_DROPS} - MESSAGE_CATEGORIES


def category_for_kind(name: str) -> Category | None:
    """The category a new card of kind ``name`` notifies under, as the kind declares it;
    None when the kind names none (or one Plaza does not know): its cards notify nobody."""
    try:
        declared = get_kind(name).notification_category
    except UnknownKind:
        return None
    return Category(declared) if declared in CARD_CATEGORIES else None


_PUSH_OFF_BY_DEFAULT = frozenset({Category.PROMOTIONS, Category.SURVEYS})


def default_frequency(category: Category, channel: Channel) -> Frequency:
    if channel == Channel.IN_APP:
        return Frequency.INSTANT
    if channel == Channel.EMAIL:
        return Frequency.WEEKLY
    return Frequency.OFF if category in _PUSH_OFF_BY_DEFAULT else Frequency.INSTANT
