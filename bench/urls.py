"""The product's URLs plus a bare view for comparison, for bench/api_load.py only.

The bare view does what the cheapest possible create would: N inserts of the request body in
one transaction on the same stack (gunicorn, Django, psycopg, PostgreSQL), with no
authentication, validation or business rule. N is in the URL: the benchmark measures how many
rows a real call writes and asks the bare view for as many.
"""

import json

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from backoffice.urls import handler500  # noqa: F401
from backoffice.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def bare_inserts(request, inserts: int):
    body = request.body.decode()
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(inserts):
            cursor.execute("INSERT INTO bench_rows (payload) VALUES (%s)", [body])
    return JsonResponse({"status": "ok", "rows": inserts, "echo": json.loads(body or "{}")})


urlpatterns = [
    path("bench/bare/<int:inserts>", bare_inserts),
    *product_urlpatterns,
]
