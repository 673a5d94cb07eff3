"""The query endpoint and language subset (QBO.md §2.5)."""

from qbo_emulator.seed import SAMPLE_CUSTOMERS, SAMPLE_INVOICES
from qbo_emulator.tests._data_helpers import fault_of, line

# The sample's rows are given Ids 1, 2, ... in the order seed.py lists them.
INVOICE_IDS = [str(n) for n in range(1, len(SAMPLE_INVOICES) + 1)]
OWING = sum(paid != "full" for *_, paid in SAMPLE_INVOICES)  # paid in part still owe


def ids(api, sql: str, entity: str) -> list[str]:
    return [row["Id"] for row in api.rows(sql, entity)]


def test_get_and_post_forms_answer_the_same(api):
    sql = "select * from Customer where DisplayName = 'Cool Cars'"
    posted = api.ok(api.query(sql))
    got = api.ok(api.get("query", query=sql))
    assert posted["QueryResponse"] == got["QueryResponse"]
    assert posted["QueryResponse"]["startPosition"] == 1
    assert posted["QueryResponse"]["maxResults"] == 1
    assert posted["QueryResponse"]["Customer"][0]["Id"] == "3"


def test_count(api):
    body = api.ok(api.query("SELECT COUNT(*) FROM Customer"))
    assert body["QueryResponse"] == {"totalCount": len(SAMPLE_CUSTOMERS)}
    body = api.ok(api.query("select count(*) from Invoice where Balance > '0'"))
    assert body["QueryResponse"] == {"totalCount": OWING}


def test_nothing_matches_gives_empty_query_response(api):
    body = api.ok(api.query("select * from Customer where DisplayName = 'Nobody'"))
    assert body["QueryResponse"] == {}


def test_comparisons_in_and_like(api):
    assert ids(
        api, "select * from Invoice where TotalAmt >= '200' and TotalAmt < '300'", "Invoice"
    ) == ["2", "5"]  # 200.00 and 234.60
    assert ids(api, "select * from Invoice where Id in ('1', '4', '99')", "Invoice") == ["1", "4"]
    assert ids(api, "select * from Customer where DisplayName like 'Cool%'", "Customer") == ["3"]
    assert ids(api, "select * from Customer where DisplayName like '%Consulting'", "Customer") == [
        "13"
    ]
    assert ids(api, "select * from Customer where DisplayName like '%ool C%'", "Customer") == ["3"]
    assert ids(api, "select * from Invoice where CustomerRef = '3'", "Invoice") == ["3"]
    assert ids(api, "select * from Invoice where CustomerRef in ('1', '2')", "Invoice") == [
        "1",
        "2",
    ]


def test_ids_compare_as_numbers(api):
    above_nine = [str(n) for n in range(10, len(SAMPLE_CUSTOMERS) + 1)]
    assert ids(api, "select * from Customer where Id > '9'", "Customer") == above_nine
    assert ids(api, "select * from Customer where Id <= '2'", "Customer") == ["1", "2"]


def test_backslash_escaped_quote_in_literal(api):
    assert ids(
        api, r"select * from Customer where DisplayName = 'Amy\'s Bird Sanctuary'", "Customer"
    ) == ["1"]


def test_nested_metadata_field(api, emulator, sample):
    emulator.clock.advance(3600)
    sample.edit_invoice("5", {"PrivateNote": "touched"})
    sql = "select * from Invoice where MetaData.LastUpdatedTime > '2026-11-20T10:30:00-08:00'"
    assert ids(api, sql, "Invoice") == ["5"]
    sql = "select * from Invoice where MetaData.LastUpdatedTime <= '2026-11-20T18:00:00Z'"
    assert ids(api, sql, "Invoice") == [i for i in INVOICE_IDS if i != "5"]


def test_orderby_startposition_maxresults(api):
    names = [
        c["DisplayName"]
        for c in api.rows(
            "select * from Customer orderby DisplayName desc startposition 2 maxresults 3",
            "Customer",
        )
    ]
    by_name = sorted((row[0] for row in SAMPLE_CUSTOMERS), key=str.casefold, reverse=True)
    assert names == by_name[1:4]
    last_three = len(SAMPLE_CUSTOMERS) - 2
    body = api.ok(api.query(f"select * from Customer startposition {last_three} maxresults 5"))
    assert body["QueryResponse"]["startPosition"] == last_three
    assert body["QueryResponse"]["maxResults"] == 3  # the number returned on this page
    # Oldest first: the seed dates each invoice so many days before today.
    days_ago = {i: row[1] for i, row in zip(INVOICE_IDS, SAMPLE_INVOICES, strict=True)}
    oldest_first = sorted(INVOICE_IDS, key=days_ago.get, reverse=True)
    assert ids(api, "select * from Invoice ORDER BY TxnDate", "Invoice") == oldest_first


