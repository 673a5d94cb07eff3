"""Attachables: /upload (multipart), notes, read, update, delete, query by the linked entity,
the download link and the file behind it, batch, CDC and the state file."""

import base64
from datetime import timedelta

import pytest

from qbo_emulator import attachments
from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import PDF, content, fault_of, metadata, multipart

INVOICE = "1"  # an invoice of the sample company


def upload(api, *parts, **params):
    body, content_type = multipart(*parts)
    params.setdefault("minorversion", "75")
    return api.client.post(
        api.url("upload"), content=body, headers={"Content-Type": content_type}, params=params
    )


def uploaded(api, *parts, **params) -> dict:
    answer = api.ok(upload(api, *(parts or (metadata(), content())), **params))
    assert set(answer) == {"AttachableResponse", "time"}
    [item] = answer["AttachableResponse"]
    return item["Attachable"]


def test_upload_links_a_pdf_to_the_invoice_and_answers_as_intuit_documents(api, sample):
    record = uploaded(api)
    assert record["FileName"] == "invoice-1001.pdf"
    assert record["ContentType"] == "application/pdf"
    assert record["Size"] == len(PDF)
    assert record["FileAccessUri"] == f"/v3/company/{sample.realm_id}/download/{record['Id']}"
    assert record["TempDownloadUri"].startswith(f"http://testserver/_files/{sample.realm_id}/")
    assert record["AttachableRef"] == [
        {"EntityRef": {"type": "Invoice", "value": INVOICE}, "IncludeOnSend": True}
    ]
    assert record["SyncToken"] == "0" and record["MetaData"]["CreateTime"]
    assert sample.files[record["Id"]] == PDF


