"""The support portal in the admin: the pending-accounts queue, the account page and the
actions on accounts (DESIGN §7), and the staff authenticators.

Thin by design: the reads are in backoffice.selectors and backoffice.queue, the writes in
provisioning.accounts.transitions and backoffice.services; the views check the permission,
validate the confirmation form, call one service per account and render.

- base: what both pages share (permissions, confirmation, report, the queue's filters);
- queue_page: the queue (columns, dashboard, bulk actions);
- account_page: the account page and the views that act on one account;
- totp: the staff authenticators.
"""

from django.contrib import admin

from backoffice.admin import (
    access_requests,  # noqa: F401 - partners' requests for access
    totp,  # noqa: F401 - registers the staff authenticators' admin
)
from backoffice.admin.account_page import AccountPage
from backoffice.admin.queue_page import QueuePage
from backoffice.models import Account


@admin.register(Account)
class AccountAdmin(QueuePage, AccountPage):
    """The Account proxy's admin: its changelist is the queue, its change page the account
    page."""
