"""Self-hosting pages (issue 16): the site operator's Intuit app check, and a practice's own
data as one archive; the notices to the billing contacts (issue 11). web/urls.py adds these to
the web: namespace."""

from django.urls import path

from billbridge.web.views import intuit_app, notices, practice_data

urlpatterns: list = [
    path("settings/intuit-app/", intuit_app.intuit_app, name="intuit-app"),
    path("settings/intuit-app/probe/", intuit_app.intuit_app_probe, name="intuit-app-probe"),
    path("settings/your-data/", practice_data.practice_data, name="practice-data"),
    path(
        "settings/your-data/download/",
        practice_data.practice_data_download,
        name="practice-data-download",
    ),
    path("settings/notices/", notices.notice_settings, name="notice-settings"),
    path("settings/notices/mute/", notices.notice_mute, name="notice-mute"),
    path("settings/notices/recipients/", notices.notice_recipients, name="notice-recipients"),
    path("notices/<int:pk>/dismiss/", notices.notice_dismiss, name="notice-dismiss"),
]
