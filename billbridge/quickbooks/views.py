"""Intuit's side of the QuickBooks integration: the webhook receiver (QBO.md §5).

The one view without CSRF protection or a login: Intuit's servers post here, and the signature
over the body is what proves them.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billbridge.core import metrics
from billbridge.quickbooks import webhooks


@csrf_exempt
@require_POST
@metrics.counts_webhook_deliveries
def intuit_webhooks(request: HttpRequest) -> HttpResponse:
    # Refused on the declared length, before anything is read or hashed.
    if _declared_length(request) > webhooks.MAX_BODY_BYTES:
        return HttpResponse(status=413)
    body = request.body
    if not webhooks.verify(body, request.headers.get("intuit-signature")):
        return HttpResponse(status=401)
    # Whatever the body holds, Intuit gets a 200: it retries anything else and holds back every
    # later delivery meanwhile (QBO.md §5.5). What could not be read is logged by parse.
    webhooks.store(webhooks.parse(body))
    return HttpResponse(status=200)


def _declared_length(request: HttpRequest) -> int:
    # Digits only, and few of them: core/http.py refused any other Content-Length.
    return int(request.META.get("CONTENT_LENGTH") or 0)
