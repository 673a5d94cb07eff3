from django.urls import include, path, re_path

from billbridge.api.api import api
from billbridge.api.errors import json_method_not_allowed, unknown_endpoint

# Not named app_name/namespace: Django would read a module-level app_name as this module's own.
operations, ninja_app, ninja_namespace = api.urls
for pattern in operations:
    if pattern.name == "api-root":
        # ninja needs this named root to build its paths, but its page only points to the docs
        # page, which is off.
        pattern.callback = unknown_endpoint
    else:
        pattern.callback = json_method_not_allowed(pattern.callback)

urlpatterns = [
    path("", include((operations, ninja_app), namespace=ninja_namespace)),
    # Anything else under /api/v1/ still answers in the API's error shape, not an HTML page,
    # whatever its characters: the empty pattern matches a line break too, which "." does not.
    re_path(r"", unknown_endpoint),
]
