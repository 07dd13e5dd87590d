"""Bad input: every row ends in raw or quarantine with file/row/field/reason, or the file fails
loudly with a message naming it; the other files still load."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from test_load_helpers import (
    MARKETO_LEAD_HEADER,
    csv_text,
    ga4_event,
    marketo_lead,
    rows,
    sf_lead,
    sf_record,
    write,
)

from connectors.load import ContractViolation, load_all, load_source

LEADS = "marketo/leads"


def manifest(warehouse: Path, file: str) -> tuple:
    got = rows(
        warehouse,
        "SELECT status, rows_in, rows_loaded, rows_quarantined, encoding, error "
        "FROM raw._manifest WHERE file = ?",
        [file],
    )
    assert len(got) == 1, got
    return got[0]


def quarantine(warehouse: Path, table: str) -> list[tuple]:
    return rows(
        warehouse,
        f"SELECT _source_file, _row_number, field, reason FROM quarantine.{table} "
        "ORDER BY _source_file, _row_number",
    )


def test_truncated_csv_last_row_quarantined(extracts: Path, warehouse: Path):
    text = csv_text([marketo_lead("1"), marketo_lead("2")])
    write(extracts / f"{LEADS}/2026-10-30.csv", text + '3,"cut@exam')
    load_source(warehouse, extracts, "marketo")
    assert manifest(warehouse, f"{LEADS}/2026-10-30.csv")[:4] == ("loaded", 3, 2, 1)
    [(file, row, field, reason)] = quarantine(warehouse, "marketo__leads")
    assert (file, row, field) == (f"{LEADS}/2026-10-30.csv", 3, "email")
    assert "unterminated quote" in reason


def test_truncated_jsonl_line_quarantined_rest_loaded(extracts: Path, warehouse: Path):
    good = [json.dumps(ga4_event(1793491199000000 + i)) for i in range(3)]
    write(extracts / "ga4/events_20261031.jsonl", "\n".join(good) + "\n" + good[0][:40])
    load_source(warehouse, extracts, "ga4")
    assert manifest(warehouse, "ga4/events_20261031.jsonl")[:4] == ("loaded", 4, 3, 1)
    [(_, row, field, reason)] = quarantine(warehouse, "ga4__events")
    assert (row, field) == (4, "(record)")
    assert "not valid JSON" in reason


def test_truncated_json_page_fails_the_file_only(extracts: Path, warehouse: Path):
    page = json.dumps({"totalSize": 1, "done": True, "records": [sf_lead(1)]})
    write(extracts / "salesforce/Lead/20261031T000000Z-0001.json", page[:-30])
    write(extracts / "salesforce/Lead/20261031T000000Z-0002.json", page.replace("001", "009"))
    report = load_source(warehouse, extracts, "salesforce")
    [failure] = report.failures
    assert failure.file == "salesforce/Lead/20261031T000000Z-0001.json"
    assert "not valid JSON" in failure.error and failure.file in failure.error
    assert manifest(warehouse, failure.file)[0] == "failed"
    assert report.tables["salesforce__lead"].rows_loaded == 1
    with pytest.raises(ContractViolation, match="20261031T000000Z-0001.json"):
        report.raise_for_failures()


def test_shift_jis_csv_is_converted_and_recorded(extracts: Path, warehouse: Path):
    text = csv_text([marketo_lead("1", company="株式会社テスト商事")])
    write(extracts / f"{LEADS}/2026-10-30.csv", text.encode("cp932"))
    load_source(warehouse, extracts, "marketo")
    status, rows_in, loaded, _, encoding, _ = manifest(warehouse, f"{LEADS}/2026-10-30.csv")
    assert (status, rows_in, loaded, encoding) == ("loaded", 1, 1, "cp932")
    assert rows(warehouse, "SELECT company FROM raw.marketo__leads") == [("株式会社テスト商事",)]


def test_utf8_bom_is_stripped(extracts: Path, warehouse: Path):
    text = csv_text([marketo_lead("1")])
    write(extracts / f"{LEADS}/2026-10-30.csv", b"\xef\xbb\xbf" + text.encode())
    report = load_source(warehouse, extracts, "marketo")
    assert report.ok, report.summary()
    assert manifest(warehouse, f"{LEADS}/2026-10-30.csv")[:5] == ("loaded", 1, 1, 0, "utf-8-sig")
    assert rows(warehouse, "SELECT id FROM raw.marketo__leads") == [("1",)]


def test_missing_required_column_fails_with_names(extracts: Path, warehouse: Path):
    header = [h for h in MARKETO_LEAD_HEADER if h != "createdAt"]
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1")], header))
    write(extracts / f"{LEADS}/2026-10-31.csv", csv_text([marketo_lead("2")]))
    report = load_all(warehouse, extracts)
    [failure] = report.failures
    assert failure.file == f"{LEADS}/2026-10-30.csv"
    assert "missing required column(s) ['createdAt']" in failure.error
    assert manifest(warehouse, failure.file)[0] == "failed"
    assert rows(warehouse, "SELECT id FROM raw.marketo__leads") == [("2",)]


def test_extra_column_kept_in_extra_and_reported_as_drift(extracts: Path, warehouse: Path):
    header = [*MARKETO_LEAD_HEADER, "favouriteColour"]
    write(
        extracts / f"{LEADS}/2026-10-30.csv",
        csv_text([marketo_lead("1", favouriteColour="blue")], header),
    )
    report = load_source(warehouse, extracts, "marketo")
    assert report.ok
    assert rows(warehouse, "SELECT _extra->>'favouriteColour' FROM raw.marketo__leads") == [
        ("blue",)
    ]
    assert rows(warehouse, "SELECT table_name, column_name, change FROM raw._schema_drift") == [
        ("marketo__leads", "favouriteColour", "extra_column")
    ]


def test_unparseable_dates_numbers_and_values_are_quarantined(extracts: Path, warehouse: Path):
    write(
        extracts / f"{LEADS}/2026-10-30.csv",
        csv_text(
            [
                marketo_lead("1"),
                marketo_lead("2", createdAt="31/10/2026"),
                marketo_lead("3", numberOfEmployees="lots", unsubscribed="maybe"),
                marketo_lead("4", email=""),  # optional field: empty is fine
            ]
        ),
    )
    page = {"totalSize": 1, "done": True, "records": []}
    opp = sf_record(
        "Opportunity", "006000000000000001", Type="Upsell", Amount="1,000",
        CreatedDate="2026-03-02T01:04:05.000+0000", SystemModstamp="2026-03-02T01:04:05.000+0000",
    )  # fmt: skip
    page["records"] = [opp]
    write(extracts / "salesforce/Opportunity/20261031T000000Z-0001.json", json.dumps(page))
    load_all(warehouse, extracts)
    assert manifest(warehouse, f"{LEADS}/2026-10-30.csv")[:4] == ("loaded", 4, 2, 2)
    q = quarantine(warehouse, "marketo__leads")
    assert [(r[1], r[2]) for r in q] == [(2, "createdAt"), (3, "numberOfEmployees, unsubscribed")]
    assert q[0][3] == "createdAt: cannot parse 31/10/2026 as TIMESTAMPTZ"
    [(_, _, field, reason)] = quarantine(warehouse, "salesforce__opportunity")
    assert field == "Type, Amount"
    assert "Upsell is not an allowed value" in reason and "cannot parse 1,000 as DOUBLE" in reason


def test_duplicate_ids_in_one_file_are_quarantined(extracts: Path, warehouse: Path):
    write(
        extracts / f"{LEADS}/2026-10-30.csv",
        csv_text([marketo_lead("1"), marketo_lead("2"), marketo_lead("1", email="x@y.jp")]),
    )
    load_source(warehouse, extracts, "marketo")
    assert rows(warehouse, "SELECT id FROM raw.marketo__leads") == [("2",)]
    q = quarantine(warehouse, "marketo__leads")
    assert [(r[1], r[2]) for r in q] == [(1, "id"), (3, "id")]
    assert "duplicate key 1 appears 2 times" in q[0][3]


def test_empty_files_are_fine(extracts: Path, warehouse: Path):
    write(extracts / f"{LEADS}/2026-10-29.csv", b"")
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([]))
    write(extracts / "ga4/events_20261030.jsonl", b"")
    report = load_all(warehouse, extracts)
    assert report.ok, report.summary()
    for f in [f"{LEADS}/2026-10-29.csv", f"{LEADS}/2026-10-30.csv", "ga4/events_20261030.jsonl"]:
        assert manifest(warehouse, f)[:4] == ("empty", 0, 0, 0)
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(0,)]


def test_json_that_is_not_the_expected_envelope(extracts: Path, warehouse: Path):
    write(extracts / "ads/meta_ads/insights_2026-10-30.json", json.dumps([{"spend": "1"}]))
    write(extracts / "ads/meta_ads/insights_2026-10-31.json", json.dumps({"elements": []}))
    report = load_source(warehouse, extracts, "meta_ads")
    errors = sorted(f.error for f in report.failures)
    assert errors[0].startswith("ads/meta_ads/insights_2026-10-30.json: not the expected envelope")
    assert "found a JSON ARRAY" in errors[0]
    assert "'data' array; found keys ['elements']" in errors[1]


def test_unknown_format_in_a_source_folder_fails_loudly(extracts: Path, warehouse: Path):
    write(extracts / "salesforce/Lead/export.xml", "<records/>")
    report = load_source(warehouse, extracts, "salesforce")
    [failure] = report.failures
    assert "salesforce/Lead/export.xml: unknown file format" in failure.error


def test_gzip_files_load_like_plain_ones(extracts: Path, warehouse: Path):
    text = "\n".join(json.dumps(ga4_event(1793491199000000 + i)) for i in range(5)) + "\n"
    write(extracts / "ga4/events_20261031.jsonl.gz", gzip.compress(text.encode()))
    write(
        extracts / f"{LEADS}/2026-10-30.csv.gz",
        gzip.compress(csv_text([marketo_lead("1")]).encode()),
    )
    report = load_all(warehouse, extracts)
    assert report.ok, report.summary()
    assert manifest(warehouse, "ga4/events_20261031.jsonl.gz")[:5] == (
        "loaded",
        5,
        5,
        0,
        "gzip+utf-8",
    )
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(1,)]


def test_counts_reconcile_for_every_file(extracts: Path, warehouse: Path):
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1"), marketo_lead("1")]))
    write(extracts / f"{LEADS}/2026-10-31.csv", csv_text([marketo_lead("2", createdAt="x")]))
    write(extracts / "ga4/events_20261031.jsonl", json.dumps(ga4_event(1)) + "\n{oops\n")
    load_all(warehouse, extracts)
    checked = rows(
        warehouse,
        """WITH r AS (SELECT _source_file f, count(*) n FROM raw.marketo__leads GROUP BY 1
                      UNION ALL SELECT _source_file, count(*) FROM raw.ga4__events GROUP BY 1),
                q AS (SELECT _source_file f, count(*) n FROM quarantine.marketo__leads GROUP BY 1
                      UNION ALL
                      SELECT _source_file, count(*) FROM quarantine.ga4__events GROUP BY 1)
           SELECT m.file, m.rows_in, m.rows_loaded, m.rows_quarantined,
                  coalesce(r.n, 0), coalesce(q.n, 0)
           FROM raw._manifest m LEFT JOIN r ON r.f = m.file LEFT JOIN q ON q.f = m.file
           ORDER BY m.file""",
    )
    assert [c[1:] for c in checked] == [(2, 1, 1, 1, 1), (2, 0, 2, 0, 2), (1, 0, 1, 0, 1)]
