"""The sandbox's SOQL subset parser and evaluator, without a server (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox import soql
from sandbox.schema import load_schema
from sandbox.sf_records import id18

LEAD = load_schema().sobject("Lead")


def test_parse_full_query():
    q = soql.parse(
        "select Id, Email FROM Lead WHERE SystemModstamp >= 2026-01-01T09:00:00+09:00 "
        "AND IsDeleted = false AND Company IN ('O\\'Neil', 'Acme') ORDER BY SystemModstamp DESC "
        "LIMIT 10"
    )
    assert q.fields == ["Id", "Email"] and q.sobject == "Lead"
    assert q.conditions[0].value == dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
    assert q.conditions[1].value is False
    assert q.conditions[2].op == "in" and q.conditions[2].value == ["O'Neil", "Acme"]
    assert (q.order_by, q.descending, q.limit) == ("SystemModstamp", True, 10)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FROM Lead",
        "SELECT Id Lead",
        "SELECT Id FROM Lead WHERE Email = 'a' OR Email = 'b'",
        "SELECT Id FROM Lead LIMIT -1",
        "SELECT Id FROM Lead WHERE",
    ],
)
def test_malformed_queries_are_refused(text):
    with pytest.raises(soql.SoqlError) as err:
        soql.parse(text)
    assert err.value.code == "MALFORMED_QUERY"


def test_matches_compares_by_field_type():
    record = {
        "Id": "00Q1",
        "SystemModstamp": "2026-03-02T01:04:05.000+0000",
        "Email": "A@X.com",
        "NumberOfEmployees": 50,
        "ConvertedDate": None,
    }
    after = soql.parse("SELECT Id FROM Lead WHERE SystemModstamp > 2026-03-02T01:04:04Z")
    at = soql.parse("SELECT Id FROM Lead WHERE SystemModstamp > 2026-03-02T01:04:05Z")
    assert soql.matches(record, after.conditions, LEAD)
    assert not soql.matches(record, at.conditions, LEAD)
    text = soql.parse("SELECT Id FROM Lead WHERE Email = 'a@x.com' AND NumberOfEmployees >= 50")
    assert soql.matches(record, text.conditions, LEAD)  # SOQL text comparison ignores case
    nulls = soql.parse("SELECT Id FROM Lead WHERE ConvertedDate = null")
    assert soql.matches(record, nulls.conditions, LEAD)


def test_case_safe_id_suffix():
    # Salesforce's documented example: 001A0000006Vm9r -> 001A0000006Vm9rIAC
    assert id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
