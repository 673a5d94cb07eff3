"""The export's customer step (R3): each client's QBO customer, remembered, matched by name, or
created from the client's details.

A new name has one creator at a time across a drain's threads and every worker: the chunk that
takes a name's `CustomerCreation` row creates it; a chunk that finds the name taken by another
sets its invoices back for a moment, and then finds the link the other one saved. Without this
both would look the name up, find nothing, and create it: QBO refuses the second with 6240, which
used to be reported as a clash with a vendor or an employee.

A 6240 is settled by looking at every customer of the name, active or not: an active one (made
meanwhile, in QBO or by another of our workers) is matched, an inactive one is made active
again; only when there is none is it a vendor's or an employee's name.
"""

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from billbridge.clients.models import Client
from billbridge.quickbooks import payloads
from billbridge.quickbooks.client import QboClient, QboFault, quote
from billbridge.quickbooks.faults import describe
from billbridge.quickbooks.models import CustomerCreation, CustomerLink

NAME_TAKEN = "6240"


@dataclass(frozen=True)
class CustomerProblem:
    """Why an invoice cannot go (an error) or what it should say (a warning) about its customer."""

    text: str
    is_error: bool = False
    code: str = ""


@dataclass
class CustomerStep:
    client: QboClient
    realm_id: str
    owner: str  # the drain's lease owner: its heartbeat keeps the creations it holds alive
    lease: timedelta
    customers: dict[int, str] = field(default_factory=dict)  # client id -> QBO customer id
    problems: dict[int, CustomerProblem] = field(default_factory=dict)  # client id -> problem
    # Clients whose new name another chunk is creating now: their invoices wait for it.
    busy: set[int] = field(default_factory=set)
    _new_links: list[CustomerLink] = field(default_factory=list)

    def find(self, clients: set[Client]) -> None:
        missing = self._unlinked(clients)
        if not missing:
            return
        mine = take_creations(self.realm_id, missing, self.owner, self.lease)
        self.busy.update(c.pk for c in missing if c.name.casefold() not in mine)
        owned = [c for c in missing if c.name.casefold() in mine]
        try:
            # The creator we may have waited behind has saved its links by now.
            owned = self._unlinked(set(owned))
            if owned:
                self._match_or_create(owned)
        finally:
            self._save(released=mine)

    def _unlinked(self, clients: set[Client]) -> list[Client]:
        self.customers.update(
            CustomerLink.objects.filter(client__in=clients, realm_id=self.realm_id).values_list(
                "client_id", "qbo_customer_id"
            )
        )
        return sorted((c for c in clients if c.pk not in self.customers), key=lambda c: c.pk)

    def _match_or_create(self, clients: list[Client]) -> None:
        by_name = customers_named(self.client, [c.name for c in clients])
        to_create = []
        for client in clients:
            customer = by_name.get(client.name.casefold())
            if customer:
                self._remember(client, customer, CustomerLink.How.MATCHED)
            else:
                to_create.append(client)
        if to_create:
            self._create(to_create)

    def _create(self, clients: list[Client]) -> None:
        items = [
            {
                "bId": f"c{client.pk}",
                "operation": "create",
                "Customer": payloads.customer_body(payloads.ClientData.of(client)),
            }
            for client in clients
        ]
        # Not derived from the content: the same customer may rightly be created again later
        # (after a deletion in QBO), and a lost answer is settled by searching the names again.
        results = self.client.batch(items, request_id=uuid.uuid4().hex)
        for client in clients:
            result = results.get(f"c{client.pk}")
            if result and result.entity:
                self._remember(client, result.entity, CustomerLink.How.CREATED)
            elif result and result.fault and result.fault.code == NAME_TAKEN:
                self._name_taken(client, result.fault)
            elif result and result.fault:
                self.problems[client.pk] = CustomerProblem(
                    f"QuickBooks refused to create the customer '{client.name}': "
                    f"{describe(result.fault)}",
                    is_error=True,
                    code=result.fault.code,
                )

    def _name_taken(self, client: Client, fault: QboFault) -> None:
        found = customers_called(self.client, client.name, include_inactive=True)
        active = [c for c in found if c.get("Active", True)]
        if active:
            self._remember(client, active[0], CustomerLink.How.MATCHED)
        elif found:
            # QBO's own screens offer the same: bill the inactive customer by making it active.
            customer = self.client.update(
                "Customer",
                {"Id": found[0]["Id"], "SyncToken": found[0]["SyncToken"], "sparse": True,
                 "Active": True},
                request_id=uuid.uuid4().hex,
            )  # fmt: skip
            self._remember(client, customer, CustomerLink.How.MATCHED)
            self.problems[client.pk] = CustomerProblem(
                f"The QuickBooks customer '{client.name}' was inactive; Billbridge made it "
                "active again to bill it."
            )
        else:
            self.problems[client.pk] = CustomerProblem(
                f"QuickBooks already uses the name '{client.name}' for a vendor or an employee "
                f"(code {fault.code}), and a customer cannot share it.",
                is_error=True,
                code=fault.code,
            )

    def _remember(self, client: Client, customer: dict, how: str) -> None:
        self._new_links.append(
            CustomerLink(
                client=client,
                realm_id=self.realm_id,
                qbo_customer_id=customer["Id"],
                display_name=customer["DisplayName"],
                how=how,
            )
        )
        self.customers[client.pk] = customer["Id"]

    def _save(self, *, released: set[str]) -> None:
        """The links, and the end of our creations, in one transaction: a chunk that waited
        behind us finds the link as soon as it finds the name free."""
        with transaction.atomic():
            CustomerLink.objects.bulk_create(
                self._new_links,
                update_conflicts=True,
                unique_fields=["client"],
                update_fields=["realm_id", "qbo_customer_id", "display_name", "how", "updated_at"],
            )
            CustomerCreation.objects.filter(
                realm_id=self.realm_id, owner=self.owner, name_key__in=released
            ).delete()
        self._new_links.clear()


