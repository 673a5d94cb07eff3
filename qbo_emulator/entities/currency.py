"""CompanyCurrency and ExchangeRate (Intuit's references of both): the foreign currencies a
company with multicurrency on trades in, and what one unit of each is worth in the home currency
on a given day.

Both exist only once multicurrency is on (Preferences CurrencyPrefs.MultiCurrencyEnabled; Intuit:
"Applicable only for those companies that enable multicurrency"). A company currency is named by
its ISO code; QBO fills in the name. It is never deleted, only made inactive. The home currency
is not among them (python-quickbooks' sandbox test reads currency 1 of a US company as the
Canadian Dollar).

Exchange rates have no Id of their own: `GET /exchangerate?sourcecurrencycode=EUR&asofdate=D`
reads one, `POST /exchangerate` sets the rate of a currency on a day (a new day, or the day's rate
changed with its SyncToken), and `select * from exchangerate` lists them (data_api.py routes the
two). The emulator has no market feed: a day without a rate set answers the latest rate set
before it, and a currency with none answers 610.
"""

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import EntityType, boolean, iso_date, money, text

META = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"})
# ISO 4217 codes and the names QBO gives them (QBO's own wording is UNCONFIRMED but for the
# currencies of the seeded home countries and the Euro).
CURRENCIES = dict(
    line.split(" ", 1)
    for line in """\
AED UAE Dirham
AFN Afghan Afghani
ALL Albanian Lek
AMD Armenian Dram
ANG Netherlands Antillean Guilder
AOA Angolan Kwanza
ARS Argentine Peso
AUD Australian Dollar
AWG Aruban Florin
AZN Azerbaijani Manat
BAM Bosnia-Herzegovina Convertible Mark
BBD Barbadian Dollar
BDT Bangladeshi Taka
BGN Bulgarian Lev
BHD Bahraini Dinar
BIF Burundian Franc
BMD Bermudan Dollar
BND Brunei Dollar
BOB Bolivian Boliviano
BRL Brazilian Real
BSD Bahamian Dollar
BTN Bhutanese Ngultrum
BWP Botswanan Pula
BYN Belarusian Ruble
BZD Belize Dollar
CAD Canadian Dollar
CDF Congolese Franc
CHF Swiss Franc
CLP Chilean Peso
CNY Chinese Yuan
COP Colombian Peso
CRC Costa Rican Colon
CUP Cuban Peso
CVE Cape Verdean Escudo
CZK Czech Koruna
DJF Djiboutian Franc
DKK Danish Krone
DOP Dominican Peso
DZD Algerian Dinar
EGP Egyptian Pound
ERN Eritrean Nakfa
ETB Ethiopian Birr
EUR Euro
FJD Fijian Dollar
FKP Falkland Islands Pound
GBP British Pound Sterling
GEL Georgian Lari
GHS Ghanaian Cedi
GIP Gibraltar Pound
GMD Gambian Dalasi
GNF Guinean Franc
GTQ Guatemalan Quetzal
GYD Guyanaese Dollar
HKD Hong Kong Dollar
HNL Honduran Lempira
HTG Haitian Gourde
HUF Hungarian Forint
IDR Indonesian Rupiah
ILS Israeli New Shekel
INR Indian Rupee
IQD Iraqi Dinar
IRR Iranian Rial
ISK Icelandic Krona
JMD Jamaican Dollar
JOD Jordanian Dinar
JPY Japanese Yen
KES Kenyan Shilling
KGS Kyrgystani Som
KHR Cambodian Riel
KMF Comorian Franc
KPW North Korean Won
KRW South Korean Won
KWD Kuwaiti Dinar
KYD Cayman Islands Dollar
KZT Kazakhstani Tenge
LAK Laotian Kip
LBP Lebanese Pound
LKR Sri Lankan Rupee
LRD Liberian Dollar
LSL Lesotho Loti
LYD Libyan Dinar
MAD Moroccan Dirham
MDL Moldovan Leu
MGA Malagasy Ariary
MKD Macedonian Denar
MMK Myanmar Kyat
MNT Mongolian Tugrik
MOP Macanese Pataca
MRU Mauritanian Ouguiya
MUR Mauritian Rupee
MVR Maldivian Rufiyaa
MWK Malawian Kwacha
MXN Mexican Peso
MYR Malaysian Ringgit
MZN Mozambican Metical
NAD Namibian Dollar
NGN Nigerian Naira
NIO Nicaraguan Cordoba
NOK Norwegian Krone
NPR Nepalese Rupee
NZD New Zealand Dollar
OMR Omani Rial
PAB Panamanian Balboa
PEN Peruvian Sol
PGK Papua New Guinean Kina
PHP Philippine Peso
PKR Pakistani Rupee
PLN Polish Zloty
PYG Paraguayan Guarani
QAR Qatari Rial
RON Romanian Leu
RSD Serbian Dinar
RUB Russian Ruble
RWF Rwandan Franc
SAR Saudi Riyal
SBD Solomon Islands Dollar
SCR Seychellois Rupee
SDG Sudanese Pound
SEK Swedish Krona
SGD Singapore Dollar
SHP Saint Helena Pound
SLE Sierra Leonean Leone
SOS Somali Shilling
SRD Surinamese Dollar
SSP South Sudanese Pound
STN Sao Tome and Principe Dobra
SYP Syrian Pound
SZL Swazi Lilangeni
THB Thai Baht
TJS Tajikistani Somoni
TMT Turkmenistani Manat
TND Tunisian Dinar
TOP Tongan Pa'anga
TRY Turkish Lira
TTD Trinidad and Tobago Dollar
TWD New Taiwan Dollar
TZS Tanzanian Shilling
UAH Ukrainian Hryvnia
UGX Ugandan Shilling
USD United States Dollar
UYU Uruguayan Peso
UZS Uzbekistani Som
VES Venezuelan Bolivar
VND Vietnamese Dong
VUV Vanuatu Vatu
WST Samoan Tala
XAF Central African CFA Franc
XCD East Caribbean Dollar
XOF West African CFA Franc
XPF CFP Franc
YER Yemeni Rial
ZAR South African Rand
ZMW Zambian Kwacha
ZWL Zimbabwean Dollar""".splitlines()
)


