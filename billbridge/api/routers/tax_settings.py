from django.http import HttpRequest
from ninja import Router

from billbridge.api.errors import error_responses
from billbridge.api.schemas import TaxSettingsIn, TaxSettingsOut, TaxSettingsPatch
from billbridge.invoicing import services

router = Router(tags=["tax settings"])

WRITE_ERRORS = error_responses(400, 401, 403, 409, 413, 422)


@router.get(
    "",
    response={200: TaxSettingsOut, **error_responses(401)},
    summary="Get the practice's tax settings",
)
def get_tax_settings(request: HttpRequest):
    return services.tax_settings_for(request.auth.practice)


@router.put(
    "",
    response={200: TaxSettingsOut, **WRITE_ERRORS},
    summary="Replace the practice's tax settings",
    description="Needs the Manage settings permission. Drafts pick up new rates when next saved "
    "or finalized; finalized invoices keep theirs.",
)
def replace_tax_settings(request: HttpRequest, payload: TaxSettingsIn):
    return services.update_tax_settings(request.auth, **payload.dict())


@router.patch(
    "",
    response={200: TaxSettingsOut, **WRITE_ERRORS},
    summary="Update some of the practice's tax settings",
    description="Changes only the fields sent. Needs the Manage settings permission.",
)
def update_tax_settings(request: HttpRequest, payload: TaxSettingsPatch):
    return services.update_tax_settings(request.auth, **payload.dict(exclude_unset=True))
