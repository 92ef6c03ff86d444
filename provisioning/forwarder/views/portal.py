"""The portal a forwarder reaches through the one-time login link (DESIGN §6)."""

from django.contrib.auth import login, logout
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from provisioning.accounts.links import login_token_redeem
from provisioning.forwarder.portal import portal_overview
from provisioning.forwarder.views.pages import NO_REFERRER, page, secret_safe
from provisioning.forwarder.views.signed_in import forwarder
from provisioning.models import UserStatus

_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_GET
def portal_login(request):
    """Redeem `?auth=<token>` and sign the forwarder in; answer with a redirect to a URL
    without the token. Every refusal is the same page: nothing tells why. A link that cannot
    be used, opened in a browser already signed in as a forwarder (a used link opened again,
    the browser's history), shows that forwarder's portal instead: it reveals nothing new."""
    raw_token = request.GET.get("auth", "")
    if not raw_token:
        if forwarder(request) is not None:
            return redirect("provisioning:portal")
        return page(request, "provisioning/portal_login.html", referrer_policy=NO_REFERRER)
    user = login_token_redeem(raw_token=raw_token)
    if user is None:
        if forwarder(request) is not None:
            return secret_safe(redirect("provisioning:portal"), referrer_policy=NO_REFERRER)
        return _refused(request)
    login(request, user, backend=_BACKEND)
    return secret_safe(redirect("provisioning:portal"), referrer_policy=NO_REFERRER)


def _refused(request):
    return page(
        request, "provisioning/portal_refused.html", status=403, referrer_policy=NO_REFERRER
    )


@require_GET
def portal_home(request):
    user = forwarder(request)
    if user is None:
        return redirect("provisioning:portal-login")
    if user.status in (UserStatus.DISABLED, UserStatus.DELETED):
        logout(request)
        return _refused(request)
    return page(request, "provisioning/portal.html", {"overview": portal_overview(user=user)})


@require_POST
def portal_logout(request):
    logout(request)
    return page(request, "provisioning/portal_signed_out.html")
