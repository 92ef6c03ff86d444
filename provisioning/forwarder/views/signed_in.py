"""Who is signed in to the forwarder pages."""


def forwarder(request):
    """The signed-in forwarder, or None (anonymous, or a support agent's session)."""
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return None
    return user
