"""The SOQL subset the sandbox answers: what the extractor and the sync engine send.

SELECT f1, f2 FROM Object [WHERE cond [AND cond ...]] [ORDER BY f [ASC|DESC]] [LIMIT n]
where cond is `field op literal` (op: = != <> < <= > >=), `field IN (literals)` or
`field NOT IN (literals)`; literals: 'text', numbers, true/false/null, dates and datetimes.
Anything else is refused with MALFORMED_QUERY, as Salesforce refuses what it cannot parse.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sandbox.schema import SObject, parse_datetime


class SoqlError(Exception):
    """A query the sandbox refuses; `code` is the Salesforce errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Condition:
    field: str
    op: str  # = != < <= > >= in notin
    value: object  # python value, or list for in / notin


@dataclass
class Query:
    fields: list[str]
    sobject: str
    conditions: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    limit: int | None = None


_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<string>'(?:[^'\\]|\\.)*')"
    r"|(?P<op><=|>=|!=|<>|=|<|>)"
    r"|(?P<punct>[(),])"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_.]*)"
    r")"
)
_KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "order",
    "by",
    "asc",
    "desc",
    "limit",
    "in",
    "not",
    "nulls",
    "first",
    "last",
    "true",
    "false",
    "null",
    "offset",
    "like",
}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SoqlError(
                "MALFORMED_QUERY", f"unexpected token at position {pos}: {text[pos : pos + 20]!r}"
            )
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def _literal(kind: str, text: str) -> object:
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "number":
        return float(text) if "." in text else int(text)
    if kind == "datetime":
        return parse_datetime(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    raise SoqlError("MALFORMED_QUERY", f"unexpected literal {text!r}")


def parse(text: str) -> Query:
    tokens = _tokenize(text)
    pos = 0

    def peek(offset: int = 0) -> tuple[str, str] | None:
        return tokens[pos + offset] if pos + offset < len(tokens) else None

    def take_keyword(word: str) -> bool:
        nonlocal pos
        tok = peek()
        if tok and tok[0] == "ident" and tok[1].lower() == word:
            pos += 1
            return True
        return False

    def expect_ident() -> str:
        nonlocal pos
        tok = peek()
        if not tok or tok[0] != "ident" or tok[1].lower() in _KEYWORDS:
            raise SoqlError("MALFORMED_QUERY", f"expected a field or object name near token {pos}")
        pos += 1
        return tok[1]

    if not take_keyword("select"):
        raise SoqlError("MALFORMED_QUERY", "query must start with SELECT")
    fields = [expect_ident()]
    while peek() == ("punct", ","):
        pos += 1
        fields.append(expect_ident())
    if not take_keyword("from"):
        raise SoqlError("MALFORMED_QUERY", "expected FROM after the field list")
    query = Query(fields=fields, sobject=expect_ident())
    if take_keyword("where"):
        while True:
            fname = expect_ident()
            tok = peek()
            if tok and tok[0] == "op":
                pos += 1
                value_tok = peek()
                if not value_tok or value_tok[0] in ("op", "punct"):
                    raise SoqlError("MALFORMED_QUERY", f"missing value after {fname} {tok[1]}")
                pos += 1
                op = "!=" if tok[1] == "<>" else tok[1]
                query.conditions.append(Condition(fname, op, _literal(*value_tok)))
            else:
                negate = take_keyword("not")
                if not take_keyword("in") or peek() != ("punct", "("):
                    raise SoqlError("MALFORMED_QUERY", f"unsupported condition on {fname}")
                pos += 1
                values: list[object] = []
                while True:
                    value_tok = peek()
                    if not value_tok or value_tok[0] in ("op", "punct"):
                        raise SoqlError("MALFORMED_QUERY", f"bad IN list for {fname}")
                    values.append(_literal(*value_tok))
                    pos += 1
                    sep = peek()
                    pos += 1
                    if sep == ("punct", ")"):
                        break
                    if sep != ("punct", ","):
                        raise SoqlError("MALFORMED_QUERY", f"bad IN list for {fname}")
                query.conditions.append(Condition(fname, "notin" if negate else "in", values))
            if take_keyword("and"):
                continue
            if peek() and peek()[1].lower() == "or":
                raise SoqlError(
                    "MALFORMED_QUERY", "OR is not supported by the sandbox's SOQL subset"
                )
            break
    if take_keyword("order"):
        if not take_keyword("by"):
            raise SoqlError("MALFORMED_QUERY", "expected BY after ORDER")
        query.order_by = expect_ident()
        if take_keyword("desc"):
            query.descending = True
        else:
            take_keyword("asc")
        if take_keyword("nulls"):
            take_keyword("first") or take_keyword("last")
    if take_keyword("limit"):
        tok = peek()
        if not tok or tok[0] != "number" or "." in tok[1] or tok[1].startswith("-"):
            raise SoqlError("MALFORMED_QUERY", "LIMIT needs a non-negative integer")
        query.limit = int(tok[1])
        pos += 1
    if pos != len(tokens):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token {tokens[pos][1]!r}")
    return query


def resolve_fields(query: Query, sobject: SObject) -> list[str]:
    """Canonical field names; unknown ones raise INVALID_FIELD like Salesforce."""
    names = []
    for name in [*query.fields, *(c.field for c in query.conditions)] + (
        [query.order_by] if query.order_by else []
    ):
        fld = sobject.field(name)
        if fld is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"\n{name}\n^\nERROR at Row:1:Column:1\nNo such column '{name}' on entity "
                f"'{sobject.name}'. If you are attempting to use a custom field, be sure to append "
                "the '__c' after the custom field name.",
            )
        names.append(fld.name)
    return names[: len(query.fields)]


def _comparable(value: object, field_type: str) -> object:
    if value is None:
        return None
    if field_type == "datetime":
        # Salesforce ignores milliseconds when it compares datetimes in SOQL
        if isinstance(value, dt.datetime):
            return value.replace(microsecond=0)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        parsed = parse_datetime(str(value))
        return parsed.replace(microsecond=0) if isinstance(parsed, dt.datetime) else parsed
    if field_type == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    if field_type in ("double", "currency", "percent", "int"):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    if field_type == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return str(value).lower()  # text comparisons are case-insensitive in SOQL


def matches(record: dict, conditions: list[Condition], sobject: SObject) -> bool:
    for cond in conditions:
        fld = sobject.field(cond.field)
        assert fld is not None  # resolve_fields ran first
        actual = _comparable(record.get(fld.name), fld.type)
        if cond.op in ("in", "notin"):
            wanted = {_comparable(v, fld.type) for v in cond.value}  # type: ignore[union-attr]
            if (actual in wanted) != (cond.op == "in"):
                return False
            continue
        expected = _comparable(cond.value, fld.type)
        if cond.op == "=":
            ok = actual == expected
        elif cond.op == "!=":
            ok = actual != expected
        elif actual is None or expected is None:
            ok = False
        else:
            try:
                ok = {
                    "<": actual < expected,
                    "<=": actual <= expected,
                    ">": actual > expected,
                    ">=": actual >= expected,
                }[cond.op]
            except TypeError:
                ok = False
        if not ok:
            return False
    return True


def sort_key(sobject: SObject, field_name: str):
    """ASC puts nulls first, as Salesforce does by default."""
    fld = sobject.field(field_name)
    assert fld is not None

    def key(record: dict) -> tuple:
        value = _comparable(record.get(fld.name), fld.type)
        return (value is not None, value if value is not None else 0)

    return key
