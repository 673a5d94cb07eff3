"""The query language subset QBO accepts (QBO.md §2.5):

    SELECT * | COUNT(*) FROM <Entity> [WHERE <cond> [AND <cond>]...]
        [ORDERBY <field> [ASC|DESC][, ...]] [STARTPOSITION n] [MAXRESULTS n]

<cond> is `field op literal` (op: = < > <= >= !=), `field IN (literals)` or `field LIKE 'pat'`
(% at either end). No OR, no joins, no grouping. Strings are single-quoted with \\' and \\\\
escapes. String comparisons ignore case (UNCONFIRMED, QBO.md open question 5).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from qbo_emulator import faults
from qbo_emulator.entities import entity_type
from qbo_emulator.entities.names import name_key
from qbo_emulator.store import clone

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_CAP = 1000
TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
KEYWORDS = {"select", "from", "where", "and", "or", "in", "like", "orderby", "order", "by", "asc",
            "desc", "startposition", "maxresults", "count", "true", "false", "not"}  # fmt: skip


@dataclass
class Token:
    kind: str  # string | number | op | punct | word | keyword | end
    value: Any
    column: int
    text: str = ""  # as written, for error messages


@dataclass
class Condition:
    field: str
    op: str  # = < > <= >= != in like
    value: Any


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


def tokenize(sql: str) -> list[Token]:
    tokens, position = [], 0
    sql = sql.rstrip().rstrip(";")
    while position < len(sql):
        if sql[position:].strip() == "":
            break
        match = TOKEN.match(sql, position)
        if match is None or match.end() == position:
            column = position + len(sql[position:]) - len(sql[position:].lstrip()) + 1
            raise faults.query_parse_error(
                f"Invalid content. Lexical error at line 1, column {column}. Encountered: "
                f'"{sql[column - 1 : column]}"'
            )
        kind = match.lastgroup
        text = match.group(kind)
        column = match.start(kind) + 1
        if kind == "string":
            tokens.append(Token("string", _unescape(text[1:-1]), column, text))
        elif kind == "number":
            tokens.append(Token("number", Decimal(text), column, text))
        elif kind == "word" and text.lower() in KEYWORDS:
            tokens.append(Token("keyword", text.lower(), column, text))
        else:
            tokens.append(Token(kind, text, column, text))
        position = match.end()
    tokens.append(Token("end", None, len(sql) + 1))
    return tokens


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", r"\1", body)


class Parser:
    def __init__(self, sql: str) -> None:
        self.tokens = tokenize(sql)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token | None = None):
        token = token or self.peek()
        shown = "<EOF>" if token.kind == "end" else token.text
        raise faults.query_parse_error(
            f'Encountered " "{shown}" "{shown} "" at line 1, column {token.column}.'
        )

    def expect(self, kind: str, value: str | None = None) -> Token:
        token = self.peek()
        if token.kind != kind or (value is not None and token.value != value):
            self.fail(token)
        return self.take()

    def parse(self) -> Query:
        self.expect("keyword", "select")
        count = False
        if self.peek().kind == "keyword" and self.peek().value == "count":
            self.take()
            self.expect("punct", "(")
            self.expect("punct", "*")
            self.expect("punct", ")")
            count = True
        else:
            self._projection()
        self.expect("keyword", "from")
        query = Query(entity=self.expect("word").value, count=count)
        if self._keyword("where"):
            query.conditions.append(self._condition())
            while self._keyword("and"):
                query.conditions.append(self._condition())
        if self._keyword("orderby") or (self._keyword("order") and self.expect("keyword", "by")):
            query.order.append(self._order_item())
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.take()
                query.order.append(self._order_item())
        for _ in range(2):
            if self._keyword("startposition"):
                query.start = max(1, int(self.expect("number").value))
            elif self._keyword("maxresults"):
                query.max_results = min(MAX_RESULTS_CAP, max(0, int(self.expect("number").value)))
        if self.peek().kind != "end":
            self.fail()
        return query

    def _keyword(self, word: str) -> bool:
        if self.peek().kind == "keyword" and self.peek().value == word:
            self.take()
            return True
        return False

    def _projection(self) -> None:
        """QBO returns whole objects whatever is selected; `*, Sku` and field lists parse."""
        while True:
            token = self.peek()
            if token.kind == "punct" and token.value == "*" or token.kind == "word":
                self.take()
            else:
                self.fail(token)
            if self.peek().kind == "punct" and self.peek().value == ",":
                self.take()
                continue
            return

    def _condition(self) -> Condition:
        name = self.expect("word").value
        token = self.take()
        if token.kind == "op":
            return Condition(name, "!=" if token.value == "<>" else token.value, self._literal())
        if token.kind == "keyword" and token.value == "in":
            self.expect("punct", "(")
            values = [self._literal()]
            while self.peek().kind == "punct" and self.peek().value == ",":
                self.take()
                values.append(self._literal())
            self.expect("punct", ")")
            return Condition(name, "in", values)
        if token.kind == "keyword" and token.value == "like":
            pattern = self.expect("string").value
            return Condition(name, "like", pattern)
        self.fail(token)

    def _literal(self) -> Any:
        token = self.take()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false"):
            return token.value == "true"
        self.fail(token)

    def _order_item(self) -> tuple[str, bool]:
        name = self.expect("word").value
        descending = False
        if self._keyword("desc"):
            descending = True
        else:
            self._keyword("asc")
        return name, descending


def parse(sql: str) -> Query:
    return Parser(sql).parse()


# -- evaluation ----------------------------------------------------------------------------------
def field_values(record: dict, path: str) -> list[Any]:
    """The values at `path`; a list on the way (Attachable's AttachableRef) gives one per item,
    so a condition holds when any item meets it. A key missing as written is looked up ignoring
    case: QBO's own examples write `EntityRef.Type` for the `type` field."""
    values: list[Any] = [record]
    for part in path.split("."):
        found = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, dict):
                    continue
                if part in item:
                    found.append(item[part])
                else:
                    key = next((k for k in item if k.casefold() == part.casefold()), None)
                    if key is not None:
                        found.append(item[key])
        values = found
    return [_scalar(value) for value in values]


