"""RecurringTransaction (Intuit's RecurringTransaction reference): a template QBO makes a
transaction from on a schedule ("Automated"), reminds of ("Reminded"), or keeps for use on
request ("UnScheduled").

Every request and answer wraps the template in its transaction type, the schedule inside it:
`{"RecurringTransaction": {"Invoice": {..., "RecurringInfo": {"Name", "RecurType", "Active",
"ScheduleInfo": {...}}}}}` for a read or a write, `[{"Invoice": {...}}, {"Bill": {...}}]` in a
QueryResponse (python-quickbooks' recurringtransaction.py and its sandbox tests; Intuit's read
sample). The template is checked as its transaction would be (an invoice's customer, items and
tax, a bill's vendor and accounts) but no transaction is made: nothing is posted, no balance
moves, and no DocNumber is taken from the sequence (QBO numbers what the template generates).
It keeps the template's Id, SyncToken and MetaData inside the wrapper, as the samples show.
`select * from RecurringTransaction where Type = 'Bill'` filters by the transaction type.

The emulator runs no schedules: NextDate is the schedule's StartDate and nothing is generated.
A delete answers `{"RecurringTransaction": {"domain", "status": "Deleted", "Id"}}` like other
deletes (UNCONFIRMED: no recorded answer of QBO's).
"""

from qbo_emulator import faults
from qbo_emulator.entities import entity_type, register
from qbo_emulator.entities.base import EntityType, boolean, clean, iso_date, mapping, text
from qbo_emulator.entities.names import name_key
from qbo_emulator.faults import QboFault

# The transactions QBO keeps recurring templates of (python-quickbooks' RecurringTransaction).
TEMPLATE_TYPES = ("Bill", "Purchase", "CreditMemo", "Deposit", "Estimate", "Invoice",
                  "JournalEntry", "RefundReceipt", "SalesReceipt", "Transfer", "VendorCredit",
                  "PurchaseOrder")  # fmt: skip
RECUR_TYPES = ("Automated", "Reminded", "UnScheduled")
INFO = "RecurringInfo"
SCHEDULE = "RecurringInfo.ScheduleInfo"
# ScheduleInfo fields with a fixed set of values.
SCHEDULE_CHOICES = {
    "IntervalType": ("Daily", "Weekly", "Monthly", "Yearly"),
    "DayOfWeek": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "WeekOfMonth": ("First", "Second", "Third", "Fourth", "Last"),
    "MonthOfYear": ("January", "February", "March", "April", "May", "June", "July", "August",
                    "September", "October", "November", "December"),
}  # fmt: skip
# ScheduleInfo counts: field → the least value.
SCHEDULE_COUNTS = {"NumInterval": 1, "MaxOccurrences": 1, "DaysBefore": 0, "RemindDays": 0,
                   "DayOfMonth": 1}  # fmt: skip
# Sent as the template's DocNumber while it is checked, so that no number is taken from the
# company's sequence for it; dropped afterwards.
NO_NUMBER = "RECURRING-TEMPLATE"


class RecurringTransactionType(EntityType):
    name = "RecurringTransaction"
    operations = frozenset({"create", "read", "update", "delete", "query"})
    queryable = frozenset({"Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime", "Type"})

    def receive(self, body):
        """{"Invoice": {...}} → the template with its transaction type in `Type`."""
        if not isinstance(body, dict) or "Type" in body:
            return body
        wrapped = [key for key in body if key in TEMPLATE_TYPES]
        if len(wrapped) == 1 and isinstance(body[wrapped[0]], dict):
            return {**body[wrapped[0]], "Type": wrapped[0]}
        return body

    def present(self, answer):
        if "Type" not in answer:  # the status of a deletion
            return answer
        return {answer["Type"]: {key: value for key, value in answer.items() if key != "Type"}}

    def build(self, company, body, existing, options):
        template_type = body.get("Type")
        if template_type not in TEMPLATE_TYPES:
            raise faults.invalid_value(
                None, f"A RecurringTransaction holds one transaction: {', '.join(TEMPLATE_TYPES)}"
            )
        if existing and existing["Type"] != template_type:
            raise faults.invalid_value(template_type, "A template's transaction type can't change")
        try:
            kind = entity_type(template_type, "create")
        except QboFault:
            raise faults.invalid_value(
                template_type, f"Recurring {template_type} templates are not supported yet"
            ) from None
        info = recurring_info(company, body.get(INFO))
        template = {key: value for key, value in body.items() if key not in ("Type", INFO)}
        number = template.get("DocNumber") or NO_NUMBER
        record = kind.build(company, clean({**template, "DocNumber": number}), existing, options)
        if record.get("DocNumber") == NO_NUMBER:
            del record["DocNumber"]
        return {**record, "Type": template_type, INFO: info}

    def unique_keys(self, record):
        return [(self.name + ".Name", name_key(record[INFO]["Name"]))]

    def duplicate_fault(self, record, index, key, other):
        return faults.duplicate_name(record[INFO]["Name"], "recurring template")


def recurring_info(company, sent) -> dict:
    """RecurringInfo: Name (required, unique), RecurType, Active, and for a scheduled template
    its ScheduleInfo."""
    info = mapping(sent, INFO)
    if not info:
        raise faults.required(INFO)
    name = (text(info, "Name", 100, f"{INFO}.Name") or "").strip()
    if not name:
        raise faults.required(f"{INFO}.Name")
    recur_type = info.get("RecurType") or "Automated"
    if recur_type not in RECUR_TYPES:
        raise faults.invalid_value(f"{INFO}.RecurType", f"RecurType must be one of {RECUR_TYPES}")
    result = {"Name": name, "RecurType": recur_type, "Active": boolean(info, "Active", True)}
    if recur_type != "UnScheduled":
        result["ScheduleInfo"] = schedule(
            company, clean(mapping(info.get("ScheduleInfo"), SCHEDULE))
        )
    return result


def schedule(company, sent: dict) -> dict:
    if not sent:
        raise faults.required(SCHEDULE)
    if sent.get("IntervalType") in (None, ""):
        raise faults.required(f"{SCHEDULE}.IntervalType")
    result = dict(sent)
    for key, allowed in SCHEDULE_CHOICES.items():
        if key in sent and sent[key] not in allowed:
            raise faults.invalid_value(f"{SCHEDULE}.{key}", f"{key} must be one of {allowed}")
    for key, least in SCHEDULE_COUNTS.items():
        value = sent.get(key, 1 if key == "NumInterval" else None)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise faults.invalid_value(
                f"{SCHEDULE}.{key}", f"{key} must be a whole number of at least {least}"
            )
        result[key] = value
    start = iso_date(sent, "StartDate") or company.today()
    end = iso_date(sent, "EndDate")
    if end is not None and end < start:
        raise faults.invalid_value(f"{SCHEDULE}.EndDate", "EndDate is before StartDate")
    result.update(StartDate=start, NextDate=start)
    if end is not None:
        result["EndDate"] = end
    result.pop("PreviousDate", None)  # nothing has been generated from it
    return result


register(RecurringTransactionType())
