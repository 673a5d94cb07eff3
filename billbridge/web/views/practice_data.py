"""Settings ▸ Your data: the practice's own data as one ZIP of CSV and JSON files."""

import tempfile

from django.http import FileResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from billbridge.core.errors import ServiceError
from billbridge.operations import archive
from billbridge.web.access import member_required, refused_by


def _refused(request, error: ServiceError):
    return refused_by(
        request, error, back_url=reverse("web:tax-settings"), back_label="Back to the settings"
    )


@member_required
@require_http_methods(["GET", "HEAD"])
def practice_data(request):
    try:
        archive.require_may_download(request.membership)
    except ServiceError as exc:
        return _refused(request, exc)
    return render(request, "web/practice_data.html", {"tables": archive.TABLES})


@member_required
@require_POST
def practice_data_download(request):
    """POST, not a link: building the archive reads every row of the practice, which no
    prefetching browser or crawler should set off."""
    membership = request.membership
    # On disk, not in memory, whatever the practice's size; FileResponse closes (so deletes) it.
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse when sent
    try:
        archive.download(membership, spooled)
    except ServiceError as exc:
        spooled.close()
        return _refused(request, exc)
    spooled.seek(0)
    return FileResponse(
        spooled,
        as_attachment=True,
        filename=archive.file_name(membership.practice),
        content_type="application/zip",
    )
