"""QBO's Fault envelope and the catalogue of faults the data API raises (QBO.md §2.13).

Every rule in the emulator raises a QboFault built by one of the helpers below, so the codes,
messages and HTTP statuses live in one place and one function renders them.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FaultError:
    code: str
    message: str
    detail: str
    element: str | None = None

    def to_dict(self) -> dict:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element or "",
        }


@dataclass
class QboFault(Exception):
    status: int
    fault_type: str
    errors: list[FaultError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{e.code} {e.message}: {e.detail}" for e in self.errors)

    def fault_dict(self) -> dict:
        """The inner `Fault` object, as batch items carry it."""
        return {"Error": [e.to_dict() for e in self.errors], "type": self.fault_type}


def format_time(when: datetime) -> str:
    """QBO's `time` field: ISO 8601 with milliseconds and a numeric offset."""
    return when.isoformat(timespec="milliseconds")


def fault_body(fault: QboFault, now: datetime) -> dict:
    return {"Fault": fault.fault_dict(), "time": format_time(now)}


def validation(code: str, message: str, detail: str, element: str | None = None) -> QboFault:
    return QboFault(400, "ValidationFault", [FaultError(code, message, detail, element)])


def required(element: str) -> QboFault:
    return validation(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_reference(element: str, value: object) -> QboFault:
    return validation(
        "2500", "Invalid Reference Id", f"Invalid Reference Id : {element} ({value})", element
    )


def object_not_found(entity: str, entity_id: object) -> QboFault:
    return validation(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. Check the "
        f"fields with accounts, customers, items, vendors or employees. ({entity} Id={entity_id})",
    )


def inactive_reference(element: str, value: object) -> QboFault:
    return validation(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the "
        f"fields with accounts, customers, items, vendors or employees. ({element}={value})",
        element,
    )


def stale_object() -> QboFault:
    return validation(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and QuickBooks User were working on this at the same time. "
        "QuickBooks User finished before you did, so your work was not saved.",
    )


def duplicate_name(name: str, holder: str = "customer, vendor or employee") -> QboFault:
    return validation(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {holder} is already using this name "
        f"({name}). Please use a different name.",
    )


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return validation(
        "6140",
        "Duplicate Document Number Error",
        "You must specify a different number. This number has already been used. "
        f"DocNumber={doc_number} is assigned to TxnType={txn_type} with TxnId={txn_id}",
        "DocNumber",
    )


def string_length(element: str, maximum: int, supplied: int) -> QboFault:
    return validation(
        "2050",
        "String length is either shorter or longer than supported by specification",
        "String length is either shorter or longer than supported by specification. "
        f"Min:0 Max:{maximum} supplied length:{supplied}",
        element,
    )


def invalid_character(element: str, value: str) -> QboFault:
    """A name QBO refuses for a character in it; the Detail quotes the value as sent (2040 for
    "Rob:Barnett:Company", StackOverflow mirror example-a.com/answer/24529982)."""
    return validation(
        "2040",
        "Invalid String. The String may contain unsupported or illegal chars",
        f"Element contains invalid characters. {value}",
        element,
    )


def invalid_value(element: str, detail: str) -> QboFault:
    return validation("2010", "Request has invalid or unsupported property", detail, element)


def business(detail: str, element: str | None = None) -> QboFault:
    return validation(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


def amount_mismatch(element: str, amount: object, qty: object, unit_price: object) -> QboFault:
    return validation(
        "6070",
        "Amount calculation incorrect in the request",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount} "
        f"(Qty {qty} x UnitPrice {unit_price})",
        element,
    )


def invalid_line_tax_codes(values: list[str]) -> QboFault:
    return QboFault(
        400,
        "ValidationFault",
        [
            FaultError(
                "6100",
                "Invalid Line TaxCode in the request",
                f"Valid line TaxCodes for US should be TAX or NON. Supplied value: {value}",
                "Line.SalesItemLineDetail.TaxCodeRef",
            )
            for value in values
        ],
    )


def period_closed(book_close_date: str) -> QboFault:
    return validation(
        "6210",
        "Account Period Closed, Cannot Update Through Services API",
        f"The account period has closed and cannot be updated through the API. "
        f"Transactions dated on or before {book_close_date} are locked.",
        "TxnDate",
    )


def unsupported_operation(operation: str, entity: str) -> QboFault:
    return validation(
        "500", "Unsupported Operation", f"Operation {operation} is not supported for {entity}."
    )


def query_parse_error(detail: str) -> QboFault:
    return validation("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    return validation("4001", "Invalid query", f"QueryValidationError: {detail}")


def malformed_request(detail: str) -> QboFault:
    return validation("400", "MalformedRequest", detail)


def unknown_realm(realm_id: str) -> QboFault:
    # QBO answers a well-formed token used against a company it was not issued for with the
    # gateway's 403; an unknown realm reaches us only when the gateway is bypassed (tests).
    return QboFault(
        403,
        "AuthorizationFault",
        [
            FaultError(
                "3100",
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                f"Company {realm_id} is not known to this server",
            )
        ],
    )


def not_found_url(path: str, url: str | None = None) -> QboFault:
    """No resource at `path` (`url` in full). QBO's router answers a SystemFault 10000 naming
    both (grue/django-quickbooks-online#12, for /Employee/0); a code of 10000 or more is a
    server-side error to client libraries, never an authorisation failure (python-quickbooks
    maps codes 1-499 to AuthorizationException). The HTTP status, 404, is [I-ERR]'s "URL
    doesn't exist" (UNCONFIRMED for this body)."""
    return QboFault(
        404,
        "SystemFault",
        [
            FaultError(
                "10000",
                "An application error has occurred while processing your request",
                f"System Failure Error: Could not find resource for relative : {path} "
                f"of full path: {url or path}",
            )
        ],
    )


def request_id_too_long(request_id: str, maximum: int) -> QboFault:
    """The 6000 QBO gives a requestid over its limit (QuickBooks-V3-Java-SDK#180, which shows
    the 50-character wording; the same wording for other limits is UNCONFIRMED)."""
    return business(
        f"You cannot enter more than {maximum} characters in the request_id field. "
        f"You tried entering {request_id}, which is {len(request_id)} characters."
    )
