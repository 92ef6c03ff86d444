from provisioning.models.api import EventType, IdempotencyRecord, PartnerEvent, RateLimitWindow
from provisioning.models.audit import AuditEvent
from provisioning.models.cass import CassImport, CassImportStatus
from provisioning.models.companies import Company, CompanyDomain, Office
from provisioning.models.consent import AccessDecision, AccessRequest
from provisioning.models.links import CompletionLink, LinkRequest, LoginToken
from provisioning.models.outbox import OutboxMessage
from provisioning.models.partners import ApiKey, Partner
from provisioning.models.users import Membership, PendingReason, User, UserStatus

__all__ = [
    "AccessDecision",
    "AccessRequest",
    "ApiKey",
    "AuditEvent",
    "CassImport",
    "CassImportStatus",
    "Company",
    "CompanyDomain",
    "CompletionLink",
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
