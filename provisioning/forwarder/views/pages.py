"""How every forwarder page is answered: never cached, never indexed, and with a referrer
policy that keeps the one-time secrets in its URL from leaking (docs/forwarder-pages.md)."""

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

# Pages whose URL carries a secret and that hold a form: the browser sends only our origin as
# Referer, never the path. `no-referrer` would make it send `Origin: null` with the form's
# POST, which Django's CSRF check refuses.
STRICT_ORIGIN = "strict-origin"
# Pages with a secret in the URL and no form: nothing at all.
NO_REFERRER = "no-referrer"


def secret_safe(response, *, referrer_policy: str = STRICT_ORIGIN):
    response["Referrer-Policy"] = referrer_policy
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def page(request, template: str, context: dict | None = None, *, status: int = 200, **kwargs):
    return secret_safe(render(request, template, context or {}, status=status), **kwargs)


def ask_answer(request, template: str, *, email: str, allowed: bool):
    """The page that answers an ask for a link: the same for any address; 429 past the
    limits, with the hour to wait."""
    response = page(
        request, template, {"email": email, "limited": not allowed}, status=200 if allowed else 429
    )
    if not allowed:
        response["Retry-After"] = "3600"
    return response
