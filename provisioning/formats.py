"""The one date format for people, in pages and emails: "4 Dec 2026" and "4 Dec 2026, 21:28"
(in TIME_ZONE). The APIs keep ISO 8601. Templates use the same strings with the `date` filter:
{{ value|date:"j M Y" }} and {{ value|date:"j M Y, H:i" }}."""

from datetime import datetime

from django.utils import dateformat, timezone

DATE = "j M Y"
DATETIME = "j M Y, H:i"


def date_for_people(value: datetime) -> str:
    return dateformat.format(timezone.localtime(value), DATE)


def datetime_for_people(value: datetime) -> str:
    return dateformat.format(timezone.localtime(value), DATETIME)
