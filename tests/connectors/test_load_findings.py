"""The review's findings 2-5 and 8, each on a small real-shaped file that failed before.

Inputs are shaped as the vendors write them: a Marketo Bulk Extract leads CSV (``null`` for an
empty field), a GA4 BigQuery-export line (null fields left out, the documented nested records
of a real property), a Meta Insights page exported at ad-set level.
"""

from __future__ import annotations

import json
from pathlib import Path

from test_load_bad_input import manifest, quarantine
from test_load_helpers import MARKETO_LEAD_HEADER, csv_text, ga4_event, marketo_lead, rows, write

from connectors.load import load_all, load_source

LEADS = "marketo/leads"
# A lead as Marketo's bulk export writes it: every empty field is the literal text null.
MARKETO_REAL = (
    ",".join(MARKETO_LEAD_HEADER)
    + "\n"
    + "100123,null,Taro,Yamada,株式会社サンプル,null,null,null,null,null,Japan,Web,null,false,"
    "null,null,null,null,null,null,2026-10-01T01:02:03Z,2026-10-30T04:05:06Z\n"
    + "100124,hanako@example.co.jp,Hanako,Sato,null,課長,03-1234-5678,Manufacturing,250,"
    "sample.co.jp,Japan,Webinar,35,false,00Q5g000000002qEAA,null,google,cpc,brand,"
    "Cj0KCQ,2026-10-02T01:02:03Z,2026-10-30T04:05:06Z\n"
)


def test_marketo_null_literals_are_empty_values(extracts: Path, warehouse: Path):
    """Finding 3: before, lead 100123 was quarantined ("cannot parse null as BIGINT") and
    ``email = 'null'`` would have been kept as text."""
    write(extracts / f"{LEADS}/2026-10-30.csv", MARKETO_REAL)
    report = load_source(warehouse, extracts, "marketo")
    assert report.ok and report.rows_quarantined == 0, report.summary()
    assert rows(
        warehouse,
        "SELECT id, email, numberOfEmployees, leadScore, company FROM raw.marketo__leads "
        "ORDER BY id",
    ) == [
        ("100123", None, None, None, "株式会社サンプル"),
        ("100124", "hanako@example.co.jp", 250, 35, None),
    ]


def test_a_file_whose_rows_all_fail_fails_with_the_reasons(extracts: Path, warehouse: Path):
    """Finding 2: 50 of 50 rows with a US date format went to quarantine and the file showed
    ``loaded``, ok=True. Now it fails: share, the commonest problems, an example row each."""
    leads = [
        marketo_lead(str(i), createdAt=f"10/{1 + i % 28:02d}/2026 09:00", updatedAt="10/30/2026")
        for i in range(1, 51)
    ]
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text(leads))
    write(extracts / f"{LEADS}/2026-10-31.csv", csv_text([marketo_lead("77")]))
    report = load_source(warehouse, extracts, "marketo")
    [failure] = report.failures
    assert failure.file == f"{LEADS}/2026-10-30.csv"
    assert "50 of 50 rows (100.0%) break the contract" in failure.error
    assert "above max_quarantined_share 5% of leads.yml" in failure.error
    assert "createdAt, updatedAt (50 rows; e.g. row 1: createdAt: cannot parse 10/02/2026" in (
        failure.error
    )
    status, rows_in, loaded, quarantined, _, _ = manifest(warehouse, failure.file)
    assert (status, rows_in, loaded, quarantined) == ("failed", 0, 0, 0)
    assert quarantine(warehouse, "marketo__leads") == []  # nothing of the file was written
    assert rows(warehouse, "SELECT id FROM raw.marketo__leads") == [("77",)]


def test_a_stray_bad_row_in_a_small_file_stays_a_row_problem(extracts: Path, warehouse: Path):
    """Tolerance: 1 bad row of 4 (25 %) is not a format change; the file loads."""
    leads = [marketo_lead("1"), marketo_lead("2", createdAt="bad"), marketo_lead("3"),
             marketo_lead("4")]  # fmt: skip
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text(leads))
    report = load_source(warehouse, extracts, "marketo")
    assert report.ok and report.rows_quarantined == 1


