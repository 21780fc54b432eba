"""Every table of Plaza, one module per area; importing this package registers them all
on ``SQLModel.metadata`` (which is what Alembic compares migrations with).

Every time is stored in UTC and read back timezone-aware (:mod:`.columns`). Table
modules import only :mod:`.columns` and refer to each other's tables by name in
foreign keys, so none of them imports another and there is no cycle.
"""

from app.models.accounts import (
    AccountMail,
    AccountThrottle,
    AccountToken,
    BrowserSession,
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
from app.models.moderation import (
    Appeal,
    AppealOutcome,
    AuditEntry,
    Decision,
    DecisionAction,
    Report,
    ReportReason,
    Resolution,
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
from app.models.refreshes import ProviderRefresh, RefreshOutcome
from app.models.results import CardResultsDay
from app.models.search import SearchTerm
from app.models.shopper import (
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    FeedPreference,
    InterestState,
    PartnerFollow,
    PreparedFeed,
    ProviderBlock,
    SurveyAnswer,
)
from app.models.uploads import Upload

__all__ = [
    "AccountMail",
    "AccountThrottle",
    "AccountToken",
    "Answer",
    "AnswerVote",
    "ApiRateWindow",
    "ApiToken",
    "Appeal",
    "AppealOutcome",
    "AuditEntry",
    "BrowserSession",
    "Card",
    "CardInterest",
    "CardPopularity",
    "CardPopularityDay",
    "CardResultsDay",
    "CardState",
    "ConsumerInterest",
    "Decision",
    "DecisionAction",
    "Event",
    "EventKind",
    "FeedPreference",
    "InterestState",
    "Invitation",
    "LoginAttempt",
    "Notification",
    "NotificationCursor",
    "NotificationPreference",
    "NotificationSettings",
    "NotificationSource",
    "Organization",
    "PartnerFollow",
    "PopularityCounts",
    "PreparedFeed",
    "Provider",
    "ProviderBlock",
    "ProviderPopularity",
    "ProviderPopularityDay",
    "ProviderRefresh",
    "ProviderStatus",
    "PushSubscription",
    "Question",
    "RecoveryCode",
    "RefreshOutcome",
    "Report",
    "ReportReason",
    "Resolution",
    "Role",
    "RollupProgress",
    "RuleAction",
    "ScreeningRule",
    "SearchTerm",
    "Stage",
    "State",
    "Suggestion",
    "SuggestionVote",
    "SurveyAnswer",
    "TokenPurpose",
    "TokenScope",
    "UTCDateTime",
    "Upload",
    "User",
    "Visibility",
    "answered_update",
    "created_column",
    "json_column",
    "stored_id",
    "time_column",
    "utcnow",
]
