"""What the banking tests (deposits, transfers, journal entries, currencies, recurring
templates) share: accounts by name, bank accounts of their own, balances, a batch item."""

from qbo_emulator.tests._data_helpers import Api, money


def account_id(api: Api, name: str) -> str:
    rows = api.rows(f"select * from Account where Name = '{name}'", "Account")
    assert len(rows) == 1, rows
    return rows[0]["Id"]


def bank_account(api: Api, name: str) -> str:
    created = api.create(
        "Account", {"Name": name, "AccountType": "Bank", "AccountSubType": "Savings"}
    )
    return created["Id"]


def ref(entity_id: str) -> dict:
    return {"value": entity_id}


def balance(api: Api, entity_id: str):
    return money(api.read("Account", entity_id)["CurrentBalance"])


def batch(api: Api, *items: dict) -> list[dict]:
    """Run a batch of `items` (bIds numbered from 1) and answer its items in bId order."""
    body = {"BatchItemRequest": [{"bId": str(n), **item} for n, item in enumerate(items, 1)]}
    answered = api.ok(api.post("batch", body))["BatchItemResponse"]
    return sorted(answered, key=lambda item: int(item["bId"]))


def changed(api: Api, entity: str, since: str) -> list[dict]:
    """The objects of `entity` CDC answers as changed since `since`."""
    answer = api.ok(api.get("cdc", entities=entity, changedSince=since))
    return answer["CDCResponse"][0]["QueryResponse"][0].get(entity, [])
