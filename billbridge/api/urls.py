from django.urls import path, re_path

from billbridge.api.api import api
from billbridge.api.errors import unknown_endpoint

urlpatterns = [
    path("", api.urls),
    # Anything else under /api/v1/ still answers in the API's error shape, not an HTML page.
    re_path(r"^.*$", unknown_endpoint),
]
