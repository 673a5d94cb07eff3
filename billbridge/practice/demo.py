"""The demo practice that `make run` serves: people with different permissions, about 25
clients and 200 invoices in every status, and three months of time (time/demo.py), built
through the real services."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from billbridge.clients import services as client_services
from billbridge.clients.models import ClientRole
from billbridge.core import testing
from billbridge.documents import services as document_services
from billbridge.invoicing import services
from billbridge.invoicing.models import InvoiceStatus
from billbridge.invoicing.totals import LineInput
from billbridge.practice.models import Practice
from billbridge.time.demo import seed_time

DEMO_PRACTICE = "Harbor & Pine Accounting"
DEMO_PASSWORD = "billbridge-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    description: str
    permissions: dict


DEMO_USERS = [
    DemoUser(
        "manager",
        "every permission; Owner of every client",
        {"can_export": True, "can_process_time": True, "can_manage_settings": True},
    ),
    DemoUser(
        "biller",
        "Export and Process time; Owner of a third of the clients",
        {"can_export": True, "can_process_time": True},
    ),
    DemoUser("clerk", "Process time only; Staff on some clients", {"can_process_time": True}),
    DemoUser("viewer", "no permissions: can look, cannot change", {}),
]

CLIENT_NAMES = [
    "Acme Widgets Inc.",
    "Baker & Sons LLP",
    "Bluebird Dental",
    "Cedar Ridge Farms",
    "Copperline Studio",
    "Delgado Family Trust",
    "Evergreen Landscaping",
    "Fairview Pediatrics",
    "Foxglove Florists",
    "Granite State Roofing",
    "Harper & Vance Architects",
    "Island Coffee Roasters",
    "Juniper Yoga",
    "Keystone Auto Repair",
    "Lakeside Marina",
    "Maple Street Bakery",
    "Northwind Traders",
    "O'Connell Plumbing",
    "Pinecrest Veterinary",
    "Quarry Hill Brewing",
    "Riverside Physical Therapy",
    "Summit Outdoor Gear",
    "Tidewater Logistics",
    "Union Square Books",
    "Willow Creek Consulting",
]

STREETS = ["Main St", "Oak Ave", "Harbor Rd", "Pine St", "Elm St", "Market St"]
CITIES = [("Portland", "ME", "04101"), ("Burlington", "VT", "05401"), ("Concord", "NH", "03301")]

SERVICES = [
    ("Bookkeeping", "Monthly bookkeeping", Decimal("1"), Decimal("450.00")),
    ("Payroll", "Payroll processing", Decimal("2"), Decimal("85.00")),
    ("Tax preparation", "Quarterly sales tax return", Decimal("1.5"), Decimal("175.00")),
    ("Advisory", "Advisory meeting", Decimal("2.25"), Decimal("160.00")),
    ("Audit support", "Year-end audit support", Decimal("6"), Decimal("140.00")),
    ("Cleanup", "Books cleanup, prior months", Decimal("4.5"), Decimal("95.00")),
]

# Settings ▸ Invoice template, as a practice would fill it in.
DEMO_TEMPLATE = {
    "address": "210 Harbor Rd, Suite 4\nPortland, ME 04101",
    "tax_id": "EIN 01-2345678",
    "contact_email": "billing@harborpine.example",
    "phone": "(207) 555-0100",
    "payment_instructions": "Pay by ACH to Harbor & Pine Accounting, account 004512377, routing "
    "011200365, quoting the invoice number; or by check to the address above.",
    "footer": "Thank you for your business. Questions: billing@harborpine.example",
}

# How many of the 200 invoices end in each status.
STATUS_MIX = (
    [InvoiceStatus.DRAFT] * 60 + [InvoiceStatus.FINALIZED] * 90 + [InvoiceStatus.CLOSED] * 50
)


@transaction.atomic
def seed_demo(invoice_count: int = 200, today: datetime.date | None = None) -> Practice:
    rng = random.Random(2026)  # the same demo every time
    today = today or datetime.date.today()
    practice = Practice.objects.create(name=DEMO_PRACTICE, invoice_number_prefix="HP-")
    members = {
        user.username: testing.make_member(
            practice, user.username, password=DEMO_PASSWORD, **user.permissions
        )
        for user in DEMO_USERS
    }
    for username, membership in members.items():
        # Notices and the mail catcher need somewhere to send to.
        membership.user.email = f"{username}@harborpine.example"
        membership.user.save(update_fields=["email"])
    manager = members["manager"]
    services.update_tax_settings(
        manager,
        primary_name="Sales tax",
        # The emulator's sample company (like Intuit's sandbox) has an 8% code: exports match it.
        primary_rate=Decimal("8"),
        primary_enabled=True,
        secondary_name="Local option tax",
        secondary_rate=Decimal("1"),
        secondary_enabled=False,
    )
    # Before any invoice is finalized: each one's PDF is frozen with the template of its day.
    document_services.save_template(manager, DEMO_TEMPLATE)
    clients = []
    for index, name in enumerate(CLIENT_NAMES):
        city, region, postal = CITIES[index % len(CITIES)]
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        client = client_services.create_client(
            manager,
            name=name,
            email=f"billing@{slug}.example",
            phone=f"(207) 555-{1000 + index:04d}",
            address_line1=f"{10 + index * 7} {STREETS[index % len(STREETS)]}",
            city=city,
            region=region,
            postal_code=postal,
            country="USA",
        )
        testing.assign(manager, client, ClientRole.OWNER)
        if index % 3 == 0:
            testing.assign(members["biller"], client, ClientRole.OWNER)
        elif index % 3 == 1:
            testing.assign(members["clerk"], client, ClientRole.STAFF)
        clients.append(client)

    # Spread the mix evenly so that a smaller demo still has every status.
    statuses = [STATUS_MIX[i * len(STATUS_MIX) // invoice_count] for i in range(invoice_count)]
    rng.shuffle(statuses)
    for status in statuses:
        client = rng.choice(clients)
        lines = [
            LineInput(
                description=description,
                quantity=quantity * rng.choice([1, 1, 2]),
                unit_price=price,
                service_name=service,
                primary_taxable=rng.random() < 0.6,
            )
            for service, description, quantity, price in rng.sample(SERVICES, rng.randint(1, 3))
        ]
        issue_date = today - datetime.timedelta(days=rng.randint(0, 120))
        testing.make_invoice(manager, client, status, lines=lines, issue_date=issue_date)
    # Time last: its invoices from WIP follow the typed ones in the number sequence.
    seed_time(members, clients, today)
    return practice
