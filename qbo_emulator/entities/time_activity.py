"""TimeActivity (Intuit's TimeActivity reference and XSD): time an employee or vendor worked,
maybe for a customer and billable to it. It is no transaction (the XSD builds it on IntuitEntity):
no DocNumber, no closed books, no lines or total; Intuit's change data capture does not cover it.

The worker is named by `NameOf` and the matching reference (EmployeeRef or VendorRef), both
required. The time is `Hours` and `Minutes` (0-59), or `StartTime` and `EndTime`; QBO keeps the
times of day and dates them on TxnDate in the company's time zone, and computes no Hours from
them (responses in minimul/qbo_api#16 and IntuitDeveloper/SampleApp-CRUD-PHP#15). Unset, QBO
answers BillableStatus NotBillable, Taxable false and HourlyRate 0 (same response); a Billable
activity needs its HourlyRate (Intuit's reference). The company's default time item
(Preferences.TimeTrackingPrefs.DefaultTimeItem) stands for a missing ItemRef (UNCONFIRMED: the
qbo_api#16 response names the "Hours" item though none was sent).
"""

from datetime import date, datetime
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities import register
from qbo_emulator.entities.base import ref_value
from qbo_emulator.entities.spec import DeclaredType, Spec

WORKERS = {"Employee": "EmployeeRef", "Vendor": "VendorRef"}
# Whole numbers of the time worked, with their largest value (None: no limit).
DURATIONS = {"Hours": None, "Minutes": 59, "BreakHours": None, "BreakMinutes": 59}


def _time_worked(company, record: dict, body: dict, existing: dict | None) -> None:
    worker = WORKERS[record["NameOf"]]
    if worker not in record:
        raise faults.required(worker)
    for other in set(WORKERS.values()) - {worker}:
        record.pop(other, None)
    record["TxnDate"] = record.get("TxnDate") or company.today()
    for key, maximum in DURATIONS.items():
        if body.get(key) not in (None, ""):
            record[key] = _whole(body[key], key, maximum)
    if "Hours" not in record and not ("StartTime" in body and "EndTime" in body):
        raise faults.required("Hours")
    for key in ("StartTime", "EndTime"):
        if body.get(key) not in (None, ""):
            record[key] = _on_day(company, body[key], record["TxnDate"], key)
    if record["BillableStatus"] == "Billable" and "HourlyRate" not in record:
        raise faults.required("HourlyRate")
    record.setdefault("HourlyRate", Decimal("0"))
    time_prefs = company.preferences.get("TimeTrackingPrefs", {})
    if "ItemRef" not in record and ref_value(time_prefs, "DefaultTimeItem"):
        record["ItemRef"] = time_prefs["DefaultTimeItem"]


def _whole(value, key: str, maximum: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise faults.invalid_value(key, f"{key} must be a whole number, got {value!r}")
    number = int(value)
    if maximum is not None and number > maximum:
        raise faults.invalid_value(key, f"{key} must be from 0 to {maximum}, got {number}")
    return number


def _on_day(company, value, day: str, key: str) -> str:
    """The time of day of `value`, in the company's time zone, on `day`."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise faults.invalid_value(key, f"{key} must be a date-time, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=company.tz)
    local = moment.astimezone(company.tz).time()
    return datetime.combine(date.fromisoformat(day), local, company.tz).isoformat("T", "seconds")


TIME_ACTIVITY = Spec(
    name="TimeActivity",
    kind="object",
    required=("NameOf",),
    texts={"Description": 4000},
    refs={"EmployeeRef": "Employee", "VendorRef": "Vendor", "CustomerRef": "Customer",
          "ItemRef": "Item", "ClassRef": "Class", "DepartmentRef": "Department"},
    choices={"NameOf": tuple(WORKERS),
             "BillableStatus": ("NotBillable", "Billable", "HasBeenBilled")},
    amounts=("HourlyRate", "CostRate"),
    dates=("TxnDate",),
    flags={"Taxable": False},
    total=None,
    doc_number=False,
    queryable=frozenset({"TxnDate"}),
    finish=_time_worked,
    cdc=False,
)  # fmt: skip

register(DeclaredType(TIME_ACTIVITY))
