"""An import waiting for its confirmation (models.TimeImport): uploaded, previewed and mapped
as often as the person likes, stored once confirmed. The file is kept in the database, so the
preview and the confirmation may be served by different web processes.

An import is its uploader's: another member (or practice) asking for it finds nothing.
"""

import datetime
import io
import os
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from billbridge.core.errors import TransitionRefused
from billbridge.practice.models import Membership
from billbridge.time.imports import store
from billbridge.time.imports.names import Directory, Mappings
from billbridge.time.imports.reader import ImportRefused, read_rows
from billbridge.time.models import TimeImport

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# An upload not confirmed by then is taken as abandoned; the bytes are not kept longer.
KEPT_FOR = datetime.timedelta(days=1)
# A member's unconfirmed uploads beyond this many (the oldest first) make way for a new one.
PENDING_PER_MEMBER = 10


def upload(membership: Membership, file_name: str, fmt: str, stream: BinaryIO) -> TimeImport:
    """Keeps the file for its preview, once it is known to be readable to its end as a `fmt`
    export: a file that cannot be imported (too big, empty, another tool's, not UTF-8 halfway)
    is refused now (ImportRefused) and nothing is kept."""
    content = stream.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        message = (
            f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB; export a shorter period "
            "and import each part"
        )
        raise ImportRefused(message, {"file": [message]})
    for _ in read_rows(io.BytesIO(content), fmt):
        pass
    now = timezone.now()
    TimeImport.objects.filter(confirmed_at__isnull=True, created_at__lt=now - KEPT_FOR).delete()
    waiting = TimeImport.objects.filter(uploaded_by=membership, confirmed_at__isnull=True)
    older = waiting.order_by("-created_at", "-pk").values_list("pk", flat=True)
    TimeImport.objects.filter(pk__in=list(older[PENDING_PER_MEMBER - 1 :])).delete()
    return TimeImport.objects.create(
        practice=membership.practice,
        uploaded_by=membership,
        file_name=os.path.basename(file_name)[-255:] or "time.csv",
        format=fmt,
        content=content,
    )


def imports_of(membership: Membership):
    """The member's own imports; the file's bytes are read only where they are used."""
    return TimeImport.objects.filter(practice=membership.practice, uploaded_by=membership).defer(
        "content"
    )


def get_import(membership: Membership, import_id: int) -> TimeImport:
    """Raises TimeImport.DoesNotExist for an import that is not the member's."""
    return imports_of(membership).get(pk=import_id)


def preview(membership: Membership, time_import: TimeImport) -> store.Preview:
    content = TimeImport.objects.values_list("content", flat=True).get(pk=time_import.pk)
    return store.preview(
        membership,
        io.BytesIO(bytes(content)),
        time_import.format,
        Mappings.from_json(time_import.mappings),
    )


def remap(membership: Membership, import_id: int, mappings: Mappings) -> TimeImport:
    """Replaces the import's choices for its unknown names (each checked to be the
    practice's) and answers the import, ready to be previewed again."""
    with transaction.atomic():
        time_import = imports_of(membership).select_for_update().get(pk=import_id)
        _refuse_confirmed(time_import)
        Directory(membership.practice).check(mappings)
        time_import.mappings = mappings.to_json()
        time_import.save(update_fields=["mappings", "updated_at"])
    return time_import


def confirm(membership: Membership, import_id: int) -> store.ImportResult:
    """Stores the import's ready rows (store.import_file) and keeps what was stored; the file
    itself is then no longer needed and is dropped."""
    with transaction.atomic():
        time_import = imports_of(membership).select_for_update().get(pk=import_id)
        _refuse_confirmed(time_import)
        content = TimeImport.objects.values_list("content", flat=True).get(pk=time_import.pk)
        result = store.import_file(
            membership,
            io.BytesIO(bytes(content)),
            time_import.format,
            Mappings.from_json(time_import.mappings),
            file_name=time_import.file_name,
        )
        time_import.confirmed_at = timezone.now()
        time_import.rows = result.preview.rows
        time_import.stored = result.stored
        time_import.already_imported = result.preview.already_imported
        time_import.content = b""
        time_import.save(
            update_fields=[
                "confirmed_at",
                "rows",
                "stored",
                "already_imported",
                "content",
                "updated_at",
            ]
        )
    return result


def _refuse_confirmed(time_import: TimeImport) -> None:
    if time_import.confirmed_at is not None:
        raise TransitionRefused(
            f"{time_import.file_name} is imported already ({time_import.stored:,} entries "
            "stored); upload it again to see whether it still adds anything."
        )
