"""Multi-file batches: one reader call per chunk must still give every record its own file and
line, flag duplicate keys per file, report drift per file and isolate files that break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_load_bad_input import manifest, quarantine
from test_load_helpers import csv_text, ga4_event, marketo_lead, rows, write

import connectors.load.loader
from connectors.load import load_source

LEADS = "marketo/leads"
TS = 1793491199000000


def ga4_line(tag: str, n: int, **overrides: object) -> str:
    """One GA4 event line whose user_pseudo_id names its file tag and 1-based line number."""
    return json.dumps(ga4_event(TS + n, user_pseudo_id=f"{tag}-{n}", **overrides))


def ga4_file(extracts: Path, day: str, lines: list[str]) -> str:
    rel = f"ga4/events_{day}.jsonl"
    write(extracts / rel, "\n".join(lines) + "\n")
    return rel


# file day → (number of lines, 1-based line with a non-numeric event_timestamp)
BATCH = {"20261029": (4, 1), "20261030": (5, 3), "20261031": (3, 3)}


def raw_positions(warehouse: Path) -> list[tuple]:
    """(file, _row_number, user_pseudo_id) of every raw GA4 row, in file and line order."""
    return rows(
        warehouse,
        "SELECT _source_file, _row_number, user_pseudo_id FROM raw.ga4__events "
        "ORDER BY _source_file, _row_number",
    )


def write_batch_with_bad_timestamps(extracts: Path) -> None:
    for day, (count, bad) in BATCH.items():
        lines = [
            ga4_line(day, n, event_timestamp="abc") if n == bad else ga4_line(day, n)
            for n in range(1, count + 1)
        ]
        ga4_file(extracts, day, lines)


def assert_batch_positions(warehouse: Path) -> None:
    q = quarantine(warehouse, "ga4__events")
    assert [r[:3] for r in q] == [
        (f"ga4/events_{day}.jsonl", bad, "event_timestamp") for day, (_, bad) in BATCH.items()
    ]
    assert all(r[3] == "event_timestamp: cannot parse abc as BIGINT" for r in q)
    # The quarantined record is the one on that line.
    records = rows(
        warehouse,
        "SELECT raw_record::JSON->>'user_pseudo_id' FROM quarantine.ga4__events "
        "ORDER BY _source_file",
    )
    assert records == [(f"{day}-{bad}",) for day, (_, bad) in BATCH.items()]
    got = raw_positions(warehouse)
    expected = [
        (f"ga4/events_{day}.jsonl", n, f"{day}-{n}")
        for day, (count, bad) in BATCH.items()
        for n in range(1, count + 1)
        if n != bad
    ]
    assert got == expected
    for day, (count, _) in BATCH.items():
        assert manifest(warehouse, f"ga4/events_{day}.jsonl")[:4] == ("loaded", count, count - 1, 1)


def test_row_positions_across_a_multi_file_jsonl_batch(extracts: Path, warehouse: Path):
    write_batch_with_bad_timestamps(extracts)
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert_batch_positions(warehouse)
    # One run, one batch.
    assert rows(warehouse, "SELECT count(DISTINCT batch_id) FROM raw._manifest") == [(1,)]


def test_row_positions_when_every_file_is_its_own_chunk(
    extracts: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(connectors.load.loader, "CHUNK_BYTES", 1)
    write_batch_with_bad_timestamps(extracts)
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert_batch_positions(warehouse)


def test_duplicate_keys_are_flagged_per_file_only(extracts: Path, warehouse: Path):
    a, b = f"{LEADS}/2026-10-30.csv", f"{LEADS}/2026-10-31.csv"
    write(extracts / a, csv_text([marketo_lead(i) for i in ["1", "7", "3", "7", "5"]]))
    write(extracts / b, csv_text([marketo_lead("7"), marketo_lead("8")]))
    report = load_source(warehouse, extracts, "marketo")
    assert report.ok, report.summary()
    q = quarantine(warehouse, "marketo__leads")
    assert [r[:3] for r in q] == [(a, 2, "id"), (a, 4, "id")]
    assert all(r[3] == "id: duplicate key 7 appears 2 times in this file" for r in q)
    assert rows(
        warehouse,
        "SELECT _source_file, _row_number, id FROM raw.marketo__leads "
        "ORDER BY _source_file, _row_number",
    ) == [(a, 1, "1"), (a, 3, "3"), (a, 5, "5"), (b, 1, "7"), (b, 2, "8")]
    assert manifest(warehouse, a)[:4] == ("loaded", 5, 3, 2)
    assert manifest(warehouse, b)[:4] == ("loaded", 2, 2, 0)


def test_duplicate_that_is_also_invalid_gets_both_reasons(extracts: Path, warehouse: Path):
    a, b = f"{LEADS}/2026-10-30.csv", f"{LEADS}/2026-10-31.csv"
    write(
        extracts / a,
        csv_text(
            [
                marketo_lead("1"),
                marketo_lead("7", email="first@x.jp"),
                marketo_lead("3"),
                marketo_lead("7", createdAt="bad"),
            ]
        ),
    )
    write(extracts / b, csv_text([marketo_lead("7")]))
    load_source(warehouse, extracts, "marketo")
    q = quarantine(warehouse, "marketo__leads")
    assert [r[:3] for r in q] == [(a, 2, "id"), (a, 4, "createdAt, id")]
    assert q[0][3] == "id: duplicate key 7 appears 2 times in this file"
    assert q[1][3] == (
        "createdAt: cannot parse bad as TIMESTAMPTZ; "
        "id: duplicate key 7 appears 2 times in this file"
    )
    # Each quarantined record is the one from its own line.
    assert rows(
        warehouse,
        "SELECT raw_record::JSON->>'email', raw_record::JSON->>'createdAt' "
        "FROM quarantine.marketo__leads ORDER BY _row_number",
    ) == [("first@x.jp", "2026-03-02 01:04:05+00"), ("lead7@example.co.jp", "bad")]
    assert rows(
        warehouse,
        "SELECT _source_file, _row_number, id FROM raw.marketo__leads "
        "ORDER BY _source_file, _row_number",
    ) == [(a, 1, "1"), (a, 3, "3"), (b, 1, "7")]


def test_jsonl_drift_is_reported_for_the_file_that_has_it(extracts: Path, warehouse: Path):
    plain = ga4_file(extracts, "20261030", [ga4_line("p", n) for n in (1, 2)])
    drifted = ga4_file(
        extracts, "20261031", [ga4_line("d", n, new_field=f"v{n}") for n in (1, 2, 3)]
    )
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert rows(
        warehouse,
        "SELECT file, table_name, column_name, change FROM raw._schema_drift "
        "WHERE change = 'extra_column'",
    ) == [(drifted, "ga4__events", "new_field", "extra_column")]
    assert rows(
        warehouse,
        "SELECT _source_file, _row_number, _extra->>'new_field' FROM raw.ga4__events "
        "ORDER BY _source_file, _row_number",
    ) == [
        (plain, 1, None),
        (plain, 2, None),
        (drifted, 1, "v1"),
        (drifted, 2, "v2"),
        (drifted, 3, "v3"),
    ]


def test_jsonl_file_without_a_required_key_fails_alone(extracts: Path, warehouse: Path):
    def no_event_name(n: int) -> str:
        ev = ga4_event(TS + n, user_pseudo_id=f"x-{n}")
        del ev["event_name"]
        return json.dumps(ev)

    first = ga4_file(extracts, "20261029", [ga4_line("a", n) for n in (1, 2)])
    broken = ga4_file(extracts, "20261030", [no_event_name(n) for n in (1, 2)])
    last = ga4_file(extracts, "20261031", [ga4_line("c", n) for n in (1, 2, 3)])
    report = load_source(warehouse, extracts, "ga4")
    [failure] = report.failures
    assert failure.file == broken
    assert failure.error.startswith(f"{broken}: missing required column(s) ['event_name']")
    status, rows_in, loaded, quarantined, _, error = manifest(warehouse, broken)
    assert (status, rows_in, loaded, quarantined, error) == ("failed", 0, 0, 0, failure.error)
    assert manifest(warehouse, first)[:4] == ("loaded", 2, 2, 0)
    assert manifest(warehouse, last)[:4] == ("loaded", 3, 3, 0)
    assert raw_positions(warehouse) == [
        (first, 1, "a-1"),
        (first, 2, "a-2"),
        (last, 1, "c-1"),
        (last, 2, "c-2"),
        (last, 3, "c-3"),
    ]
    assert rows(warehouse, "SELECT count(*) FROM quarantine.ga4__events") == [(0,)]


def test_shift_jis_jsonl_in_a_batch_is_converted(extracts: Path, warehouse: Path):
    plain = ga4_file(extracts, "20261030", [ga4_line("p", 1)])
    sjis = "ga4/events_20261031.jsonl"
    lines = [
        json.dumps(
            ga4_event(TS + n, user_pseudo_id=f"s-{n}", geo={"country": "Japan", "city": city}),
            ensure_ascii=False,
        )
        for n, city in [(1, "東京"), (2, "大阪")]
    ]
    write(extracts / sjis, ("\n".join(lines) + "\n").encode("cp932"))
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert manifest(warehouse, sjis)[:5] == ("loaded", 2, 2, 0, "cp932")
    assert manifest(warehouse, plain)[:5] == ("loaded", 1, 1, 0, "utf-8")
    assert rows(
        warehouse,
        "SELECT _source_file, _row_number, geo.city FROM raw.ga4__events "
        "ORDER BY _source_file, _row_number",
    ) == [(plain, 1, "Tokyo"), (sjis, 1, "東京"), (sjis, 2, "大阪")]


def test_jsonl_neither_utf8_nor_shift_jis_fails_naming_the_file(extracts: Path, warehouse: Path):
    plain = ga4_file(extracts, "20261030", [ga4_line("p", 1)])
    bad = "ga4/events_20261031.jsonl"
    good_line = ga4_line("b", 1).encode()
    broken_line = ga4_line("b", 2, event_name="XX").encode().replace(b"XX", b"\xff\xfe\xfa")
    write(extracts / bad, good_line + b"\n" + broken_line + b"\n")
    report = load_source(warehouse, extracts, "ga4")
    [failure] = report.failures
    assert failure.file == bad
    assert failure.error.startswith(f"{bad}: not UTF-8")
    assert "not Shift-JIS either" in failure.error
    assert manifest(warehouse, bad)[0] == "failed"
    assert manifest(warehouse, plain)[:4] == ("loaded", 1, 1, 0)
    assert rows(warehouse, "SELECT _source_file FROM raw.ga4__events") == [(plain,)]


def test_malformed_jsonl_line_in_a_batch_is_quarantined_with_its_line(
    extracts: Path, warehouse: Path
):
    first = ga4_file(extracts, "20261029", [ga4_line("a", n) for n in (1, 2)])
    lines = [ga4_line("b", 1), ga4_line("b", 2), '{"event_date": "2024', ga4_line("b", 4)]
    broken = ga4_file(extracts, "20261030", lines)
    last = ga4_file(extracts, "20261031", [ga4_line("c", n) for n in (1, 2)])
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    q = rows(
        warehouse,
        "SELECT _source_file, _row_number, field, reason, raw_record FROM quarantine.ga4__events",
    )
    assert q == [
        (
            broken,
            3,
            "(record)",
            "record is not valid JSON (truncated line?)",
            '{"event_date": "2024',
        )
    ]
    assert raw_positions(warehouse) == [
        (first, 1, "a-1"),
        (first, 2, "a-2"),
        (broken, 1, "b-1"),
        (broken, 2, "b-2"),
        (broken, 4, "b-4"),
        (last, 1, "c-1"),
        (last, 2, "c-2"),
    ]
    assert manifest(warehouse, first)[:4] == ("loaded", 2, 2, 0)
    assert manifest(warehouse, broken)[:4] == ("loaded", 4, 3, 1)
    assert manifest(warehouse, last)[:4] == ("loaded", 2, 2, 0)


def test_blank_lines_do_not_shift_line_numbers(extracts: Path, warehouse: Path):
    """DuckDB's reader skips blank lines; such a file is read line by line instead."""
    write(
        extracts / "ga4/events_20261029.jsonl",
        "\n".join([ga4_line("a", 1), "", ga4_line("a", 3), ga4_line("a", 4, event_timestamp="x")])
        + "\n",
    )
    ga4_file(extracts, "20261030", [ga4_line("b", 1), ga4_line("b", 2, event_timestamp="y")])
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert raw_positions(warehouse) == [
        ("ga4/events_20261029.jsonl", 1, "a-1"),
        ("ga4/events_20261029.jsonl", 3, "a-3"),
        ("ga4/events_20261030.jsonl", 1, "b-1"),
    ]
    q = quarantine(warehouse, "ga4__events")
    assert [r[:3] for r in q] == [
        ("ga4/events_20261029.jsonl", 4, "event_timestamp"),
        ("ga4/events_20261030.jsonl", 2, "event_timestamp"),
    ]


def test_key_first_seen_at_the_end_of_a_big_file_is_drift(
    extracts: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    """Keys are sampled from each file's head and tail: a new field that starts mid-day
    (and so is in the last records) is kept in _extra and reported."""
    import connectors.load.files as files

    monkeypatch.setattr(files, "SAMPLE_BYTES", 4096)
    lines = [ga4_line("a", n) for n in range(1, 200)]
    lines.append(json.dumps({**json.loads(ga4_line("a", 200)), "new_field": "late"}))
    rel = ga4_file(extracts, "20261029", lines)
    assert (extracts / rel).stat().st_size > 4 * 4096
    ga4_file(extracts, "20261030", [ga4_line("b", 1)])
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert rows(
        warehouse, "SELECT file, column_name FROM raw._schema_drift WHERE change = 'extra_column'"
    ) == [(rel, "new_field")]
    assert rows(
        warehouse,
        "SELECT _row_number, _extra->>'new_field' FROM raw.ga4__events WHERE _extra IS NOT NULL",
    ) == [(200, "late")]
