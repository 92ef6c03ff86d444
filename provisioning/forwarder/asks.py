"""Links a forwarder asks for by typing its address: a one-time sign-in link to the portal
(the sign-in page) and a fresh completion link (the invalid-link page).

Both answer the same way for any address, at the same cost: the request only counts the ask
against the rate limits and stores it as an outbox message (OutboxKind.LINK_ASK); looking the
address up and emailing the link happen when the outbox delivers that message, after the
response (a worker with a broker; right after commit in in-process mode). See
docs/forwarder-pages.md.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from provisioning.accounts.domains import email_normal_form
from provisioning.accounts.links import login_link, login_token_create
from provisioning.accounts.selectors import user_by_email
from provisioning.accounts.services import user_send_completion_link
from provisioning.audit.records import Actor, audit_record
from provisioning.delivery.notifications import email_sign_in_link
from provisioning.delivery.outbox import outbox_link_ask_queue
from provisioning.forwarder.completion import accepts_details
from provisioning.models import LinkRequest, Membership, OutboxMessage, UserStatus
from provisioning.models.audit import AuditAction

SIGN_IN = "sign_in"
COMPLETION = "completion"
PURPOSES = (SIGN_IN, COMPLETION)


def _digest(value: str) -> str:
    return salted_hmac("provisioning.link-request", value, algorithm="sha256").hexdigest()


def _digests(purpose: str, email: str, client_ip: str) -> tuple[str, str]:
    # Each purpose has limits of its own: asking for sign-in links does not use up the asks
    # for a completion link. (Completion asks keep the digests they always had.)
    prefix = "" if purpose == COMPLETION else f"{purpose}:"
    return _digest(prefix + email), _digest(prefix + (client_ip or "-"))


def link_ask_create(*, purpose: str, email: str, client_ip: str) -> bool:
    """Count the ask and store it for delivery. Returns False when the asks of this purpose
    for this address or from this client in the last hour are over the limits
    (LINK_REQUEST_LIMIT_EMAIL / _IP); True otherwise, whoever the address belongs to.

    Looks nothing up: a known and an unknown address cost the same queries here. The ask is
    counted before the check, so parallel asks cannot all slip under the limit.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link ask: {purpose}")
    email = email_normal_form(email)
    now = timezone.now()
    email_digest, ip_digest = _digests(purpose, email, client_ip)
    LinkRequest.objects.create(created_at=now, email_digest=email_digest, ip_digest=ip_digest)
    recent = LinkRequest.objects.filter(created_at__gt=now - timedelta(hours=1))
    if (
        recent.filter(email_digest=email_digest).count() > settings.LINK_REQUEST_LIMIT_EMAIL
        or recent.filter(ip_digest=ip_digest).count() > settings.LINK_REQUEST_LIMIT_IP
    ):
        return False
    outbox_link_ask_queue(to=email, purpose=purpose)
    return True


def sign_in_link_request(*, email: str, client_ip: str) -> bool:
    """The sign-in page's ask: a one-time portal link for an activated account."""
    return link_ask_create(purpose=SIGN_IN, email=email, client_ip=client_ip)


def completion_link_request(*, email: str, client_ip: str) -> bool:
    """The invalid-link page's ask: a new completion link for an account whose form is open
    (awaiting details, or details submitted and not yet decided by support)."""
    return link_ask_create(purpose=COMPLETION, email=email, client_ip=client_ip)


def link_ask_deliver(message: OutboxMessage) -> None:
    """The outbox's sender for LINK_ASK: do what the ask asked for, if the address has an
    account it applies to; then forget the address (the row must not list who asked)."""
    email, purpose = message.recipient, message.context.get("purpose")
    if purpose == SIGN_IN:
        _sign_in_link_send(email)
    elif purpose == COMPLETION:
        _completion_link_send(email)
    OutboxMessage.objects.filter(pk=message.pk).update(recipient="")


def _sign_in_link_send(email: str) -> None:
    """A login token bound to the account's oldest current partner, emailed as the portal link.

    The email is sent right here rather than queued: the raw token is never stored, and this
    already runs inside an outbox delivery that a failure retries (with a new token)."""
    user = user_by_email(email).filter(is_staff=False, status=UserStatus.ACTIVATED).first()
    if user is None:
        return
    membership = (
        Membership.objects.filter(user=user, removed_at__isnull=True)
        .select_related("partner")
        .order_by("created_at", "id")
        .first()
    )
    if membership is None:
        return
    token, raw = login_token_create(user=user, partner=membership.partner)
    audit_record(
        actor=Actor.system(),
        action=AuditAction.USER_LOGIN_TOKEN_ISSUED,
        user=user,
        note=(
            f"asked for on the sign-in page, emailed; via {membership.partner.name}; "
            f"valid until {token.expires_at:%Y-%m-%d %H:%M:%S} UTC"
        ),
    )
    email_sign_in_link(user=user, url=login_link(raw), expires_at=token.expires_at)


def _completion_link_send(email: str) -> None:
    with transaction.atomic():
        user = user_by_email(email).filter(is_staff=False).select_for_update().first()
        if user is not None and accepts_details(user):
            user_send_completion_link(user=user, actor=Actor.system())


def link_requests_purge() -> int:
    """Forget asks older than the rate limit needs. Returns how many rows went."""
    cutoff = timezone.now() - timedelta(hours=LinkRequest.KEEP_HOURS)
    deleted, _ = LinkRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
