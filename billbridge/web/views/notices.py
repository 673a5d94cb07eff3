"""Settings ▸ Notices: what the practice's billing contacts were told, who they are, and each
member's mute. The banner above every page is web/context.py's."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.documents import notices
from billbridge.practice.models import Permission
from billbridge.web.access import member_required, refusal, refused_by


@member_required
@require_safe
def notice_settings(request):
    membership = request.membership
    context = {
        "notices": notices.recent_notices(membership.practice),
        "recipients": notices.recipients(membership.practice),
        "me": notices.receives(membership),
        "may_manage": membership.has(Permission.MANAGE_SETTINGS),
    }
    return render(request, "web/notices.html", context)


@member_required
@require_POST
def notice_mute(request):
    muted = request.POST.get("muted") == "1"
    notices.set_muted(request.membership, muted)
    messages.success(
        request,
        "Notices are muted for you: no mail and no banner."
        if muted
        else "You hear notices again (if you are one of those who receive them).",
    )
    return redirect("web:notice-settings")


@member_required
@require_POST
def notice_recipients(request):
    back = reverse("web:notice-settings")
    try:
        chosen = {int(value) for value in request.POST.getlist("member")}
    except ValueError:
        return refusal(
            request,
            "The members chosen were not understood. Reload the page and try again.",
            status=400,
            back_url=back,
            back_label="Back to the notices",
        )
    try:
        notices.choose_recipients(request.membership, chosen)
    except ServiceError as exc:
        return refused_by(request, exc, back_url=back, back_label="Back to the notices")
    messages.success(request, "The members who receive notices are saved.")
    return redirect(back)


@member_required
@require_POST
def notice_dismiss(request, pk: int):
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("web:notice-settings")
    try:
        notices.dismiss(request.membership, pk)
    except InvalidInput as exc:
        return refusal(request, exc.message, status=404, back_url=back, back_label="Back")
    return redirect(back or reverse("web:notice-settings"))
