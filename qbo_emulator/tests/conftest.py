"""Fixtures for the data-side tests: an emulator, companies, and an HTTP client on data_routes."""

from datetime import datetime

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from qbo_emulator.clock import Clock
from qbo_emulator.data_api import data_routes
from qbo_emulator.store import Emulator
from qbo_emulator.tests._data_helpers import Api

FROZEN_AT = "2026-11-20T18:00:00+00:00"


@pytest.fixture
def emulator() -> Emulator:
    clock = Clock()
    clock.freeze()
    clock.set(datetime.fromisoformat(FROZEN_AT))
    return Emulator(clock)


@pytest.fixture
def sample(emulator):
    """A US company with the sample data (manual sales tax on, custom numbers off)."""
    return emulator.create_company(name="Sandbox Company_US_1", seed="sample")


@pytest.fixture
def empty(emulator):
    """A new US company: no sales tax set up, custom transaction numbers on."""
    return emulator.create_company(name="New Co", seed="empty", custom_txn_numbers=True)


@pytest.fixture
def client(emulator) -> TestClient:
    return TestClient(Starlette(routes=data_routes(emulator)))


@pytest.fixture
def api(client, sample) -> Api:
    return Api(client, sample.realm_id)


@pytest.fixture
def empty_api(client, empty) -> Api:
    return Api(client, empty.realm_id)


@pytest.fixture
def shop(emulator, client) -> Api:
    """A new US company numbering its own sales forms (custom transaction numbers off)."""
    return Api(client, emulator.create_company(name="Shop Ltd", seed="empty").realm_id)


@pytest.fixture
def customer(shop) -> dict:
    """A customer of `shop` with an e-mail address, which its sales forms copy."""
    return shop.create(
        "Customer", {"DisplayName": "Harbour Cafe", "PrimaryEmailAddr": {"Address": "a@cafe.test"}}
    )
