"""Staff sign-in helpers."""


def lockout_username(request, credentials: dict) -> str:
    """The key login failures are counted under: the email as typed, in any letter case,
    counts for the one account it names (emails are unique whatever their case)."""
    return (credentials or {}).get("username", "").strip().lower()
