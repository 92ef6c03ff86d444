"""The account page's recognition summary (filled in once the recognition service lands)."""

from provisioning.models import User


def recognition_summary(*, user: User):
    return None
