from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from billbridge.quickbooks.views import intuit_webhooks

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("billbridge.api.urls")),
    path("profile/", include("billbridge.api.profile")),
    # The URL registered with Intuit (and given to the emulator by `make run`), with or without
    # a trailing slash: a POST cannot be redirected to the other.
    path("quickbooks/webhooks", intuit_webhooks, name="qbo-webhooks"),
    path("quickbooks/webhooks/", intuit_webhooks),
    # /healthz and /metrics, for load balancers and monitors: no session, no practice.
    path("", include("billbridge.operations.urls")),
    path("", include("billbridge.web.urls")),
]
