"""Helpers that build tiny hand-made extract files for the loader/extractor tests.

A module with a unique name (not ``conftest``) so ``from test_load_helpers import ...`` cannot
pick up another folder's conftest when the whole suite runs.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb

MARKETO_LEAD_HEADER = [
    "id", "email", "firstName", "lastName", "company", "title", "phone", "industry",
    "numberOfEmployees", "website", "country", "leadSource", "leadScore", "unsubscribed",
    "sfdcLeadId", "sfdcContactId", "utm_source__c", "utm_medium__c", "utm_campaign__c",
    "gclid__c", "createdAt", "updatedAt",
]  # fmt: skip


def marketo_lead(lead_id: str, **overrides: str) -> dict[str, str]:
    row = {h: "" for h in MARKETO_LEAD_HEADER}
    row.update(
        id=lead_id,
        email=f"lead{lead_id}@example.co.jp",
        firstName="Taro",
        lastName="Yamada",
        company="株式会社サンプル",
        numberOfEmployees="120",
        country="Japan",
        leadScore="35",
        unsubscribed="false",
        createdAt="2026-03-02T01:04:05Z",
        updatedAt="2026-03-03T09:00:00Z",
    )
    row.update(overrides)
    return row


def csv_text(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    header = header or MARKETO_LEAD_HEADER
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


# A SOQL response carries every selected field, null or not.
SF_LEAD_FIELDS = [
    "Id", "FirstName", "LastName", "Email", "Phone", "Company", "Website", "Title", "Industry",
    "NumberOfEmployees", "LeadSource", "Status", "IsConverted", "ConvertedDate",
    "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId", "HasOptedOutOfEmail",
    "OwnerId", "CreatedDate", "SystemModstamp", "IsDeleted",
]  # fmt: skip


def sf_lead(n: int, **overrides: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "attributes": {"type": "Lead", "url": f"/services/data/v62.0/sobjects/Lead/00Q{n:015d}"},
        **dict.fromkeys(SF_LEAD_FIELDS),
        "Id": f"00Q{n:015d}",
        "FirstName": "Hanako",
        "LastName": "Sato",
        "Email": f"hanako{n}@example.co.jp",
        "Company": "株式会社サンプル",
        "NumberOfEmployees": 250,
        "Status": "Working",
        "IsConverted": False,
        "CreatedDate": "2026-03-02T01:04:05.000+0000",
        "SystemModstamp": f"2026-03-0{2 + n % 7}T10:00:00.000+0000",
        "IsDeleted": False,
    }
    rec.update(overrides)
    return rec


def sf_record(sobject: str, record_id: str, **values: object) -> dict[str, object]:
    """A record of any Salesforce object as a SOQL page carries it: every field of its
    contract (null unless given), ``attributes`` first."""
    from connectors.contracts import load_contracts

    [contract] = [
        c for c in load_contracts("salesforce") if c.file_pattern.split("/")[1] == sobject
    ]
    rec: dict[str, object] = {"attributes": {"type": sobject}}
    rec.update(dict.fromkeys(contract.column_names))
    rec.update(Id=record_id, **values)
    return rec


def sf_page(records: list[dict[str, object]], done: bool = True) -> str:
    return json.dumps({"totalSize": len(records), "done": done, "records": records})


def ga4_event(ts: int, **overrides: object) -> dict[str, object]:
    ev: dict[str, object] = {
        "event_date": "20261031",
        "event_timestamp": str(ts),
        "event_name": "page_view",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": "1793491"}},
            {"key": "page_location", "value": {"string_value": "https://x.example/?gclid=abc"}},
        ],
        "user_pseudo_id": "111.222",
        "user_id": None,
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "collected_traffic_source": None,
        "device": {"category": "desktop"},
        "geo": {"country": "Japan", "city": "Tokyo"},
    }
    ev.update(overrides)
    return ev


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