def take_creations(realm_id: str, clients: list[Client], owner: str, lease: timedelta) -> set[str]:
    """Become the creator of these clients' names where no live creator holds them; returns the
    names (casefolded, as QBO compares them) that are ours. A creator that died lets go of its
    names when its lease ends."""
    now = timezone.now()
    keys = sorted({client.name.casefold() for client in clients})  # one order: no deadlock
    with transaction.atomic():
        CustomerCreation.objects.filter(
            realm_id=realm_id, name_key__in=keys, lease_until__lt=now
        ).delete()
        CustomerCreation.objects.bulk_create(
            [
                CustomerCreation(
                    realm_id=realm_id, name_key=key, owner=owner, lease_until=now + lease
                )
                for key in keys
            ],
            ignore_conflicts=True,
        )
        return set(
            CustomerCreation.objects.filter(
                realm_id=realm_id, name_key__in=keys, owner=owner
            ).values_list("name_key", flat=True)
        )


def _literal_safe(character: str) -> bool:
    """Whether QBO's query parser takes this character inside a string literal: printable
    ASCII, letters, marks and digits. It answers 4000 "Lexical error" for the rest, curly quotes
    and dashes among them, though it accepts them in the names themselves (quickbooks-ruby#309,
    QuickBooks-V3-PHP-SDK#397)."""
    return " " <= character <= "~" or unicodedata.category(character)[0] in "LMN"


def _name_condition(name: str) -> str:
    """`DisplayName = '…'`, or for a name QBO cannot quote, a LIKE with `%` standing for each
    character it refuses; the caller keeps only the exact matches."""
    if all(_literal_safe(character) for character in name):
        return f"DisplayName = {quote(name)}"
    pattern = "".join(c if _literal_safe(c) else "%" for c in name)
    while "%%" in pattern:
        pattern = pattern.replace("%%", "%")
    return f"DisplayName LIKE {quote(pattern)}"


def customers_called(qbo: QboClient, name: str, *, include_inactive: bool = False) -> list[dict]:
    """The QBO customers whose display name is `name` (QBO compares names without regard to
    case), active ones only unless `include_inactive`."""
    active = "Active in (true, false) and " if include_inactive else ""
    found = qbo.query(f"select * from Customer where {active}{_name_condition(name)}")
    return [c for c in found if c["DisplayName"].casefold() == name.casefold()]


def customers_named(qbo: QboClient, names: list[str]) -> dict[str, dict]:
    """The active QBO customers with these display names, by casefolded name: one query per 30
    names QBO can quote (QBO compares names without regard to case), and one for each name it
    cannot."""
    found = {}
    plain = [name for name in names if all(_literal_safe(c) for c in name)]
    for start in range(0, len(plain), 30):
        listed = ", ".join(quote(name) for name in plain[start : start + 30])
        for customer in qbo.query(
            f"select * from Customer where DisplayName in ({listed}) maxresults 1000"
        ):
            found[customer["DisplayName"].casefold()] = customer
    for name in names:
        if name not in plain:
            for customer in customers_called(qbo, name):
                found[customer["DisplayName"].casefold()] = customer
    return found