def test_a_short_csv_line_is_one_quarantine_row_with_its_line(extracts: Path, warehouse: Path):
    """Finding 4: a 4-field line in the 22-column leads file became 18 quarantine rows
    (rows_in 21 for a 4-record file), and the good record after it shared _row_number 2.

    Records: 1 good (line 2), 2 short (line 3), 3 and 4 good (lines 4 and 5).
    """
    good = csv_text([marketo_lead("1"), marketo_lead("3"), marketo_lead("4")]).splitlines()
    text = "\n".join([good[0], good[1], "2,short@x.jp,Taro,Yamada", good[2], good[3]]) + "\n"
    write(extracts / f"{LEADS}/2026-10-30.csv", text)
    report = load_source(warehouse, extracts, "marketo")
    assert report.ok, report.summary()
    assert manifest(warehouse, f"{LEADS}/2026-10-30.csv")[:4] == ("loaded", 4, 3, 1)
    [(file, row, field, reason)] = quarantine(warehouse, "marketo__leads")
    assert (file, row) == (f"{LEADS}/2026-10-30.csv", 2)
    assert reason.startswith("malformed CSV row (line 3): Expected Number of Columns: 22 Found: 4")
    assert field.startswith("company, title, phone")  # the missing fields, named once
    assert rows(
        warehouse, "SELECT id, _row_number FROM raw.marketo__leads ORDER BY _row_number"
    ) == [("1", 1), ("3", 3), ("4", 4)]


def test_a_missing_expected_column_fails_the_file_naming_it(extracts: Path, warehouse: Path):
    """Finding 5: a leads file without ``email`` loaded without a word, every e-mail NULL."""
    header = [h for h in MARKETO_LEAD_HEADER if h != "email"]
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1")], header))
    [failure] = load_source(warehouse, extracts, "marketo").failures
    assert "missing required column(s) ['email']" in failure.error


def test_a_legitimately_omitted_column_is_drift_of_its_own_kind(extracts: Path, warehouse: Path):
    """The instance has no ``utm_*__c`` custom fields: the file loads, the absence is noted."""
    header = [h for h in MARKETO_LEAD_HEADER if not h.startswith("utm_")]
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1")], header))
    assert load_source(warehouse, extracts, "marketo").ok
    assert rows(warehouse, "SELECT column_name, change FROM raw._schema_drift ORDER BY 1") == [
        ("utm_campaign__c", "missing_column"),
        ("utm_medium__c", "missing_column"),
        ("utm_source__c", "missing_column"),
    ]


def _real_ga4_line(n: int, **nested: object) -> dict:
    """A GA4 export line: null fields left out; the nested records carry what a real
    property sends (``device.operating_system``, ``geo.region``, ``value.float_value``)."""
    ev = ga4_event(1793491199000000 + n, user_pseudo_id=f"c{n}")
    del ev["user_id"], ev["collected_traffic_source"]
    ev.update(nested)
    return ev


def test_new_nested_keys_are_drift_and_kept(extracts: Path, warehouse: Path):
    """Finding 5: keys inside nested records vanished without a drift row. Now each becomes
    a drift row, the record's whole nested value is kept in ``_extra``, and a documented
    field (``float_value``) is a column. Line 1 is plain, line 2 carries the new keys."""
    plain = _real_ga4_line(1, geo={"country": "Japan", "city": "Tokyo"})
    rich = _real_ga4_line(
        2,
        device={"category": "mobile", "operating_system": "iOS"},
        geo={"country": "Japan", "city": "Osaka", "region": "Osaka"},
        event_params=[{"key": "engagement", "value": {"float_value": 1.5}}],
    )
    write(
        extracts / "ga4/events_20261031.jsonl",
        json.dumps(plain) + "\n" + json.dumps(rich) + "\n",
    )
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert rows(warehouse, "SELECT column_name, change FROM raw._schema_drift ORDER BY 1") == [
        ("device.operating_system", "extra_nested_key"),
        ("geo.region", "extra_nested_key"),
    ]
    assert rows(
        warehouse,
        "SELECT _row_number, device.category, _extra->>'$.device.operating_system', "
        "_extra->>'$.geo.region', event_params[1].value.float_value "
        "FROM raw.ga4__events ORDER BY 1",
    ) == [(1, "desktop", None, None, None), (2, "mobile", "iOS", "Osaka", 1.5)]


