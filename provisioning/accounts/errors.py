"""What the provisioning services refuse, as exceptions the API surfaces translate.

Each surface words them its own way (the compat API with the legacy texts, the native API
with status codes); the services only say what went wrong and for which email.
"""


class ProvisioningError(Exception):
    """Base class: a request the services refuse. Never a server error."""


class InvalidInput(ProvisioningError):
    """One or more fields are unacceptable. errors: [(field, message), …] in request order."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors


class InvalidTransition(ProvisioningError):
    """The account's status does not allow this change (e.g. activating a deleted account)."""


class _UserError(ProvisioningError):
    def __init__(self, email: str):
        super().__init__(email)
        self.email = email


class UserAlreadyExists(_UserError):
    """The user is already a current member of this partner."""


class UserNotFound(_UserError):
    """Unknown to the platform, or a member of other partners only: the two look alike."""


class UserNotAttached(_UserError):
    """The partner removed this user earlier; creating it again links it back."""


class UserNotVerified(_UserError):
    """The account is pending: no login token until it is activated."""


class UserDisabled(_UserError):
    """Support disabled the account."""


class ExternalIdTaken(ProvisioningError):
    """Another member of the partner already has this externalId."""

    def __init__(self, external_id: str):
        super().__init__(external_id)
        self.external_id = external_id
