from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from provisioning.accounts.domains import email_for_humans, email_normal_form


class UserStatus(models.TextChoices):
    ACTIVATED = "activated", "Activated"
    PENDING = "pending", "Pending"
    DISABLED = "disabled", "Disabled"
    DELETED = "deleted", "Deleted"


class PendingReason(models.TextChoices):
    AWAITING_SUPPORT = "awaiting_support", "Awaiting support"
    AWAITING_DETAILS = "awaiting_details", "Awaiting details from the forwarder"
    DETAILS_SUBMITTED = "details_submitted", "Details submitted, to review"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # The login is looked up in the address's one normal form (provisioning/domains.py),
        # the form the unique index compares and the lockout counts failures under. Not
        # `email__iexact`: PostgreSQL's UPPER() folds a dotless i (U+0131) into I, so that
        # spelling would sign in as `admin@…` while the lockout counted another name.
        return self.alias(email_lower=Lower("email")).get(
            email_lower=email_normal_form(username or "")
        )

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email_normal_form(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


# One externalId names at most one member of a partner.
EXTERNAL_ID_CONSTRAINT = "membership_external_id_unique"
EXTERNAL_ID_MAX = 255

# The unique index behind "one account per email, whatever the letter case".
EMAIL_CONSTRAINT = "user_email_unique_ci"


class User(AbstractBaseUser, PermissionsMixin):
    """A forwarder's employee, or a support agent (is_staff, no company).

    The email is the login and is unique whatever its letter case.
    """

    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=45, blank=True)
    last_name = models.CharField(max_length=45, blank=True)
    company = models.ForeignKey(
        "provisioning.Company",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
    )
    offices = models.ManyToManyField("provisioning.Office", blank=True, related_name="users")
    status = models.CharField(max_length=10, choices=UserStatus.choices, default=UserStatus.PENDING)
    pending_reason = models.CharField(max_length=20, choices=PendingReason.choices, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    request_data = models.JSONField(
        default=dict, blank=True, help_text="What the partner sent when creating the account."
    )
    warnings = models.JSONField(
        default=list, blank=True, help_text="Things support should check before activating."
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name=EMAIL_CONSTRAINT,
                violation_error_code="duplicate_email",
                violation_error_message="A user with this email address already exists.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=UserStatus.values), name="user_status_valid"
            ),
            # A pending account always says why; no other status has a reason.
            models.CheckConstraint(
                condition=(
                    Q(status=UserStatus.PENDING, pending_reason__in=PendingReason.values)
                    | (~Q(status=UserStatus.PENDING) & Q(pending_reason=""))
                ),
                name="user_pending_reason_matches_status",
            ),
        ]
        indexes = [
            # The support queue: pending accounts, oldest first, per reason.
            models.Index(
                fields=["status_changed_at", "id"],
                condition=Q(status=UserStatus.PENDING),
                name="user_pending_queue_idx",
            ),
            models.Index(
                fields=["pending_reason", "status_changed_at"],
                condition=Q(status=UserStatus.PENDING),
                name="user_pending_reason_idx",
            ),
        ]

    def __str__(self):
        return email_for_humans(self.email)

    def clean(self):
        super().clean()
        self.email = email_normal_form(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Membership(models.Model):
    """A user's link to a partner. A removed membership is kept (removed_at set) so that the
    partner is told the user was detached rather than unknown."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_index=False,  # membership_unique (user, partner) serves lookups by user
    )
    partner = models.ForeignKey(
        "provisioning.Partner", on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(
        max_length=EXTERNAL_ID_MAX,
        blank=True,
        help_text="The partner's own identifier for the user (SCIM externalId).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="membership_unique"),
            # SCIM `externalId eq …` finds one member of the partner; also serves that filter.
            models.UniqueConstraint(
                fields=["partner", "external_id"],
                condition=~Q(external_id=""),
                name=EXTERNAL_ID_CONSTRAINT,
            ),
        ]
        indexes = [
            # The partner API lists one partner's current members.
            models.Index(
                fields=["partner", "user"],
                condition=Q(removed_at__isnull=True),
                name="membership_active_idx",
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.partner}"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None
