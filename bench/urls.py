"""The product's URLs plus the bare views it is compared with, for bench/api_load.py only.

A bare view is the least any implementation of the call has to do on the same stack
(gunicorn, Django, psycopg, PostgreSQL): it reads and writes the same rows of the same tables,
with their real constraints, indexes and triggers, as hand-written SQL in one transaction —
one statement per table, as BEGIN … COMMIT. It has no validation, no business rule and no
ORM. bench/api_load.py checks, before it measures, that each bare view writes as many rows
into each table as the call it stands beside.

    bare create (flow 3: unknown domain, no CASS): key check, rate-limit count, the email
        domain's company; the user, its membership, one audit event (created, naming the
        completion link sent), the partner's `user.created` event, the completion link, the
        outbox email
    bare token: key check, rate-limit count, the partner's member; the login token, its audit
        event

The SQL names tables and columns, not models, so that it does not depend on where the
application's code lives.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from backoffice.urls import handler500  # noqa: F401
from backoffice.urls import urlpatterns as product_urlpatterns

_KEY_CHECK = """
    SELECT ak.id, ak.partner_id, ak.hashed_key
    FROM provisioning_apikey ak JOIN provisioning_partner p ON p.id = ak.partner_id
    WHERE ak.prefix = %s AND ak.revoked_at IS NULL AND p.is_active
"""
_COUNT = """
    INSERT INTO provisioning_ratelimitwindow (api_key_id, "window", hits) VALUES (%s, %s, 1)
    ON CONFLICT (api_key_id, "window")
    DO UPDATE SET hits = provisioning_ratelimitwindow.hits + 1 RETURNING hits
