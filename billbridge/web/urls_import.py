"""Time ▸ Import: time from Harvest, Toggl Track and Clockify CSV exports. web/urls.py adds
these to the web: namespace."""

from django.urls import path

from billbridge.web.views import time_import

urlpatterns = [
    path("time/import/", time_import.time_import, name="time-import"),
    path("time/import/<int:pk>/", time_import.time_import_preview, name="time-import-preview"),
    path(
        "time/import/<int:pk>/confirm/",
        time_import.time_import_confirm,
        name="time-import-confirm",
    ),
]
