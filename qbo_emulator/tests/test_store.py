"""Company state: Ids, SyncTokens, MetaData, listeners, preferences and snapshots."""

from decimal import Decimal

import pytest

from qbo_emulator.clock import Clock
from qbo_emulator.faults import QboFault
from qbo_emulator.store import Emulator


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
    assert '"12.34"' in path.read_text()  # Decimal stored as strings
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