"""


def _refused() -> JsonResponse:
    return JsonResponse({"message": "Invalid request: invalid api key"}, status=401)


def _key_check(cursor, raw_key: str) -> tuple[int, int] | None:
    """The key's id and partner id, after the request was counted; None for a wrong key."""
    cursor.execute(_KEY_CHECK, [raw_key.split(".", 1)[0]])
    row = cursor.fetchone()
    digest = hashlib.sha256(raw_key.encode()).hexdigest()
    if row is None or not hmac.compare_digest(row[2], digest):
        return None
    cursor.execute(_COUNT, [row[0], int(time.time() // 60)])
    cursor.fetchone()
    return row[0], row[1]


@csrf_exempt
def bare_create(request):
    body = json.loads(request.body)
    email = body["email"].lower()
    nonce = secrets.token_urlsafe(16)
    with transaction.atomic(), connection.cursor() as cursor:
        key = _key_check(cursor, request.headers.get("x-api-key", ""))
        if key is None:
            return _refused()
        key_id, partner_id = key
        cursor.execute(
            "SELECT c.id FROM provisioning_companydomain d"
            " JOIN provisioning_company c ON c.id = d.company_id WHERE d.domain = %s",
            [email.rsplit("@", 1)[1]],
        )
        cursor.fetchone()
        cursor.execute(
            "INSERT INTO provisioning_user (password, is_superuser, email, first_name, last_name,"
            " status, pending_reason, status_changed_at, request_data, warnings, is_staff,"
            " is_active, date_joined) VALUES (%s, false, %s, %s, %s, 'pending',"
            " 'awaiting_details', now(), %s, '[]', false, true, now()) RETURNING id",
            [
                "!" + secrets.token_urlsafe(30),
                email,
                body["firstName"],
                body["lastName"],
                json.dumps({**body, "offices": []}),
            ],
        )
        user_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO provisioning_membership (created_at, user_id, partner_id, external_id)"
            " VALUES (now(), %s, %s, '')",
            [user_id, partner_id],
        )
        created = {
            "status": [None, "pending"],
            "offices": [None, []],
            "pending_reason": [None, "awaiting_details"],
        }
        cursor.execute(
            "INSERT INTO provisioning_auditevent (created_at, actor_type, action, changes, note,"
            " actor_api_key_id, actor_partner_id, user_id) VALUES"
            " (now(), 'partner', 'user.created', %s, 'Completion link #1 emailed.', %s, %s, %s)",
            [json.dumps(created), key_id, partner_id, user_id],
        )
        event_id = str(uuid.uuid4())
        event = {
            "id": event_id,
            "type": "user.created",
            "data": {
                "user": {
                    "id": user_id,
                    "email": email,
                    "status": "pending",
                    "pendingReason": "awaiting_details",
                },
                "previous": {"status": None, "pendingReason": None},
            },
        }
        cursor.execute(
            "INSERT INTO provisioning_partnerevent (public_id, type, payload, created_at,"
            " partner_id, user_id) VALUES (%s, 'user.created', %s, now(), %s, %s)",
            [event_id, json.dumps(event), partner_id, user_id],
        )
        cursor.execute(
            "INSERT INTO provisioning_completionlink (nonce, created_at, expires_at, user_id)"
            " VALUES (%s, now(), now() + interval '7 days', %s) RETURNING id",
            [nonce, user_id],
        )
        value = f"{cursor.fetchone()[0]}.{nonce}"
        signature = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256)
        link = (
            f"{settings.SITE_URL}/complete/{value}:"
            f"{base64.urlsafe_b64encode(signature.digest()).decode().rstrip('=')}"
        )
        context = {
            "email": email,
            "first_name": body["firstName"],
            "completion_url": link,
            "expires_on": "in 7 days",
        }
        cursor.execute(
            "INSERT INTO provisioning_outboxmessage (kind, status, template, recipient, context,"
            " created_at, next_attempt_at, attempts, last_error) VALUES"
            " ('email', 'pending', 'completion_link', %s, %s, now(), now(), 0, '')",
            [email, json.dumps(context)],
        )
    # After commit, the feed numbers the new event in commit order (one counter row, locked).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT last FROM provisioning_eventsequence WHERE id = 1 FOR UPDATE")
        cursor.execute(
            "WITH n AS (SELECT id, row_number() OVER (ORDER BY id) AS k"
            " FROM provisioning_partnerevent WHERE sequence IS NULL)"
            " UPDATE provisioning_partnerevent e SET sequence ="
            " (SELECT last FROM provisioning_eventsequence WHERE id = 1) + n.k"
            " FROM n WHERE e.id = n.id"
        )
        cursor.execute(
            "UPDATE provisioning_eventsequence SET last ="
            " coalesce((SELECT max(sequence) FROM provisioning_partnerevent), last) WHERE id = 1"
        )
    return JsonResponse(
        {
            "status": "Pending",
            "message": f"Successful request: User has been created and is pending verification:"
            f" {email}",
            "link": link,
        }
    )


@csrf_exempt
def bare_token(request):
    email = request.GET["email"].lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic(), connection.cursor() as cursor:
        key = _key_check(cursor, request.headers.get("x-api-key", ""))
        if key is None:
            return _refused()
        key_id, partner_id = key
        cursor.execute(
            # The account by its unique lower(email) index, then its membership of the partner.
            "SELECT u.id, u.status FROM provisioning_user u"
            " JOIN provisioning_membership m ON m.user_id = u.id AND m.partner_id = %s"
            " AND m.removed_at IS NULL"
            " WHERE u.id = (SELECT id FROM provisioning_user WHERE lower(email) = %s)"
            " AND NOT u.is_staff",
            [partner_id, email],
        )
        member = cursor.fetchone()
        if member is None or member[1] != "activated":
            message = f"Invalid request: user not found: {email}"
            return JsonResponse({"message": message}, status=400)
        cursor.execute(
            "INSERT INTO provisioning_logintoken (token_hash, created_at, expires_at, partner_id,"
            " user_id) VALUES (%s, now(), now() + interval '10 minutes', %s, %s)",
            [hashlib.sha256(token.encode()).hexdigest(), partner_id, member[0]],
        )
        cursor.execute(
            "INSERT INTO provisioning_auditevent (created_at, actor_type, action, changes, note,"
            " actor_api_key_id, actor_partner_id, user_id) VALUES"
            " (now(), 'partner', 'user.login_token_issued', '{}', 'valid for 10 minutes',"
            " %s, %s, %s)",
            [key_id, partner_id, member[0]],
        )
    return JsonResponse(
        {
            "status": "Activated",
            "message": f"Successful request: login link generated: {email}",
            "token": token,
            "link": f"{settings.PORTAL_URL}?auth={token}",
        }
    )


urlpatterns = [
    path("bench/bare/create", bare_create),
    path("bench/bare/token", bare_token),
    *product_urlpatterns,
]
