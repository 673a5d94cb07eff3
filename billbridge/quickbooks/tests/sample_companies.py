"""The emulator's sample companies as Billbridge's snapshot sees them (test_company checks these
against the emulator's real answers, so the golden payload cases built on them are payloads the
same emulator company takes)."""

from decimal import Decimal

from billbridge.quickbooks.company import Company, Item, TaxCode

SAMPLE_ITEMS = tuple(
    Item(str(number), name, True, kind)
    for number, (name, kind) in enumerate(
        [("Services", "Service"), ("Hours", "Service"), ("Design", "Service"),
         ("Installation", "Service"), ("Gardening", "Service"), ("Pest Control", "Service"),
         ("Lighting", "Service"), ("Rocks", "Service"), ("Sprinklers", "Service"),
         ("Trimming", "Service"), ("Concrete", "Service"), ("Maintenance & Repair", "Service"),
         ("Sod", "NonInventory"), ("Soil", "NonInventory"), ("Pump", "Inventory"),
         ("Rock Fountain", "Inventory"), ("Sprinkler Heads", "Inventory"),
         ("Sprinkler Pipes", "Inventory")],
        start=1,
    )
)  # fmt: skip

US_SAMPLE = Company(
    realm_id="sample",
    name="Sandbox Company US",
    country="US",
    using_sales_tax=True,
    automated_sales_tax=False,
    custom_txn_numbers=False,
    book_close_date=None,
    home_currency="USD",
    # Tucson groups AZ State tax 7.1 % and Tucson City 2 %; California is one rate of 8 %.
    tax_codes=(TaxCode("1", "Tucson", Decimal("9.1"), True),
               TaxCode("2", "California", Decimal("8"), True)),
    items=SAMPLE_ITEMS,
)  # fmt: skip

GB_SAMPLE = Company(
    realm_id="sample",
    name="Sandbox Company GB",
    country="GB",
    using_sales_tax=True,
    automated_sales_tax=False,
    custom_txn_numbers=False,
    book_close_date=None,
    home_currency="GBP",
    tax_codes=(TaxCode("1", "20.0% S", Decimal("20"), True),
               TaxCode("2", "5.0% R", Decimal("5"), True),
               TaxCode("3", "0.0% Z", Decimal("0"), True),
               TaxCode("4", "Exempt", Decimal("0"), True)),
    items=SAMPLE_ITEMS,
)  # fmt: skip
