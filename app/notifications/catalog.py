"""What a consumer can choose: categories, channels, frequencies, and the defaults.

The defaults are the promise made to someone who never opens the settings:
everything in the notification centre, push only once they turn it on in a
browser (and never for promotions or surveys), email as one weekly digest.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    PRODUCTS = "products"
    PRICE_DROPS = "price_drops"
    VIDEOS = "videos"
    BOARDS = "boards"
    PROMOTIONS = "promotions"
    SURVEYS = "surveys"
    ACCOUNT = "account"


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

# Which category a new card of each built-in kind belongs to. Cards of other
# (plugin) kinds notify nobody until a category is chosen for them here.
CATEGORY_BY_KIND: dict[str, Category] = {
    "product_feed": Category.PRODUCTS,
    "youtube": Category.VIDEOS,
    "pinterest": Category.BOARDS,
    "promotion": Category.PROMOTIONS,
    "survey": Category.SURVEYS,
}

_PUSH_OFF_BY_DEFAULT = frozenset({Category.PROMOTIONS, Category.SURVEYS})


def default_frequency(category: Category, channel: Channel) -> Frequency:
    if channel == Channel.IN_APP:
        return Frequency.INSTANT
    if channel == Channel.EMAIL:
        return Frequency.WEEKLY
    return Frequency.OFF if category in _PUSH_OFF_BY_DEFAULT else Frequency.INSTANT
