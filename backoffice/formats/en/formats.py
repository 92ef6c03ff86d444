"""One date format for people across the admin, the forwarder's pages and the emails:
"4 Dec 2026" and "4 Dec 2026, 21:28" (24-hour clock, UTC). Machine-facing output (the partner
API, logs) keeps ISO 8601. Only the display formats are set here; input formats stay
Django's English ones."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