def _scalar(value: Any) -> Any:
    if isinstance(value, dict) and "value" in value:
        return value["value"]  # references compare by Id
    if isinstance(value, dict) and "Address" in value:
        return value["Address"]  # e-mail addresses compare by address
    return value


def field_value(record: dict, path: str) -> Any:
    values = field_values(record, path)
    return values[0] if values else None


def _comparable(stored: Any, literal: Any) -> tuple[Any, Any] | None:
    """Bring a stored value and a query literal to one type, or None if they cannot compare."""
    if stored is None:
        return None
    if isinstance(literal, bool) or isinstance(stored, bool):
        if isinstance(literal, str):
            literal = literal.lower() == "true"
        return (stored, literal) if isinstance(stored, bool) else None
    if isinstance(stored, (Decimal, int)):
        try:
            return Decimal(stored), Decimal(str(literal))
        except ArithmeticError:
            return None
    stored, literal = str(stored), str(literal)
    if len(stored) > 10 and "T" in stored:  # a timestamp such as MetaData.LastUpdatedTime
        try:
            when = datetime.fromisoformat(literal)
            stored_when = datetime.fromisoformat(stored)
            if when.tzinfo is None:
                when = when.replace(tzinfo=stored_when.tzinfo)
            return stored_when, when
        except ValueError:
            pass
    return stored.casefold(), literal.casefold()


def matches(record: dict, condition: Condition) -> bool:
    return any(_matches(stored, condition) for stored in field_values(record, condition.field))


def _matches(stored: Any, condition: Condition) -> bool:
    if condition.op == "in":
        return any(_compare(stored, "=", value) for value in condition.value)
    if condition.op == "like":
        if stored is None:
            return False
        pattern = "^" + ".*".join(re.escape(p) for p in condition.value.split("%")) + "$"
        return re.match(pattern, str(stored), re.IGNORECASE | re.DOTALL) is not None
    return _compare(stored, condition.op, condition.value)


def _compare(stored: Any, op: str, literal: Any) -> bool:
    pair = _comparable(stored, literal)
    if pair is None:
        return False
    left, right = pair
    if op not in ("=", "!=") and all(isinstance(v, str) and v.isdigit() for v in pair):
        # Ids are numbers held in strings: `Id > '9'` includes Id 10, as ORDERBY Id sorts them.
        left, right = int(left), int(right)
    try:
        return {"=": left == right, "!=": left != right, "<": left < right, ">": left > right,
                "<=": left <= right, ">=": left >= right}[op]  # fmt: skip
    except TypeError:
        return False


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, Decimal)):
        return (1, value)
    text = str(value)
    if text.isdigit():
        return (1, int(text))
    return (2, text.casefold())


def run_query(company, sql: str) -> dict:
    """Evaluate `sql` against `company` (caller holds the lock); returns the QueryResponse."""
    query = parse(sql)
    kind = entity_type(query.entity, "query") if _known(query.entity) else None
    if kind is None:
        raise faults.query_validation_error(f"Invalid context declaration : {query.entity}")
    for name in [c.field for c in query.conditions] + [name for name, _ in query.order]:
        if name not in kind.queryable:
            raise faults.query_validation_error(f"property '{name}' is not queryable")
    conditions = list(query.conditions)
    if kind.name_list and not any(c.field == "Active" for c in conditions):
        conditions.append(Condition("Active", "=", True))  # inactive names are hidden by default
    rows = [
        r for r in _candidates(company, kind, conditions) if all(matches(r, c) for c in conditions)
    ]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=lambda r: _sort_key(r.get("Id")))
    for name, descending in reversed(query.order):
        rows.sort(key=lambda r, n=name: _sort_key(field_value(r, n)), reverse=descending)
    page = rows[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    return {kind.name: [clone(r) for r in page], "startPosition": query.start,
            "maxResults": len(page)}  # fmt: skip


def _known(name: str) -> bool:
    try:
        entity_type(name, "read", internal=True)
    except faults.QboFault:
        return False
    return True


def _candidates(company, kind, conditions: list[Condition]):
    """Use a unique index for `Id`, `DocNumber`, `DisplayName` or `Name` compared with `=` or
    `IN` instead of scanning the table. Name keys fold case and spaces more than the query's
    comparison does, so what they miss cannot match; DocNumber keys keep case, which the
    query ignores, so a DocNumber miss still scans."""
    table = company.tables[kind.name]
    for condition in conditions:
        if condition.op == "=":
            values = [condition.value]
        elif condition.op == "in":
            values = list(condition.value)
        else:
            continue
        if not all(isinstance(v, (str, Decimal)) for v in values):
            continue
        values = [str(v) for v in values]
        if condition.field == "Id":
            return [table[v] for v in dict.fromkeys(values) if v in table]
        index = {"DocNumber": "DocNumber:" + kind.name, "Name": kind.name + ".Name",
                 "DisplayName": "DisplayName"}.get(condition.field)  # fmt: skip
        if not index or index not in company.indexes:
            continue
        by_name = condition.field != "DocNumber"
        holders = set()
        for value in values:
            found = company.index_lookup(index, name_key(value) if by_name else value)
            if not found and not by_name:
                holders = None  # a DocNumber differing only in case: scan
                break
            holders |= found
        if holders is not None:
            return [table[i] for e, i in sorted(holders) if e == kind.name and i in table]
    return table.values()
