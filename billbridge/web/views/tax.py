"""Settings ▸ Time ▸ Tax: the practice's primary and secondary tax."""

from django.contrib import messages
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.invoicing import services
from billbridge.invoicing.services import TAX_FIELDS
from billbridge.practice.models import Permission
from billbridge.web.access import member_required, refused_by
from billbridge.web.forms import TaxSettingsForm, show_service_errors


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def tax_settings(request):
    membership = request.membership
    may_manage = membership.has(Permission.MANAGE_SETTINGS)
    status = 200
    if request.method == "POST":
        # Read even from a member who may not manage settings: the service is the one to refuse.
        form = TaxSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.update_tax_settings(membership, **form.cleaned_data)
            except InvalidInput as exc:
                show_service_errors(form, exc)
            except ServiceError as exc:
                return refused_by(
                    request,
                    exc,
                    back_url=reverse("web:tax-settings"),
                    back_label="Back to the tax settings",
                )
            else:
                messages.success(request, "The tax settings are saved.")
                return redirect("web:tax-settings")
        status = 400
    else:
        initial = model_to_dict(services.tax_settings_for(membership.practice), fields=TAX_FIELDS)
        form = TaxSettingsForm(initial=initial, read_only=not may_manage)
    return render(
        request, "web/tax_settings.html", {"form": form, "may_manage": may_manage}, status=status
    )
