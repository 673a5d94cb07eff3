"""Attachable (Intuit's Attachable, Upload and Download resources): a note or a file kept in the
company's attachment list, linked to transactions or names through AttachableRef.

The file's bytes live beside the table (`Company.files`, by Attachable Id); the record carries
what QBO shows of them: FileName, ContentType, Size and FileAccessUri. TempDownloadUri is not
stored: the data API adds a fresh signed link each time it answers (see attachments.py).
"""

from qbo_emulator import faults
from qbo_emulator.entities import entity_names, register
from qbo_emulator.entities.base import EntityType, boolean, mapping, text

# Fields QBO fills from the uploaded file; a client echoing them back (python-quickbooks sends
# every attribute) never changes them.
FILE_FIELDS = ("Size", "FileAccessUri", "ContentType")
NEVER_FROM_CLIENT = ("TempDownloadUri", "ThumbnailFileAccessUri", "ThumbnailTempDownloadUri",
                     "Size", "FileAccessUri")  # fmt: skip
NOTE_MAX = 2000  # Intuit: Note max 2000 characters (UNCONFIRMED, COVERAGE.md)
FILE_NAME_MAX = 1000


class AttachableType(EntityType):
    name = "Attachable"
    operations = frozenset({"create", "read", "update", "delete", "query"})
    queryable = frozenset(
        {"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "FileName", "ContentType",
         "Category", "Note", "AttachableRef.EntityRef.Type", "AttachableRef.EntityRef.type",
         "AttachableRef.EntityRef.value", "AttachableRef.EntityRef.Value"}
    )  # fmt: skip

    def build(self, company, body, existing, options):
        record = {k: v for k, v in body.items() if k not in NEVER_FROM_CLIENT}
        record["AttachableRef"] = attachable_refs(company, body.get("AttachableRef"))
        if not record["AttachableRef"]:
            del record["AttachableRef"]
        note = text(body, "Note", NOTE_MAX)
        file_name = text(body, "FileName", FILE_NAME_MAX)
        if existing and existing.get("FileAccessUri"):
            # A file's type and size are the file's; only its description can change.
            for field in FILE_FIELDS:
                record[field] = existing[field]
            file_name = file_name or existing.get("FileName")
        if note is None and file_name is None:
            raise faults.required("Note")
        if file_name is not None:
            record["FileName"] = file_name
        return record

    def after_delete(self, company, record):
        company.files.pop(record["Id"], None)


def attachable_refs(company, value) -> list[dict]:
    """AttachableRef as QBO keeps it: each EntityRef must name an existing object (2500)."""
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    refs = []
    for raw in value:
        ref = dict(mapping(raw, "AttachableRef"))
        entity_ref = mapping(ref.get("EntityRef"), "AttachableRef.EntityRef")
        kind = str(entity_ref.get("type") or entity_ref.get("Type") or "")
        target = str(entity_ref.get("value") or entity_ref.get("Value") or "")
        if not kind or not target:
            raise faults.required("AttachableRef.EntityRef")
        known = {name.lower(): name for name in entity_names()}
        entity = known.get(kind.lower())
        if entity is None or entity == "Attachable" or company.find(entity, target) is None:
            raise faults.invalid_reference("AttachableRef.EntityRef", f"{kind} {target}")
        ref["EntityRef"] = {"type": entity, "value": target}
        for flag in ("IncludeOnSend", "Inactive", "NoRefOnly"):
            if flag in ref:
                ref[flag] = boolean(ref, flag)
        refs.append(ref)
    return refs


def unlink(company, entity: str, entity_id: str) -> None:
    """An object was deleted: its attachments stay in the attachment list, no longer linked to
    it (what QBO does is UNCONFIRMED; its UI keeps attachments when a transaction goes)."""
    for record in company.tables["Attachable"].values():
        refs = record.get("AttachableRef") or []
        kept = [r for r in refs if r["EntityRef"] != {"type": entity, "value": entity_id}]
        if len(kept) != len(refs):
            if kept:
                record["AttachableRef"] = kept
            else:
                del record["AttachableRef"]
            company.touch("Attachable", record)


def links_to(record: dict, entity: str, entity_id: str) -> bool:
    return any(
        r["EntityRef"] == {"type": entity, "value": entity_id}
        for r in record.get("AttachableRef") or []
    )


register(AttachableType())
