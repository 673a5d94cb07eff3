"""Company state: Ids, SyncTokens, MetaData, listeners, preferences and snapshots."""

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest

from qbo_emulator import state_file, store
from qbo_emulator.clock import Clock
from qbo_emulator.faults import QboFault
from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import line


def test_ids_are_per_realm_sequences_as_strings(emulator):
    first = emulator.create_company(name="A")
    second = emulator.create_company(name="B")
    assert first.realm_id != second.realm_id
    a = first.create("Customer", {"DisplayName": "Alpha"})
    b = first.create("Customer", {"DisplayName": "Beta"})
    c = second.create("Customer", {"DisplayName": "Alpha"})
    assert int(b["Id"]) == int(a["Id"]) + 1
    assert c["Id"] == a["Id"]  # the other realm has its own sequence
    assert isinstance(a["Id"], str)


def test_sync_token_and_metadata_follow_every_write(emulator, empty):
    created = empty.create("Customer", {"DisplayName": "Alpha"})
    assert created["SyncToken"] == "0"
    assert created["domain"] == "QBO" and created["sparse"] is False
    assert created["MetaData"]["CreateTime"] == "2026-11-20T10:00:00-08:00"
    emulator.clock.advance(90)
    body = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"}
    updated = empty.update("Customer", body, sparse=True)
    assert updated["SyncToken"] == "1"
    assert updated["MetaData"]["CreateTime"] == created["MetaData"]["CreateTime"]
    assert updated["MetaData"]["LastUpdatedTime"] == "2026-11-20T10:01:30-08:00"


def test_listeners_get_each_committed_change(emulator, empty):
    seen = []
    emulator.add_listener(seen.append)
    customer = empty.create("Customer", {"DisplayName": "Alpha"})
    with pytest.raises(QboFault):
        empty.create("Customer", {"DisplayName": "alpha"})  # refused: no change
    assert [(c.entity, c.entity_id, c.operation) for c in seen] == [
        ("Customer", customer["Id"], "Create")
    ]
    assert seen[0].realm_id == empty.realm_id
    assert seen[0].at == emulator.clock.now()


def test_listeners_run_after_the_lock_is_released(emulator, empty):
    held = []
    emulator.add_listener(lambda change: held.append(emulator.lock._is_owned()))
    empty.create("Customer", {"DisplayName": "Alpha"})
    assert held == [False]


def test_payment_on_invoice_announces_both_changes(emulator, sample):
    seen = []
    emulator.add_listener(seen.append)
    payment = sample.receive_payment("3", Decimal("10"))
    assert [(c.entity, c.operation) for c in seen] == [("Payment", "Create"), ("Invoice", "Update")]
    assert payment["TotalAmt"] == Decimal("10.00")


def test_seed_data_is_not_announced(emulator):
    seen = []
    emulator.add_listener(seen.append)
    company = emulator.create_company(name="S", seed="sample")
    assert seen == [] and company.changes == []


def test_unknown_realm_and_bad_options(emulator):
    with pytest.raises(KeyError):
        emulator.company("404")
    with pytest.raises(ValueError):
        emulator.create_company(name="X", seed="nonsense")
    with pytest.raises(ValueError):
        emulator.create_company(name="X", colour="blue")
    with pytest.raises(ValueError):
        emulator.create_company(name="X", country="ZZ")


def test_set_preferences_shows_in_preferences_json(empty):
    assert empty.preference("sales_tax") is False
    empty.set_preferences(automated_sales_tax=True, book_close_date="2026-01-31")
    prefs = empty.read("Preferences", "1")
    assert prefs["TaxPrefs"]["PartnerTaxEnabled"] is True
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True
    assert prefs["AccountingInfoPrefs"]["BookCloseDate"] == "2026-01-31"
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True  # untouched section fields stay
    assert prefs["SyncToken"] == "1"
    with pytest.raises(ValueError):
        empty.set_preferences(sales_tax="yes")


def test_reset_forgets_companies(emulator, sample):
    emulator.reset()
    assert emulator.companies() == []
    with pytest.raises(KeyError):
        emulator.company(sample.realm_id)


