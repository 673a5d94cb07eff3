"""The profile page: who you are, your practice and permissions, and your personal API tokens
(make one, see it once, revoke it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from billbridge.api.tokens import MAX_NAME_LENGTH, issue_token, revoke_token
from billbridge.core.errors import ServiceError
from billbridge.practice.models import Membership, Permission


def _render(request, *, status=200, new_token=None, new_token_row=None, error=None, name=""):
    membership = Membership.objects.filter(user=request.user).select_related("practice").first()
    context = {
        "membership": membership,
        "permissions": [(permission.label, membership.has(permission)) for permission in Permission]
        if membership
        else [],
        "tokens": request.user.api_tokens.active(),
        "new_token": new_token,
        "new_token_row": new_token_row,
        "error": error,
        "name": name,
        "max_name_length": MAX_NAME_LENGTH,
    }
    return render(request, "api/profile.html", context, status=status)


# never_cache: the page that shows a new token must not be kept by any cache or the back button.
@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    if request.method != "POST":
        return _render(request)
    action = request.POST.get("action")
    if action == "create":
        name = request.POST.get("name", "")
        try:
            row, token = issue_token(request.user, name)
        except ServiceError as exc:
            return _render(request, status=400, error=exc.message, name=name[:MAX_NAME_LENGTH])
        # Shown in this response only: it is not stored anywhere we could show it from again.
        return _render(request, new_token=token, new_token_row=row)
    if action == "revoke":
        try:
            row = revoke_token(request.user, int(request.POST.get("token", "")))
        except (ValueError, ServiceError):
            return _render(request, status=400, error="No such token.")
        messages.success(request, f"Token “{row.name}” ({row.display_prefix}) is revoked.")
        return redirect("profile")
    return _render(request, status=400, error="Unknown action.")


urlpatterns = [path("", profile, name="profile")]
