"""The Time pages: the weekly timesheet and the entries (time and expenses)."""

from django.urls import path

from billbridge.web.views import entries, timesheet

urlpatterns = [
    path("time/", timesheet.timesheet_page, name="timesheet"),
    path("time/cell/", timesheet.timesheet_cell, name="timesheet-cell"),
    path("time/timer/", timesheet.timesheet_timer, name="timesheet-timer"),
    path("time/rows/add/", timesheet.timesheet_add_row, name="timesheet-add-row"),
    path("time/rows/remove/", timesheet.timesheet_remove_row, name="timesheet-remove-row"),
    path(
        "time/copy-last-week/",
        timesheet.timesheet_copy_last_week,
        name="timesheet-copy-last-week",
    ),
    path("time/entries/", entries.entry_list, name="entry-list"),
    path("time/entries/new/", entries.entry_new, name="entry-new"),
    path("time/entries/preview/", entries.entry_preview, name="entry-preview"),
    path("time/entries/<int:pk>/", entries.entry_detail, name="entry-detail"),
    path("time/entries/<int:pk>/edit/", entries.entry_edit, name="entry-edit"),
    path("time/entries/<int:pk>/delete/", entries.entry_delete, name="entry-delete"),
    path("time/entries/<int:pk>/write-off/", entries.entry_write_off, name="entry-write-off"),
    path("time/entries/<int:pk>/restore/", entries.entry_restore, name="entry-restore"),
    path(
        "time/entries/<int:pk>/timer/start/",
        entries.entry_start_timer,
        name="entry-start-timer",
    ),
    path("time/entries/<int:pk>/timer/stop/", entries.entry_stop_timer, name="entry-stop-timer"),
]