def test_snapshot_round_trip(tmp_path, emulator, sample):
    sample.receive_payment("3", Decimal("12.34"))
    sample.delete_invoice("4")
    path = tmp_path / "state.json"
    emulator.save(path)
    assert '{"$decimal":"12.34"}' in path.read_text()  # Decimals tagged, exactly as they were
    restored = Emulator.load(path, Clock())
    again = restored.company(sample.realm_id)
    assert again.read("Invoice", "3") == sample.read("Invoice", "3")
    assert again.read("Invoice", "3")["Balance"] == sample.read("Invoice", "3")["Balance"]
    assert isinstance(again.read("Invoice", "3")["Balance"], Decimal)
    assert again.tombstones["Invoice"] == sample.tombstones["Invoice"]
    assert [c.to_dict() for c in again.changes] == [c.to_dict() for c in sample.changes]
    # Indexes are rebuilt: the names and numbers are still taken.
    with pytest.raises(QboFault) as duplicate:
        again.create("Customer", {"DisplayName": "Cool Cars"})
    assert duplicate.value.errors[0].code == "6240"
    # and the sequences continue
    assert again.create("Customer", {"DisplayName": "Newcomer"})["Id"] == str(
        len(sample.tables["Customer"]) + 1
    )


def test_snapshot_keeps_non_numbers_in_fields_named_like_amounts(tmp_path, emulator, sample):
    # Fields an entity does not interpret are kept as sent, whatever their name.
    kept = sample.create("Customer", {"DisplayName": "Odd Qty", "Qty": "x", "TotalTax": "NaN"})
    path = tmp_path / "state.json"
    emulator.save(path)
    again = Emulator.load(path, Clock()).company(sample.realm_id).read("Customer", kept["Id"])
    assert (again["Qty"], again["TotalTax"]) == ("x", "NaN")


def test_clock_set_advance_freeze():
    from datetime import UTC, datetime

    clock = Clock()
    clock.freeze()
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)
    clock.advance(60)
    assert clock.now() == datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
    clock.freeze(False)
    assert clock.now() >= datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
    assert (clock.now() - datetime(2030, 1, 1, 0, 1, tzinfo=UTC)).total_seconds() < 5


def test_time_zone_follows_the_country_or_the_choice(emulator):
    uk = emulator.create_company(name="UK", country="GB")
    assert uk.read("CompanyInfo", "1")["DefaultTimeZone"] == "Europe/London"
    assert uk.timestamp() == "2026-11-20T18:00:00+00:00"
    paris = emulator.create_company(name="FR office", time_zone="Europe/Paris")
    assert paris.timestamp() == "2026-11-20T19:00:00+01:00"
    with pytest.raises(ValueError):
        emulator.create_company(name="Mars", time_zone="Mars/Olympus")


def test_snapshot_numbers_keep_their_type_in_any_field(tmp_path, emulator, sample):
    # No list of amount fields: a Decimal comes back a Decimal with its exponent, an int an int.
    kept = {"Rate": Decimal("2"), "Count": 2, "Ratio": 0.5, "Cost": Decimal("12.30")}
    customer = sample.create("Customer", {"DisplayName": "Typed", "Extra": kept})
    path = tmp_path / "state.json"
    emulator.save(path)
    again = Emulator.load(path, Clock()).company(sample.realm_id)
    extra = again.read("Customer", customer["Id"])["Extra"]
    assert [(type(v), str(v)) for v in extra.values()] == [
        (Decimal, "2"), (int, "2"), (float, "0.5"), (Decimal, "12.30")
    ]  # fmt: skip
    first_line = again.read("Invoice", "1")["Line"][0]
    assert type(first_line["LineNum"]) is int and type(first_line["Amount"]) is Decimal


def test_snapshots_from_before_tagged_decimals_still_load(emulator, sample):
    # Format 1 wrote Decimals as strings and named no format; DECIMAL_FIELDS turns them back.
    old = json.loads(json.dumps(emulator.to_dict(), default=str))
    del old["snapshot"]
    balance = sample.read("Invoice", "3")["Balance"]
    assert old["companies"][0]["tables"]["Invoice"]["3"]["Balance"] == str(balance)
    again = Emulator.from_dict(old).company(sample.realm_id)
    assert again.read("Invoice", "3") == sample.read("Invoice", "3")
    assert type(again.read("Invoice", "3")["Balance"]) is Decimal


