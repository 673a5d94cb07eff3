"""The rules on text and decimals that the services check, said as JSON Schema patterns for the
OpenAPI document (docs/decisions/0018-api-contract.md), built from the rules' own constants.

Tools read a document's patterns with different engines (ECMA-262, Python's re, Rust's regex),
so these keep to what all of them read alike: characters, ranges and negated classes, no
`\\s`, `\\d`, `\\w`, `\\p{..}` or lookaround. That cannot name "a letter of any script" or "an
invisible character", so on characters the patterns are exact for ASCII and let every other
character through, leaving it to the service, which names the characters it refuses.
test_patterns.py checks both halves against the functions that apply the rules."""

import string

from billbridge.clients.names import ALLOWED_PUNCTUATION
from billbridge.invoicing.models import MAX_NUMBER_LENGTH
from billbridge.invoicing.numbers import AUTO_GENERATE

# What Python's str.strip() removes, which is how the services tell blank text.
WHITESPACE = r"\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^{WHITESPACE}\x00][^\x00]*$"


def _class(characters) -> str:
    """The inside of a class holding `characters`, in runs spelled as every engine reads them."""
    codes = sorted(map(ord, characters))
    runs, start = [], 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[i - 1] + 1:
            first, last = codes[start], codes[i - 1]
            runs.append(rf"\x{first:02x}" + (rf"-\x{last:02x}" if last > first else ""))
            start = i
    return "".join(runs)


def _ascii_or_beyond(allowed: str) -> str:
    """A class of the `allowed` ASCII characters and of all from U+00A1 on, written negated:
    hypothesis, which generates the examples of schemathesis, builds a class of 65,000
    characters in a quarter of a second, each time it meets one."""
    return f"[^{_class(c for c in map(chr, range(0xA1)) if c not in allowed)}]"


ASCII_CONTROLS = r"\x00-\x1f\x7f"
_NAME_REFUSED = _class(
    c for c in map(chr, range(0x21, 0x7F)) if not c.isalnum() and c not in ALLOWED_PUNCTUATION
)
# No space at either end; QuickBooks' characters in between (billbridge/clients/names.py).
_NAME_EDGE = rf"[^{ASCII_CONTROLS} {_NAME_REFUSED}]"
_NAME_INNER = rf"[^{ASCII_CONTROLS}{_NAME_REFUSED}]"
CLIENT_NAME = rf"^{_NAME_EDGE}(?:{_NAME_INNER}*{_NAME_EDGE})?$"

# Empty, or an address Django's EmailValidator takes, which the model checks: all but an IP
# address in brackets ("a@[10.0.0.1]"), which no one types for a client. Django's domains take
# U+00A1 to U+FFFF; the pattern lets the rarer characters beyond through too.
_EMAIL_LOCAL = (
    r"(?:[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*"
    r'|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-\[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")'
)
_ALNUM = string.ascii_letters + string.digits
_HOST = _ascii_or_beyond(_ALNUM)
_LABEL = rf"{_HOST}(?:{_ascii_or_beyond(_ALNUM + '-')}{{0,61}}{_HOST})?"
_TOP = _ascii_or_beyond(string.ascii_letters)
_PUNYCODE = r"[Xx][Nn]--[0-9A-Za-z]{1,59}"
_TOP_LABEL = rf"{_TOP}{_ascii_or_beyond(string.ascii_letters + '-')}{{0,61}}{_TOP}|{_PUNYCODE}"
EMAIL = rf"^(?:{_EMAIL_LOCAL}@(?:{_LABEL}(?:\.{_LABEL})*\.(?:{_TOP_LABEL})|localhost))?$"

# A client's billing emails (clients/models.validate_email_list): up to ten addresses split by
# commas or semicolons, blanks around them. A quoted local part could hold a comma, so a list's
# addresses are the plain kind only.
_DOT_ATOM = r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*"
_LISTED = rf"{_DOT_ATOM}@(?:{_LABEL}(?:\.{_LABEL})*\.(?:{_TOP_LABEL})|localhost)"
EMAIL_LIST = rf"^[\s,;]*(?:{_LISTED}(?:\s*[,;][\s,;]*{_LISTED}){{0,9}})?[\s,;]*$"

# Once trimmed: 1 to 21 characters, no control character, no space at either end
# (billbridge/invoicing/numbers.py; NOT_AUTO_GENERATE is the rule's other half).
_NUMBER_EDGE = rf"[^{WHITESPACE}\x00-\x1f\x7f]"
INVOICE_NUMBER = (
    rf"^[{WHITESPACE}]*{_NUMBER_EDGE}(?:[^\x00-\x1f\x7f]{{0,{MAX_NUMBER_LENGTH - 2}}}"
    rf"{_NUMBER_EDGE})?[{WHITESPACE}]*$"
)
_AUTO_GENERATE = "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in AUTO_GENERATE)
NOT_AUTO_GENERATE = {"not": {"pattern": rf"^[{WHITESPACE}]*{_AUTO_GENERATE}[{WHITESPACE}]*$"}}

# Decimal strings as the services take them; pydantic drops trailing zeros before counting
# decimals, so "2.500" is a quantity with two.
QUANTITY = r"^(?:[1-9][0-9]{0,9}(?:\.[0-9]{1,2}0*)?|0\.(?:0[1-9]|[1-9][0-9]?)0*)$"
UNIT_PRICE = r"^(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,2}0*)?$"
TAX_RATE = r"^(?:100(?:\.0+)?|(?:0|[1-9][0-9]?)(?:\.[0-9]{1,3}0*)?)$"
