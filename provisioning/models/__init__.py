from .api import EventSequence, EventType, IdempotencyRecord, PartnerEvent, RateLimitWindow
from .audit import AuditEvent
from .companies import Company, CompanyDomain, Office
from .links import CompletionLink, LinkRequest, LoginToken
from .outbox import OutboxMessage
from .partners import ApiKey, Partner
from .users import Membership, PendingReason, User, UserStatus

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Company",
    "CompanyDomain",
    "CompletionLink",
    "EventSequence",
    "EventType",
    "IdempotencyRecord",
    "LinkRequest",
    "LoginToken",
    "Membership",
    "Office",
    "OutboxMessage",
    "Partner",
    "PartnerEvent",
    "PendingReason",
    "RateLimitWindow",
    "User",
    "UserStatus",
]