def test_a_save_encodes_again_only_what_changed_and_misses_no_change(tmp_path, emulator, sample):
    emulator.save(tmp_path / "first.json")
    assert sample.encoded.stale(sample.tables) == []
    # Paying invoice 3 changes the invoice, adds a payment and lowers the customer's Balance,
    # a side effect no change record names: the write found the customer, which counts.
    sample.receive_payment("3", Decimal("10"))
    customer_id = sample.read("Invoice", "3")["CustomerRef"]["value"]
    assert sorted(sample.encoded.stale(sample.tables)) == sorted(
        [
            ("Customer", customer_id),
            ("Invoice", "3"),
            ("Payment", str(len(sample.tables["Payment"]))),
        ]
    )
    sample.read("Invoice", "4")  # a read changes nothing
    sample.void_invoice("7")
    sample.void_payment("2")  # reopens invoice 2 and raises its customer's Balance
    sample.delete_invoice("4")
    sample.send_invoice("5", "client@example.com")
    attached = {
        "FileName": "a.txt",
        "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": "5"}}],
    }
    sample.upload([(attached, "text/plain", b"hello")])
    sample.edit_invoice("1", {"PrivateNote": "edited"})
    kept = emulator.to_dict()
    for company in emulator.companies():
        company.encoded = state_file.Encodings()  # forget every text: encode all afresh
    assert kept == emulator.to_dict()


def test_saving_lets_writes_through_and_keeps_one_moment(tmp_path, monkeypatch, emulator, empty):
    # Each write changes two customers at once: a snapshot of one moment has both alike, though
    # the save encodes them in different chunks while the writes go on between the chunks.
    monkeypatch.setattr(store, "SAVE_CHUNK", 10)
    ids = [empty.create("Customer", {"DisplayName": f"C{n}"})["Id"] for n in range(300)]
    pair = (ids[0], ids[-1])
    writes, saving = [0], threading.Event()

    def writer():
        while saving.is_set():
            with emulator.operation():
                for customer_id in pair:
                    current = empty.read("Customer", customer_id)
                    body = {"Id": customer_id, "SyncToken": current["SyncToken"], "sparse": True}
                    empty.update("Customer", {**body, "Notes": str(writes[0])}, sparse=True)
            writes[0] += 1
            time.sleep(0.001)  # as requests come: not one straight after another

    saving.set()
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        before = writes[0]
        emulator.save(tmp_path / "state.json")
        during = writes[0] - before
    finally:
        saving.clear()
        thread.join()
    assert during > 0  # the lock was free between chunks
    saved = state_file.read(tmp_path / "state.json")["companies"][0]["tables"]["Customer"]
    assert saved[pair[0]].get("Notes") == saved[pair[1]].get("Notes")


def test_tables_keep_id_order_whatever_the_order_of_creation(emulator, empty):
    empty.insert("TaxCode", {"Name": "Zed"}, entity_id="TAX")
    empty.insert("TaxCode", {"Name": "Non"}, entity_id="NON")
    empty.insert("TaxCode", {"Name": "Two"}, entity_id="2")
    assert list(empty.tables["TaxCode"])[-3:] == ["2", "NON", "TAX"]
    restored = Emulator.from_dict(emulator.to_dict()).company(empty.realm_id)
    assert list(restored.tables["TaxCode"]) == list(empty.tables["TaxCode"])


def test_query_pages_by_position_follow_creates_and_deletes(empty):
    body = {"CustomerRef": {"value": empty.create("Customer", {"DisplayName": "P"})["Id"]},
            "Line": [line("1", 10)]}  # fmt: skip

    def page(start: int) -> list[str]:
        sql = f"select * from Invoice startposition {start} maxresults 2"
        return [row["Id"] for row in empty.query(sql).get("Invoice", [])]

    ids = [empty.create("Invoice", body)["Id"] for _ in range(3)]
    assert page(2) == ids[1:]
    empty.delete("Invoice", {"Id": ids[1], "SyncToken": "0"})
    assert page(2) == ids[2:]
    added = empty.create("Invoice", body)["Id"]
    assert page(1) == [ids[0], ids[2]] and page(3) == [added]


def test_changes_after_a_moment_even_when_the_clock_went_back(emulator, empty):
    first = empty.create("Customer", {"DisplayName": "First"})
    emulator.clock.advance(60)
    moment = emulator.clock.now()
    emulator.clock.advance(60)
    second = empty.create("Customer", {"DisplayName": "Second"})
    assert [c.entity_id for c in empty.changes_after(moment)] == [second["Id"]]
    emulator.clock.advance(-3600)  # back before both
    third = empty.create("Customer", {"DisplayName": "Third"})
    assert not empty.changes_in_time_order
    assert [c.entity_id for c in empty.changes_after(moment)] == [second["Id"]]
    assert [c.entity_id for c in empty.changes_after(moment - timedelta(hours=2))] == [
        first["Id"], second["Id"], third["Id"]
    ]  # fmt: skip