def test_the_download_link_serves_the_bytes_without_a_token_and_expires(api, sample, emulator):
    record = uploaded(api)
    answer = api.get(f"download/{record['Id']}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    link = answer.text
    assert link.startswith("http://testserver/_files/") and "Signature=" in link
    served = api.client.get(link)
    assert served.status_code == 200
    assert served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert 'filename="invoice-1001.pdf"' in served.headers["content-disposition"]
    assert api.client.get(link.replace("Signature=", "Signature=0")).status_code == 403
    emulator.clock.advance(timedelta(minutes=15, seconds=1).total_seconds())
    expired = api.client.get(link)
    assert (expired.status_code, "expired" in expired.text) == (403, True)


def test_python_quickbooks_body_base64_and_bare_line_feeds(api, sample):
    """python-quickbooks sends the file base64-encoded, without a filename, lines ending in LF."""
    body, content_type = multipart(
        metadata(),
        ("file_content_01", {"Content-Type": "application/pdf",
                             "Content-Transfer-Encoding": "base64"},
         base64.b64encode(PDF)),
        eol=b"\n",
    )  # fmt: skip
    answer = api.client.post(
        api.url("upload"), content=b"\n" + body, headers={"Content-Type": content_type}
    )
    record = api.ok(answer)["AttachableResponse"][0]["Attachable"]
    assert sample.files[record["Id"]] == PDF


def test_several_files_in_one_upload_and_content_without_metadata(api, sample):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 10
    body, content_type = multipart(
        metadata(),
        content(),
        ("file_content_02", {"Content-Type": "image/png", "filename": "logo.png"}, png),
    )
    answer = api.ok(
        api.client.post(api.url("upload"), content=body, headers={"Content-Type": content_type})
    )
    first, second = (item["Attachable"] for item in answer["AttachableResponse"])
    assert first["AttachableRef"][0]["EntityRef"]["value"] == INVOICE
    assert (second["FileName"], second["ContentType"], second["Size"]) == (
        "logo.png", "image/png", len(png)
    )  # fmt: skip
    assert "AttachableRef" not in second  # QBO makes the metadata when none is sent


@pytest.mark.parametrize(
    "parts, code, element",
    [
        ((metadata(),), "2020", "file_content_01"),
        ((metadata(entity_id="999"), content()), "2500", "AttachableRef.EntityRef"),
        ((metadata(entity="Nonsense"), content()), "2500", "AttachableRef.EntityRef"),
        ((metadata(ContentType="application/x-msdownload", FileName="run.exe"),
          content(content_type="application/x-msdownload")), "2010", "ContentType"),
        ((metadata(FileName="invoice.png"), content()), "2010", "FileName"),
        ((metadata(), content(b"")), "2010", "file_content"),
        ((("file_metadata_01", {"Content-Type": "application/json"}, b"{not json"), content()),
         "2010", "file_metadata_01"),
        ((("file_whatever", {}, b"x"),), "2010", "file_whatever"),
    ],
)  # fmt: skip
def test_refused_uploads_store_nothing(api, sample, parts, code, element):
    error = fault_of(upload(api, *parts))
    assert (error["code"], error["element"]) == (code, element)
    assert sample.list("Attachable") == [] and sample.files == {}


def test_a_body_that_is_not_multipart_is_a_clear_fault(api, sample):
    answer = api.client.post(api.url("upload"), content=b"hello",
                             headers={"Content-Type": "application/json"})  # fmt: skip
    assert "multipart/form-data" in fault_of(answer)["Detail"]
    body, content_type = multipart(metadata(), content())
    truncated = body[: body.rindex(b"--b0undary--")]
    answer = api.client.post(api.url("upload"), content=truncated,
                             headers={"Content-Type": content_type})  # fmt: skip
    assert "closing boundary" in fault_of(answer)["Detail"]


def test_files_over_100_mb_are_refused(api, sample, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILE_BYTES", 100)
    error = fault_of(upload(api, metadata(), content(b"x" * 101)))
    assert "maximum is 100" in error["Detail"]
    assert uploaded(api, metadata(), content(b"x" * 100))["Size"] == 100


def test_requestid_replays_the_first_upload(api, sample):
    first = upload(api, metadata(), content(), requestid="upload-1")
    again = upload(api, metadata(), content(b"%PDF other"), requestid="upload-1")
    assert again.content == first.content
    assert len(sample.list("Attachable")) == 1


def test_a_note_is_created_read_updated_and_deleted(api, sample):
    note = api.create("Attachable", {
        "Note": "Client asked for a copy by post.",
        "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": INVOICE}}],
    })  # fmt: skip
    assert "FileAccessUri" not in note and "TempDownloadUri" not in note
    read = api.read("Attachable", note["Id"])
    assert read["Note"] == "Client asked for a copy by post."
    sparse = api.create("Attachable", {"Id": note["Id"], "SyncToken": read["SyncToken"],
                                       "sparse": True, "Note": "Posted."})  # fmt: skip
    assert sparse["Note"] == "Posted." and sparse["AttachableRef"] == read["AttachableRef"]
    full = api.create("Attachable", {"Id": note["Id"], "SyncToken": sparse["SyncToken"],
                                     "Note": "Unlinked."})  # fmt: skip
    assert "AttachableRef" not in full  # a full update clears what it leaves out
    deleted = api.ok(api.post("attachable", {"Id": note["Id"], "SyncToken": full["SyncToken"]},
                              operation="delete"))  # fmt: skip
    assert deleted["Attachable"]["status"] == "Deleted"
    assert fault_of(api.get(f"attachable/{note['Id']}"))["code"] == "610"
    assert fault_of(api.post("attachable", {"Category": "Other"}))["code"] == "2020"


def test_updating_a_file_keeps_its_bytes_type_and_size(api, sample):
    record = uploaded(api)
    echoed = {
        **record,
        "FileName": "renamed.pdf",
        "Size": 1,
        "ContentType": "image/png",
        "TempDownloadUri": "http://elsewhere/",
    }  # python-quickbooks echoes every field
    updated = api.create("Attachable", echoed)
    assert updated["FileName"] == "renamed.pdf"
    assert (updated["Size"], updated["ContentType"]) == (len(PDF), "application/pdf")
    assert updated["TempDownloadUri"].startswith("http://testserver/_files/")
    assert api.client.get(updated["TempDownloadUri"]).content == PDF