def multicurrency_off() -> faults.QboFault:
    # The fault QBO gives here is UNCONFIRMED; a business validation error as for other
    # features a company has not turned on.
    return faults.business(
        "Multicurrency is not turned on for this company. Turn it on in Account and Settings, "
        "Advanced, Currency first.",
    )


def _currency_code(body: dict, key: str) -> str | None:
    code = text(body, key, 3)
    return code.upper() if code else None


def home_currency(company) -> str:
    return company.preferences["CurrencyPrefs"]["HomeCurrency"]["value"]


class CompanyCurrencyType(EntityType):
    name = "CompanyCurrency"
    name_list = True  # made inactive, never deleted; queries hide inactive ones unless asked
    queryable = META | {"Code", "Name", "Active"}

    def build(self, company, body, existing, options):
        if not company.preference("multicurrency"):
            raise multicurrency_off()
        code = _currency_code(body, "Code")
        if code is None:
            raise faults.required("Code")
        if existing and code != existing["Code"]:
            raise faults.invalid_value("Code", "The Code of a company currency cannot change")
        if code not in CURRENCIES:
            raise faults.invalid_value("Code", f"{code} is not a currency QuickBooks knows")
        if code == home_currency(company):
            raise faults.business(f"{code} is the home currency of this company.", "Code")
        # For built-in currencies "the name and code are standard ISO 4217 values".
        return {**body, "Code": code, "Name": CURRENCIES[code],
                "Active": boolean(body, "Active", True)}  # fmt: skip

    def unique_keys(self, record):
        return [("CompanyCurrency.Code", record["Code"])]

    def duplicate_fault(self, record, index, key, other):
        return faults.duplicate_name(record["Code"], "currency")


