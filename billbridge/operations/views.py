"""/healthz for load balancers and /metrics for Prometheus: no session, no practice; the logic
is in health.py and metrics.py."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from billbridge.operations import health, metrics


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = health.checks()
    ok = health.healthy(checks)
    return JsonResponse(
        {"status": "ok" if ok else "failing", "checks": checks}, status=200 if ok else 503
    )


@require_safe
@never_cache
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    # Without a token the endpoint is off: it answers as an address that does not exist.
    if not settings.METRICS_TOKEN:
        raise Http404
    if not metrics.token_accepted(request.headers.get("Authorization", "")):
        response = HttpResponse(
            "A valid metrics token is needed.", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
