"""Settings ▸ Intuit app: the site operator's page for registering this site's own Intuit app
(what to enter at Intuit, the checks, and the token-endpoint probe).

The operator is a superuser, who need not belong to a practice (`createsuperuser` makes one
that does not). Anyone else is refused with a 403 that says who may see the page, rather than
a 404: the page's existence is in the README, so hiding it would only leave a practice's
manager puzzled. People outside any practice meet the same page as everywhere else."""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from billbridge.quickbooks import app_check
from billbridge.web.access import member_required, refusal

OPERATORS_ONLY = (
    "Settings ▸ Intuit app is for the site's operator (a superuser): it checks the Intuit app "
    "this Billbridge runs with. Ask whoever runs this Billbridge."
)


def operator_required(view):
    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.user.is_authenticated and request.user.is_superuser:
            return view(request, *args, **kwargs)
        return member_required(_refused)(request)

    return checked


def _refused(request):
    return refusal(
        request,
        OPERATORS_ONLY,
        status=403,
        back_url=reverse("web:billing-list"),
        back_label="Back to the Billing list",
    )


@operator_required
@require_safe
def intuit_app(request):
    return _page(request, probe=None)


@operator_required
@require_POST
def intuit_app_probe(request):
    """Runs the probe on the operator's click only: it waits on Intuit for a few seconds. No
    transaction is open here (the project does not wrap requests in one). Nothing is stored,
    so the answer is the page itself; sending the form again only asks again."""
    return _page(request, probe=app_check.probe_token_endpoint())


def _page(request, probe):
    return render(
        request,
        "web/intuit_app.html",
        {
            "registration": app_check.registration(),
            "checks": app_check.checks(),
            "probe": probe,
            "environment": settings.QBO_ENVIRONMENT,
        },
    )
