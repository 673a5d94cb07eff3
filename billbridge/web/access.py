"""Who may see the pages: a signed-in user who is a member of a practice.

Every view is wrapped in `member_required`, which puts the member on `request.membership`; views
start every query from `request.membership.practice`, so another practice's rows are never found.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import urlencode

from billbridge.core.errors import ServiceError
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice
from billbridge.practice.models import Membership


def _to_login(request):
    """Send a signed-out visitor to the login page. An htmx request (a session that expired
    while the page was open) is told to load the login page whole, coming back to the page it
    was on; a plain redirect would be swapped into the table."""
    if request.htmx:
        page = request.htmx.current_url_abs_path or request.get_full_path()
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': page})}"
        return response
    return redirect_to_login(request.get_full_path())


def member_required(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _to_login(request)
        try:
            # Reading it through the user caches it there, so base.html reuses it for free.
            request.membership = request.user.membership
        except Membership.DoesNotExist:
            return render(request, "web/no_membership.html", status=403)
        return view(request, *args, **kwargs)

    return checked


def invoice_or_404(membership: Membership, invoice_id: int) -> Invoice:
    try:
        return services.get_invoice(membership, invoice_id)
    except Invoice.DoesNotExist as exc:
        raise Http404("No such invoice.") from exc


def refusal(request, message: str, *, status: int, back_url: str, back_label: str):
    """The page shown when something is refused: the reason, and the way back."""
    return render(
        request,
        "web/refused.html",
        {"message": message, "back_url": back_url, "back_label": back_label},
        status=status,
    )


def refused_by(request, error: ServiceError, *, back_url: str, back_label: str):
    """The refusal page for a service's refusal, in the service's words and status."""
    return refusal(
        request, error.message, status=error.status_code, back_url=back_url, back_label=back_label
    )
