"""Requests refused before anything reads them."""

from django.http import HttpRequest, HttpResponse, JsonResponse

BAD_LENGTH = "Content-Length must be a number of bytes."
TOO_LARGE = "The request body is too large."
# More bytes than any body this server takes; Django's own limits then apply below it.
LONGEST_LENGTH = 18


class RefuseMalformedContentLength:
    """HTTP allows a Content-Length of digits only (RFC 9110 §8.6). Django reads it with int()
    when a view first touches the body, which fails on other text (an error page, a 500) and
    takes signs, spaces, underscores and other scripts' digits; and int() refuses more than
    4,300 digits. So a malformed one is refused here, once, for every view (400), and one of
    more than 18 digits as too large (413): in the API's error shape under /api/, plain text
    elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH")
        if not declared:
            return self.get_response(request)
        if not (declared.isascii() and declared.isdigit()):
            return _refuse(request, 400, BAD_LENGTH)
        if len(declared) > LONGEST_LENGTH:
            return _refuse(request, 413, TOO_LARGE)
        return self.get_response(request)


def _refuse(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail, "errors": {}}, status=status)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
