"""Settings ▸ Closed periods: the practice's own lock date, and QuickBooks' closed-books date as
Billbridge last read it. Nothing dated on or before the later of the two is reverted to Draft or
exported again (invoicing/periods.py); after month-end an invoice is corrected by a credit note
(T4). Every member may read the dates; setting the lock date needs Manage settings."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from billbridge.core.errors import ServiceError
from billbridge.invoicing import books, periods, services
from billbridge.practice.models import Permission
from billbridge.quickbooks.connection import connection_for
from billbridge.web.access import member_required, refused_by
from billbridge.web.credit_forms import LockDateForm


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def closed_periods(request):
    membership = request.membership
    practice = membership.practice
    may_manage = membership.has(Permission.MANAGE_SETTINGS)
    status = 200
    if request.method == "POST":
        # Read even from a member who may not manage settings: the service is the one to refuse.
        form = LockDateForm(request.POST)
        clearing = "clear" in request.POST  # whatever the field holds
        if clearing or form.is_valid():
            lock_date = None if clearing else form.cleaned_data["lock_date"]
            try:
                services.update_lock_date(membership, lock_date)
            except ServiceError as exc:
                return refused_by(
                    request,
                    exc,
                    back_url=reverse("web:closed-periods"),
                    back_label="Back to the closed periods",
                )
            else:
                messages.success(
                    request,
                    f"The lock date is {lock_date:%d %b %Y}: nothing dated on or before it is "
                    "reverted or exported again."
                    if lock_date
                    else "The practice has no lock date now.",
                )
                return redirect("web:closed-periods")
        status = 400
    else:
        form = LockDateForm(initial={"lock_date": practice.lock_date})
        form.fields["lock_date"].disabled = not may_manage
    context = {
        "form": form,
        "may_manage": may_manage,
        "lock_date": practice.lock_date,
        "connection": connection_for(practice),
        "books_date": books.external_books().closed_through(practice),
        "closed": periods.closed_through(practice),
    }
    return render(request, "web/closed_periods.html", context, status=status)