def test_ga4_lines_without_null_fields_are_normal(extracts: Path, warehouse: Path):
    """A day where some lines carry ``user_id`` and others leave it out: no drift at all."""
    lines = [_real_ga4_line(1), {**_real_ga4_line(2), "user_id": "abc"}]
    write(extracts / "ga4/events_20261031.jsonl", "\n".join(map(json.dumps, lines)) + "\n")
    assert load_source(warehouse, extracts, "ga4").ok
    assert rows(warehouse, "SELECT count(*) FROM raw._schema_drift") == [(0,)]


def test_a_key_on_one_line_in_the_middle_of_a_file_is_found(extracts: Path, warehouse: Path):
    """Finding 5: keys were sampled from 30 head and 30 tail records only."""
    lines = [_real_ga4_line(n) for n in range(1, 201)]
    lines[99]["new_field"] = "middle"  # line 100 of 200
    write(extracts / "ga4/events_20261031.jsonl", "\n".join(map(json.dumps, lines)) + "\n")
    assert load_source(warehouse, extracts, "ga4").ok
    assert rows(warehouse, "SELECT column_name, change FROM raw._schema_drift") == [
        ("new_field", "extra_column")
    ]
    assert rows(
        warehouse, "SELECT _row_number, _extra->>'new_field' FROM raw.ga4__events "
        "WHERE _extra IS NOT NULL",
    ) == [(100, "middle")]  # fmt: skip


def _meta_row(adset: str, clicks: str, **extra: object) -> dict:
    return {
        "date_start": "2026-10-31", "date_stop": "2026-10-31", "account_id": "101112131415",
        "account_currency": "USD", "campaign_id": "23850000000000001",
        "campaign_name": "Lead Gen - Whitepaper", "adset_id": adset,
        "adset_name": f"Lead Gen | {adset}", "impressions": "900", "clicks": clicks,
        "spend": "12.50", **extra,
    }  # fmt: skip


def test_meta_rows_at_ad_set_grain_are_not_duplicates(extracts: Path, warehouse: Path):
    """Finding 8: keyed on (date_start, campaign_id), an ad-set-level export was quarantined
    as duplicates. Two ad sets of one campaign and day load; ``actions`` may be left out."""
    page = {
        "data": [
            _meta_row("23850000000001001", "30", actions=[{"action_type": "lead", "value": "2"}]),
            _meta_row("23850000000002001", "0"),
        ],
        "paging": {"cursors": {"before": "a", "after": "b"}},
    }
    write(extracts / "ads/meta_ads/insights_2026-10-31.json", json.dumps(page))
    report = load_all(warehouse, extracts)
    assert report.ok and report.rows_quarantined == 0, report.summary()
    assert rows(
        warehouse, "SELECT adset_id, clicks, actions[1].value FROM raw.meta_ads__insights "
        "ORDER BY 1",
    ) == [("23850000000001001", 30, "2"), ("23850000000002001", 0, None)]  # fmt: skip
    # The same ad set twice in one page is still a duplicate.
    page["data"].append(_meta_row("23850000000002001", "5"))
    write(extracts / "ads/meta_ads/insights_2026-11-01.json", json.dumps(page))
    assert load_all(warehouse, extracts).rows_quarantined == 2