def test_deleting_a_file_removes_its_bytes_and_link(api, sample):
    record = uploaded(api)
    link = record["TempDownloadUri"]
    api.ok(api.post("attachable", {"Id": record["Id"], "SyncToken": "0"}, operation="delete"))
    assert record["Id"] not in sample.files
    assert api.client.get(link).status_code == 404
    assert fault_of(api.get(f"download/{record['Id']}"))["code"] == "610"


def test_download_of_a_note_is_refused(api, sample):
    note = api.create("Attachable", {"Note": "just words"})
    assert fault_of(api.get(f"download/{note['Id']}"))["code"] == "2010"


def test_query_by_the_entity_it_is_attached_to(api, sample):
    mine = uploaded(api)
    other = uploaded(api, metadata(entity_id="2"), content())
    api.create("Attachable", {"Note": "n", "AttachableRef": [
        {"EntityRef": {"type": "Customer", "value": INVOICE}}]})  # fmt: skip
    rows = api.rows(
        "select * from Attachable where AttachableRef.EntityRef.Type = 'Invoice' "
        f"and AttachableRef.EntityRef.value = '{INVOICE}'",
        "Attachable",
    )
    assert [r["Id"] for r in rows] == [mine["Id"]]
    assert rows[0]["TempDownloadUri"].startswith("http://testserver/_files/")
    rows = api.rows("select * from Attachable where AttachableRef.EntityRef.type = 'invoice'",
                    "Attachable")  # fmt: skip
    assert [r["Id"] for r in rows] == [mine["Id"], other["Id"]]
    assert fault_of(api.query("select * from Attachable where Size > '3'"))["code"] == "4001"


def test_deleting_the_invoice_leaves_its_attachments_unlinked(api, sample):
    invoice = api.create("Invoice", {"CustomerRef": {"value": "3"}, "Line": [
        {"Amount": 10, "DetailType": "SalesItemLineDetail",
         "SalesItemLineDetail": {"ItemRef": {"value": "3"}}}]})  # fmt: skip
    record = uploaded(api, metadata(entity_id=invoice["Id"]), content())
    api.ok(api.post("invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                    operation="delete"))  # fmt: skip
    kept = api.read("Attachable", record["Id"])
    assert "AttachableRef" not in kept
    assert kept["SyncToken"] == "1"
    assert sample.files[record["Id"]] == PDF


def test_batch_and_cdc_cover_attachables(api, sample, emulator):
    since = sample.timestamp()
    emulator.clock.advance(1)
    record = uploaded(api)
    answer = api.ok(api.post("batch", {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Attachable": {"Note": "from a batch"}},
        {"bId": "2", "Query": "select * from Attachable where FileName = 'invoice-1001.pdf'"},
    ]}))  # fmt: skip
    created, queried = answer["BatchItemResponse"]
    assert created["Attachable"]["Note"] == "from a batch"
    assert queried["QueryResponse"]["Attachable"][0]["TempDownloadUri"]
    cdc = api.ok(api.get("cdc", entities="Attachable", changedSince=since))
    objects = cdc["CDCResponse"][0]["QueryResponse"][0]["Attachable"]
    assert {o["Id"] for o in objects} == {record["Id"], created["Attachable"]["Id"]}


def test_the_state_file_keeps_the_bytes(api, sample, emulator, tmp_path):
    record = uploaded(api)
    emulator.save(tmp_path / "state.json")
    restored = Emulator.load(tmp_path / "state.json", emulator.clock)
    company = restored.company(sample.realm_id)
    assert company.files[record["Id"]] == PDF
    assert company.read("Attachable", record["Id"])["Size"] == len(PDF)