class ExchangeRateType(EntityType):
    """One rate: SourceCurrencyCode (a company currency) in TargetCurrencyCode (always the home
    currency) as of AsOfDate. Stored with an Id of the emulator's own that the API never shows."""

    name = "ExchangeRate"
    operations = frozenset({"create", "update", "query"})
    cdc = False  # nothing to name a rate by in a change feed
    queryable = frozenset({"SourceCurrencyCode", "TargetCurrencyCode", "AsOfDate", "Rate",
                           "MetaData.LastUpdatedTime"})  # fmt: skip

    def build(self, company, body, existing, options):
        # "SourceCurrencyCode, Rate, and AsOfDate are mandatory. TargetCurrencyCode defaults to
        # Home Currency if not supplied."
        if not company.preference("multicurrency"):
            raise multicurrency_off()
        source = _currency_code(body, "SourceCurrencyCode")
        if source is None:
            raise faults.required("SourceCurrencyCode")
        home = home_currency(company)
        target = _currency_code(body, "TargetCurrencyCode") or home
        if source == home:
            # "Setting an exchange rate for the home currency results in a validation error."
            raise faults.business(
                f"You can't set an exchange rate for the home currency {home}.",
                "SourceCurrencyCode",
            )
        if target != home:
            raise faults.invalid_value(
                "TargetCurrencyCode", f"Exchange rates are set in the home currency {home}"
            )
        held = company.index_lookup("CompanyCurrency.Code", source)
        currency = company.find("CompanyCurrency", next(iter(held))[1]) if held else None
        if currency is None or currency.get("Active") is False:
            raise faults.invalid_value(
                "SourceCurrencyCode", f"{source} is not an active currency of this company"
            )
        if body.get("Rate") in (None, ""):
            raise faults.required("Rate")
        rate = money(body["Rate"], "Rate")
        if rate <= 0:
            raise faults.invalid_value("Rate", "Rate must be more than zero")
        as_of = iso_date(body, "AsOfDate")
        if as_of is None:
            raise faults.required("AsOfDate")
        return {"SourceCurrencyCode": source, "TargetCurrencyCode": target, "Rate": rate,
                "AsOfDate": as_of}  # fmt: skip

    def unique_keys(self, record):
        return [("ExchangeRate", rate_key(record["SourceCurrencyCode"], record["AsOfDate"]))]

    def duplicate_fault(self, record, index, key, other):
        return faults.business(
            f"{record['SourceCurrencyCode']} has a rate as of {record['AsOfDate']} already; "
            "change it with its SyncToken.",
        )

    def present(self, answer):
        # Intuit's samples show a rate with its SyncToken and only MetaData.LastUpdatedTime.
        shown = {key: value for key, value in answer.items() if key != "Id"}
        shown["MetaData"] = {"LastUpdatedTime": answer["MetaData"]["LastUpdatedTime"]}
        return shown


def rate_key(source: str, as_of: str) -> str:
    return f"{source}:{as_of}"


def exchange_rate_on(company, source: str | None, as_of: str | None) -> dict:
    """The rate of `source` as of a day (today when none is given): the one set for that day,
    else the latest set before it."""
    code = _currency_code({"sourcecurrencycode": source}, "sourcecurrencycode")
    if code is None:
        raise faults.required("sourcecurrencycode")
    with company.lock:
        day = iso_date({"asofdate": as_of}, "asofdate") or company.today()
        rates = [
            rate
            for rate in company.tables["ExchangeRate"].values()
            if rate["SourceCurrencyCode"] == code and rate["AsOfDate"] <= day
        ]
        if not rates:
            raise faults.object_not_found("ExchangeRate", f"{code} as of {day}")
        latest = max(rates, key=lambda rate: rate["AsOfDate"])
        return RATES.present({**latest, "MetaData": dict(latest["MetaData"])})


def set_exchange_rate(company, body) -> dict:
    """POST /exchangerate: a currency's rate on a day, new or changed (a change needs the
    rate's SyncToken, as any update does)."""
    if not isinstance(body, dict):
        raise faults.invalid_value(None, "Request body must be a JSON object")
    source = _currency_code(body, "SourceCurrencyCode")
    as_of = iso_date(body, "AsOfDate")
    with company.emulator.operation():
        held = company.index_lookup("ExchangeRate", rate_key(source, as_of)) if source else ()
        if held:
            rate_id = next(iter(held))[1]
            return company.update("ExchangeRate", {**body, "Id": rate_id}, sparse=False)
        return company.create("ExchangeRate", body)


register(CompanyCurrencyType())
RATES = register(ExchangeRateType())