def test_default_page_is_100_and_cap_is_1000(api, sample):
    for number in range(120):
        sample.create("Customer", {"DisplayName": f"Bulk {number}"})
    assert len(api.rows("select * from Customer", "Customer")) == 100
    assert len(api.rows("select * from Customer maxresults 1000", "Customer")) == (
        len(SAMPLE_CUSTOMERS) + 120
    )
    # Over 1000 is refused: test_query_limits.py.


def test_inactive_names_hidden_unless_asked(api, sample):
    customer = sample.read("Customer", "5")
    sample.update("Customer", {**customer, "Active": False}, sparse=False)
    assert "5" not in ids(api, "select * from Customer", "Customer")
    assert ids(api, "select * from Customer where Active = false", "Customer") == ["5"]
    everyone = ids(api, "select * from Customer where Active in (true, false)", "Customer")
    assert len(everyone) == len(SAMPLE_CUSTOMERS)


def test_parse_errors_are_4000(api):
    for sql in (
        "select from Customer",
        "select * from Customer where DisplayName = 'a' or DisplayName = 'b'",
        "select * from Customer where",
        "select * from Customer where DisplayName = 'unterminated",
        "select * from Customer group by DisplayName",
        "select * from Customer where DisplayName = ‘curly’",
        "delete from Customer",
    ):
        error = fault_of(api.query(sql))
        assert error["code"] == "4000", sql
        assert error["Message"] == "Error parsing query"
        assert error["Detail"].startswith("QueryParserError: ")


def test_empty_query_is_a_parse_error(api):
    assert fault_of(api.get("query"))["code"] == "4000"


def test_non_queryable_field_and_unknown_entity(api):
    error = fault_of(api.query("select * from Payment where UnappliedAmt > '0'"))
    assert error["code"] == "4001"
    assert error["Detail"] == "QueryValidationError: property 'UnappliedAmt' is not queryable"
    assert fault_of(api.query("select * from Customer orderby Notes"))["code"] == "4001"
    assert fault_of(api.query("select * from Spaceship"))["code"] == "4001"


def test_select_star_with_extra_field_like_python_quickbooks(api):
    assert len(api.rows("select *, Sku from Item where Name = 'Design'", "Item")) == 1


def test_python_quickbooks_filter_where_and_count_queries(api):
    # The statements python-quickbooks builds for filter(), where(), all() and count().
    assert ids(api, "SELECT * FROM Customer WHERE DisplayName = 'Cool Cars'", "Customer") == ["3"]
    assert ids(
        api, "SELECT * FROM Invoice WHERE Id IN ('2', '3') ORDERBY Id DESC MAXRESULTS 2", "Invoice"
    ) == ["3", "2"]
    assert ids(api, "SELECT * FROM Invoice MAXRESULTS 100", "Invoice") == INVOICE_IDS
    assert api.ok(api.query("SELECT COUNT(*) FROM Invoice WHERE Balance > '0'"))[
        "QueryResponse"
    ] == {"totalCount": OWING}


def test_names_in_a_list_match_whatever_their_case_and_spacing(api):
    # Answered from the name index (no table scan); the result is what a scan would give.
    sql = (
        "select * from Customer where DisplayName in ('cool cars', 'Amy''s Bird Sanctuary', "
        "'Nobody At All')"
    )
    assert sorted(ids(api, sql.replace("''", "\\'"), "Customer")) == ["1", "3"]
    assert ids(api, "select * from Customer where DisplayName = 'COOL CARS'", "Customer") == ["3"]


def test_a_doc_number_differing_only_in_case_is_still_found(api):
    created = api.create(
        "Invoice",
        {"CustomerRef": {"value": "3"}, "DocNumber": "AB-7", "Line": [line("1", "10.00")]},
    )
    assert ids(api, "select * from Invoice where DocNumber in ('ab-7', 'zz-9')", "Invoice") == [
        created["Id"]
    ]


def test_rows_found_through_an_index_come_in_id_order(api):
    # As a scan gives them; Ids compare as numbers ("10" after "9").
    assert ids(api, "select * from Customer where Id in ('10', '2', '9')", "Customer") == [
        "2", "9", "10"
    ]  # fmt: skip
    names = "('Red Rock Diner', 'Amy\\'s Bird Sanctuary', 'Cool Cars')"
    assert ids(api, f"select * from Customer where DisplayName in {names}", "Customer") == [
        "1", "3", "10"
    ]  # fmt: skip
