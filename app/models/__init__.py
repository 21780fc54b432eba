"""Every table of Plaza, one module per area; importing this package registers them all
on ``SQLModel.metadata`` (which is what Alembic compares migrations with).

Every time is stored in UTC and read back timezone-aware (:mod:`.columns`). Table
modules import only :mod:`.columns` and refer to each other's tables by name in
foreign keys, so none of them imports another and there is no cycle.
"""

from app.models.accounts import (
    AccountThrottle,
    AccountToken,
    LoginAttempt,
    RecoveryCode,
    Role,
    TokenPurpose,
    User,
)
from app.models.catalog import Card, CardInterest, Provider, ProviderStatus
from app.models.columns import (
    UTCDateTime,
    created_column,
    json_column,
    stored_id,
    time_column,
    utcnow,
)
from app.models.community import (
    Answer,
    AnswerVote,
    Question,
    RuleAction,
    ScreeningRule,
    Stage,
    Suggestion,
    SuggestionVote,
    Visibility,
    answered_update,
)
from app.models.notifications import (
    Notification,
    NotificationCursor,
    NotificationPreference,
    NotificationSettings,
    NotificationSource,
    PushSubscription,
    State,
)
from app.models.partners import ApiRateWindow, ApiToken, Invitation, Organization, TokenScope
from app.models.popularity import (
    CardPopularity,
    CardPopularityDay,
    PopularityCounts,
    ProviderPopularity,
    ProviderPopularityDay,
    RollupProgress,
)
from app.models.shopper import (
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    InterestState,
    ProviderBlock,
    SurveyAnswer,
)

__all__ = [
    "AccountThrottle",
    "AccountToken",
    "Answer",
    "AnswerVote",
    "ApiRateWindow",
    "ApiToken",
    "Card",
    "CardInterest",
    "CardPopularity",
    "CardPopularityDay",
    "CardState",
    "ConsumerInterest",
    "Event",
    "EventKind",
    "InterestState",
    "Invitation",
    "LoginAttempt",
    "Notification",
    "NotificationCursor",
    "NotificationPreference",
    "NotificationSettings",
    "NotificationSource",
    "Organization",
    "PopularityCounts",
    "Provider",
    "ProviderBlock",
    "ProviderPopularity",
    "ProviderPopularityDay",
    "ProviderStatus",
    "PushSubscription",
    "Question",
    "RecoveryCode",
    "Role",
    "RollupProgress",
    "RuleAction",
    "ScreeningRule",
    "Stage",
    "State",
    "Suggestion",
    "SuggestionVote",
    "SurveyAnswer",
    "TokenPurpose",
    "TokenScope",
    "UTCDateTime",
    "User",
    "Visibility",
    "answered_update",
    "created_column",
    "json_column",
    "stored_id",
    "time_column",
    "utcnow",
]
