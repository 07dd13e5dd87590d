"""Release diff: the new build's key figures against the last published build.

Datafold-style, at the level a RevOps reader notices: row counts of every mart and the
totals of ``release_diff.yaml`` (per channel where ``by`` is given). ``prepare_release``
computes the figures in DuckDB, stores them (``quality.release_figures``), compares them
with the last build whose status is ``published`` in ``quality.releases`` and keeps the
comparison in ``quality.release_diff``; the gate fails when an ``error`` figure moved more
than its ``max_change``. ``mark_published`` records a release once its snapshot is in place.

Tables (schema ``quality`` of the warehouse):
* ``releases(build_id, run_id, as_of, built_at, status, published_at, snapshot, note)`` —
  status ``candidate`` | ``blocked`` | ``published``;
* ``release_figures(build_id, figure, dimension, value)``;
* ``release_diff(build_id, compared_with, figure, dimension, previous, current, change,
  max_change, severity, status)`` — status ``ok`` | ``changed`` | ``new`` | ``vanished`` |
  ``first_release`` | ``accepted``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from expectations import warehouse as wh
from expectations.suites import quote_table

RELEASE_CONFIG = Path(__file__).resolve().parent / "release_diff.yaml"

DDL = (
    "CREATE SCHEMA IF NOT EXISTS quality",
    """CREATE TABLE IF NOT EXISTS quality.releases (
        build_id VARCHAR PRIMARY KEY, run_id VARCHAR, as_of TIMESTAMPTZ,
        built_at TIMESTAMPTZ NOT NULL, status VARCHAR NOT NULL,
        published_at TIMESTAMPTZ, snapshot VARCHAR, note VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS quality.release_figures (
        build_id VARCHAR NOT NULL, figure VARCHAR NOT NULL, dimension VARCHAR NOT NULL,
        value DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS quality.release_diff (
        build_id VARCHAR NOT NULL, compared_with VARCHAR, figure VARCHAR NOT NULL,
        dimension VARCHAR NOT NULL, previous DOUBLE, current DOUBLE, change DOUBLE,
        max_change DOUBLE, severity VARCHAR, status VARCHAR NOT NULL)""",
)
ALL = "(all)"


@dataclass(frozen=True)
class FigureSpec:
    name: str
    table: str
    value: str
    by: str | None = None
    where: str | None = None
    max_change: float = 0.3
    min_base: float = 100.0
    severity: str = "error"
    meaning: str = ""


@dataclass
class DiffRow:
    figure: str
    dimension: str
    previous: float | None
    current: float | None
    change: float | None
    max_change: float
    severity: str
    status: str
    meaning: str = ""

    @property
    def failing(self) -> bool:
        return self.status in ("changed", "vanished")

    def line(self) -> str:
        dim = "" if self.dimension == ALL else f"[{self.dimension}]"
        prev = "-" if self.previous is None else f"{self.previous:,.2f}"
        cur = "-" if self.current is None else f"{self.current:,.2f}"
        chg = (
            "" if self.change is None else f" ({self.change:+.1%}, allowed ±{self.max_change:.0%})"
        )
        return f"{self.figure}{dim}: {prev} -> {cur}{chg} {self.status.upper()}"


@dataclass
class ReleaseDiff:
    build_id: str
    compared_with: str | None
    rows: list[DiffRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    accepted: bool = False

    @property
    def errors(self) -> list[DiffRow]:
        return [r for r in self.rows if r.failing and r.severity == "error" and not self.accepted]

    @property
    def warnings(self) -> list[DiffRow]:
        return [r for r in self.rows if r.failing and (r.severity == "warn" or self.accepted)]

    @property
    def passed(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.compared_with is None:
            return f"build {self.build_id}: first release, nothing published to compare with"
        moved = [r for r in self.rows if r.failing]
        head = (
            f"build {self.build_id} vs published {self.compared_with}: {len(self.rows)} figures, "
            f"{len(moved)} beyond their threshold"
        )
        if self.accepted and moved:
            head += " (accepted with REVLOOP_ACCEPT_RELEASE_DIFF)"
        return head + ("".join(f"\n  {r.line()}" for r in moved) if moved else "")


def load_specs(path: Path = RELEASE_CONFIG) -> tuple[dict, list[FigureSpec]]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    defaults = dict(doc.get("defaults") or {})
    specs = [FigureSpec(**{**defaults, **f}) for f in doc.get("figures") or []]
    return dict(doc.get("row_counts") or defaults), specs


def compute_figures(con: Any, path: Path = RELEASE_CONFIG) -> tuple[list[tuple], list[str], dict]:
    """``[(figure, dimension, value)]`` of the warehouse's marts, the figures skipped (table
    not built) and the spec of each figure name."""
    row_spec, specs = load_specs(path)
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
            "AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
    ]
    figures: list[tuple] = []
    meta: dict[str, FigureSpec] = {}
    if tables:
        union = " UNION ALL ".join(
            f"SELECT '{t}' AS t, count(*) AS n FROM marts.{quote_table(t)}" for t in tables
        )
        for t, n in con.execute(union).fetchall():
            name = f"rows.{t}"
            figures.append((name, ALL, float(n)))
            meta[name] = FigureSpec(
                name, f"marts.{t}", "count(*)", meaning=f"rows of marts.{t}", **row_spec
            )
    skipped = []
    for spec in specs:
        meta[spec.name] = spec
        schema_table = spec.table.split(".", 1)
        if wh.table_columns(con, spec.table) is None or schema_table[1] not in tables:
            skipped.append(f"{spec.name}: {spec.table} not built yet")
            continue
        dim = f"coalesce(CAST({spec.by} AS VARCHAR), '(null)')" if spec.by else f"'{ALL}'"
        where = f" WHERE {spec.where}" if spec.where else ""
        for d, v in con.execute(
            f"SELECT {dim}, {spec.value} FROM {quote_table(spec.table)}{where} GROUP BY 1"
        ).fetchall():
            figures.append((spec.name, d, None if v is None else float(v)))
    return figures, skipped, meta


def _compare(figures: list[tuple], previous: dict, meta: dict) -> list[DiffRow]:
    rows: list[DiffRow] = []
    current = {(f, d): v for f, d, v in figures}
    for key in sorted(set(current) | set(previous)):
        figure, dim = key
        spec = meta.get(figure)
        if spec is None:  # a figure no longer configured
            continue
        cur, prev = current.get(key), previous.get(key)
        base = max(abs(cur or 0), abs(prev or 0))
        if key not in previous:
            status, change = "new", None
        elif key not in current:
            status = "vanished" if base >= spec.min_base else "ok"
            change = -1.0
        elif base < spec.min_base:
            status, change = "ok", None
        else:
            change = ((cur or 0) - (prev or 0)) / abs(prev) if prev else float("inf")
            status = "changed" if abs(change) > spec.max_change else "ok"
        rows.append(
            DiffRow(
                figure, dim, prev, cur, change, spec.max_change, spec.severity, status, spec.meaning
            )
        )
    return rows


def last_published(con: Any) -> str | None:
    if wh.table_columns(con, "quality.releases") is None:
        return None
    row = con.execute(
        "SELECT build_id FROM quality.releases WHERE status = 'published' "
        "ORDER BY published_at DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def prepare_release(
    warehouse: Path,
    build_id: str,
    *,
    as_of: dt.datetime,
    run_id: str | None = None,
    accept: bool = False,
    config: Path = RELEASE_CONFIG,
) -> ReleaseDiff:
    """Compute, store and compare this build's figures (writes ``quality.*``)."""
    with wh.connect(Path(warehouse), read_only=False) as con:
        for stmt in DDL:
            con.execute(stmt)
        figures, skipped, meta = compute_figures(con, config)
        published = last_published(con)
        previous: dict = {}
        if published:
            previous = {
                (f, d): v
                for f, d, v in con.execute(
                    "SELECT figure, dimension, value FROM quality.release_figures "
                    "WHERE build_id = ?",
                    [published],
                ).fetchall()
            }
        diff = ReleaseDiff(build_id, published, skipped=skipped, accepted=accept)
        diff.rows = _compare(figures, previous, meta) if published else []
        now = dt.datetime.now(dt.UTC)
        con.execute("BEGIN")
        con.execute("DELETE FROM quality.release_figures WHERE build_id = ?", [build_id])
        con.execute("DELETE FROM quality.release_diff WHERE build_id = ?", [build_id])
        con.execute("DELETE FROM quality.releases WHERE build_id = ?", [build_id])
        if figures:
            con.executemany(
                "INSERT INTO quality.release_figures VALUES (?, ?, ?, ?)",
                [(build_id, f, d, v) for f, d, v in figures],
            )
        diff_rows = diff.rows or [
            DiffRow("(build)", ALL, None, None, None, 0.0, "error", "first_release")
        ]
        con.executemany(
            "INSERT INTO quality.release_diff VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    build_id,
                    published,
                    r.figure,
                    r.dimension,
                    r.previous,
                    r.current,
                    None if r.change in (None, float("inf")) else r.change,
                    r.max_change,
                    r.severity,
                    "accepted" if accept and r.failing else r.status,
                )
                for r in diff_rows
            ],
        )
        status = "candidate" if diff.passed else "blocked"
        con.execute(
            "INSERT INTO quality.releases VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)",
            [build_id, run_id, as_of, now, status, diff.summary()[:2000]],
        )
        con.execute("COMMIT")
    return diff


def mark_published(
    warehouse: Path, build_id: str, snapshot: Path, published_at: dt.datetime | None = None
) -> None:
    """Record that ``build_id`` is the snapshot now in place (the next diff's baseline)."""
    with wh.connect(Path(warehouse), read_only=False) as con:
        for stmt in DDL:
            con.execute(stmt)
        con.execute(
            "UPDATE quality.releases SET status = 'published', published_at = ?, snapshot = ? "
            "WHERE build_id = ?",
            [published_at or dt.datetime.now(dt.UTC), str(snapshot), build_id],
        )
