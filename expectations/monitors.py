"""Anomaly monitors: the numbers that should move slowly, watched day by day.

Monte Carlo / Elementary style, but declared in YAML next to the contracts
(``connectors/contracts/<source>/monitors.yaml``) and next to the marts
(``expectations/monitors.yaml``). Each monitor is one set-based query over a few weeks of
one table (pushed down to DuckDB), compared in Python with a baseline:

* ``volume`` — rows (or distinct keys) per day, optionally per group (channel, campaign):
  ``zero`` (nothing on a day whose baseline says there should be), ``drop`` below a share of
  the baseline, ``spike`` above a multiple of it;
* ``missing_rate`` — the share of NULL (or empty) values of a column on the checked days
  against the previous weeks: a jump means a field stopped arriving;
* ``total`` — a daily sum (spend, amount) whose sign flips, or whose scale jumps by a factor
  (a unit change: micros vs currency, cents vs yen). Scale is judged on the median non-zero
  row value of the day against the baseline's: a unit change moves every row, one big deal
  or one expensive campaign day moves only the sum;
* ``spend_without_clicks`` — ad spend on a day/campaign with zero clicks (tracking lost).

The checked days are the newest complete days before the as-of instant (``check_days``,
default 1, after ``delay_hours`` for feeds that arrive late). The baseline is the median of
the same weekday over ``baseline_weeks`` (B2B traffic has a weekly rhythm) or of the
previous ``baseline_days`` days (``baseline: trailing``). Too little history is reported as
such ("baseline ... too small to judge"), never as a pass in disguise.

Raw rows of superseded deliveries do not count. The loader marks them itself
(``_superseded_at``, set when a newer delivery of the file, GA4's daily file over its intraday
file, or an ignore replaced them: the rule staging reads by); a raw table without that
column falls back to each file's newest delivery in ``raw._manifest``
(``CURRENT_DELIVERIES``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from expectations import warehouse as wh
from expectations.suites import quote_table

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_DIR = REPO_ROOT / "connectors" / "contracts"
MARTS_MONITORS = Path(__file__).resolve().parent / "monitors.yaml"
# `.yaml`, not `.yml`: every reader of the contracts globs `<source>/*.yml`, and a monitors
# file is not a contract.
MONITOR_FILE = "monitors.yaml"
KINDS = ("volume", "missing_rate", "total", "spend_without_clicks")
SEVERITIES = ("error", "warn")

# Rows of a raw table that belong to the newest delivery of their file. A file re-delivered
# with new bytes is a new delivery; its earlier rows stay in raw for the record only.
CURRENT_DELIVERIES = (
    "(_source_file, _batch_id) IN (SELECT file, arg_max(batch_id, loaded_at) "
    "FROM raw._manifest WHERE status = 'loaded' AND table_name = '{table}' GROUP BY file)"
)


# The loader's own marking (connectors/load/manifest.py), where the table has it.
NOT_SUPERSEDED = "_superseded_at IS NULL"


class MonitorConfigError(ValueError):
    """A monitors file is malformed: names the file and the monitor."""


@dataclass(frozen=True)
class Monitor:
    """One monitor as declared in YAML (see the module docstring for the kinds)."""

    name: str
    kind: str
    table: str
    date: str  # SQL expression giving the row's DATE
    meaning: str
    owner: str = ""
    backup: str = ""
    group_by: str | None = None
    count_distinct: tuple[str, ...] = ()
    column: str | None = None  # missing_rate / total: the column or SQL expression
    spend: str | None = None
    clicks: str | None = None
    where: str | None = None
    baseline: str = "same_weekday"  # same_weekday | trailing
    baseline_weeks: int = 4
    baseline_days: int = 28
    check_days: int = 1
    delay_hours: float = 0.0
    min_baseline: float = 20.0
    min_rows: int = 20
    zero: str | None = "error"
    drop_below: float | None = None
    drop_severity: str = "warn"
    spike_above: float | None = None
    spike_severity: str = "warn"
    max_increase: float = 0.2  # missing_rate: allowed rise in share points
    max_rate: float | None = None
    max_scale_factor: float = 20.0
    min_spend: float = 0.0
    severity: str = "error"  # missing_rate / total / spend_without_clicks
    source_file: str = ""

    @property
    def is_raw(self) -> bool:
        return self.table.startswith("raw.")


@dataclass
class Finding:
    """One anomaly: which day/group, what was seen, what was expected."""

    severity: str
    day: dt.date
    group: str | None
    text: str


@dataclass
class MonitorResult:
    """Outcome of one monitor: findings (anomalies) and notes (why something was not judged)."""

    monitor: Monitor
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked_days: list[dt.date] = field(default_factory=list)

    @property
    def severity(self) -> str | None:
        sev = {f.severity for f in self.findings}
        return "error" if "error" in sev else ("warn" if sev else None)

    @property
    def passed(self) -> bool:
        return self.severity != "error"

    def messages(self) -> list[str]:
        m = self.monitor
        return [
            f"{m.table}: monitor {m.name} ({m.kind}) {f.severity.upper()} on {f.day}"
            + (f" [{f.group}]" if f.group else "")
            + f": {f.text} — {m.meaning}"
            for f in self.findings
        ]

    def summary(self) -> str:
        days = ", ".join(str(d) for d in self.checked_days)
        if self.findings:
            return "; ".join(self.messages())
        note = f" ({'; '.join(self.notes)})" if self.notes else ""
        return f"{self.monitor.table}: monitor {self.monitor.name} ok for {days}{note}"


# --- configuration -----------------------------------------------------------------------


def _monitor(doc: dict, defaults: dict, path: Path) -> Monitor:
    fields = Monitor.__dataclass_fields__
    data = {**defaults, **doc, "source_file": str(path)}
    unknown = set(data) - set(fields)
    name = data.get("name", "?")
    if unknown:
        raise MonitorConfigError(f"{path}: monitor {name}: unknown keys {sorted(unknown)}")
    for key in ("name", "kind", "table", "date", "meaning"):
        if not data.get(key):
            raise MonitorConfigError(f"{path}: monitor {name}: `{key}` is required")
    if data["kind"] not in KINDS:
        raise MonitorConfigError(f"{path}: monitor {name}: kind must be one of {KINDS}")
    for key in ("zero", "drop_severity", "spike_severity", "severity"):
        if data.get(key) is not None and data[key] not in SEVERITIES:
            raise MonitorConfigError(f"{path}: monitor {name}: {key} must be one of {SEVERITIES}")
    if data["kind"] in ("missing_rate", "total") and not data.get("column"):
        raise MonitorConfigError(f"{path}: monitor {name}: {data['kind']} needs `column`")
    if data["kind"] == "spend_without_clicks" and not (data.get("spend") and data.get("clicks")):
        raise MonitorConfigError(f"{path}: monitor {name}: needs `spend` and `clicks`")
    if "count_distinct" in data:
        data["count_distinct"] = tuple(data["count_distinct"] or ())
    return Monitor(**data)


def load_file(path: Path) -> list[Monitor]:
    """The monitors of one YAML file (``owner``/``backup``/``defaults`` apply to all)."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    defaults = dict(doc.get("defaults") or {})
    for key in ("owner", "backup"):
        if doc.get(key):
            defaults.setdefault(key, doc[key])
    return [_monitor(m, defaults, Path(path)) for m in doc.get("monitors") or []]


def load_monitors(
    contracts_dir: Path = CONTRACTS_DIR, marts_file: Path | None = MARTS_MONITORS
) -> list[Monitor]:
    """Every monitor: ``<contracts>/<source>/monitors.yaml`` files, then the marts file."""
    files = sorted(Path(contracts_dir).glob(f"*/{MONITOR_FILE}"))
    if marts_file is not None and Path(marts_file).exists():
        files.append(Path(marts_file))
    monitors = [m for f in files for m in load_file(f)]
    seen: dict[tuple[str, str], str] = {}
    for m in monitors:
        key = (m.table, m.name)
        if key in seen:
            raise MonitorConfigError(
                f"{m.source_file}: monitor {m.name} on {m.table} also defined in {seen[key]}"
            )
        seen[key] = m.source_file
    return monitors


def monitors_by_table(monitors: list[Monitor]) -> dict[str, list[Monitor]]:
    out: dict[str, list[Monitor]] = defaultdict(list)
    for m in monitors:
        out[m.table].append(m)
    return dict(out)


# --- evaluation ----------------------------------------------------------------------------


def checked_days(monitor: Monitor, as_of: dt.datetime) -> list[dt.date]:
    """The newest ``check_days`` complete days before ``as_of`` (after ``delay_hours``).

    A day is complete once its last second has passed: as-of ``2026-10-31 23:59:59`` (what
    ``--as-of 2026-10-31`` means) checks 2026-10-31, as-of 2026-11-01 02:00 too.
    """
    cutoff = as_of - dt.timedelta(hours=monitor.delay_hours) + dt.timedelta(seconds=1)
    newest = cutoff.date() - dt.timedelta(days=1)
    return [newest - dt.timedelta(days=k) for k in range(monitor.check_days)][::-1]


def _baseline_days(monitor: Monitor, day: dt.date) -> list[dt.date]:
    if monitor.baseline == "trailing":
        return [day - dt.timedelta(days=k) for k in range(1, monitor.baseline_days + 1)]
    return [day - dt.timedelta(weeks=k) for k in range(1, monitor.baseline_weeks + 1)]


def _window(monitor: Monitor, days: list[dt.date]) -> tuple[dt.date, dt.date]:
    first = min(min(_baseline_days(monitor, d)) for d in days)
    return first, max(days)


def _filters(monitor: Monitor, start: dt.date, end: dt.date, marked: bool = False) -> str:
    parts = [f"CAST({monitor.date} AS DATE) BETWEEN DATE '{start}' AND DATE '{end}'"]
    if monitor.where:
        parts.append(f"({monitor.where})")
    if monitor.is_raw:
        parts.append(
            NOT_SUPERSEDED
            if marked
            else CURRENT_DELIVERIES.format(table=monitor.table.split(".", 1)[1])
        )
    return " AND ".join(parts)


def _series_sql(monitor: Monitor, start: dt.date, end: dt.date, marked: bool = False) -> str:
    """``marked``: the raw table carries the loader's ``_superseded_at``."""
    group = f"CAST({monitor.group_by} AS VARCHAR)" if monitor.group_by else "NULL::VARCHAR"
    if monitor.kind == "volume":
        if monitor.count_distinct:
            cols = ", ".join(f'"{c}"' for c in monitor.count_distinct)
            value = f"count(DISTINCT ({cols}))"
        else:
            value = "count(*)"
        extra = "NULL::DOUBLE"
    elif monitor.kind == "missing_rate":
        col = monitor.column
        value = "count(*)"
        extra = f"count(*) FILTER (WHERE {col} IS NULL OR CAST({col} AS VARCHAR) = '')"
    elif monitor.kind == "total":
        value = f"sum({monitor.column})"
        extra = f"median(abs({monitor.column})) FILTER (WHERE {monitor.column} <> 0)"
    else:  # spend_without_clicks
        value = f"sum({monitor.spend})"
        extra = f"sum({monitor.clicks})"
    return (
        f"SELECT CAST({monitor.date} AS DATE) AS day, {group} AS grp, "
        f"{value} AS value, {extra} AS extra, count(*) AS n "
        f"FROM {quote_table(monitor.table)} WHERE {_filters(monitor, start, end, marked)} "
        "GROUP BY ALL"
    )


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.3g}"


def _judge_volume(
    m: Monitor, day: dt.date, grp: str | None, value: float, base: list[float], res: MonitorResult
) -> None:
    label = f"[{grp}] " if grp else ""
    if len(base) < 2:
        res.notes.append(f"{label}{day}: fewer than 2 baseline days, not judged")
        return
    median = statistics.median(base)
    what = "same weekday" if m.baseline == "same_weekday" else "previous days"
    basis = f"median {_fmt(median)} over {len(base)} {what}"
    if median < m.min_baseline:
        res.notes.append(f"{label}{day}: baseline {basis} < {m.min_baseline:g}, too small to judge")
        return
    if value == 0 and m.zero:
        res.findings.append(Finding(m.zero, day, grp, f"0 rows ({basis}): dropped to zero"))
    elif m.drop_below is not None and value < m.drop_below * median:
        res.findings.append(
            Finding(
                m.drop_severity,
                day,
                grp,
                f"{_fmt(value)} rows, {value / median:.0%} of the "
                f"{basis} (alert below {m.drop_below:.0%})",
            )
        )
    elif m.spike_above is not None and value > m.spike_above * median:
        res.findings.append(
            Finding(
                m.spike_severity,
                day,
                grp,
                f"{_fmt(value)} rows, {value / median:.1f}x the "
                f"{basis} (alert above {m.spike_above:g}x)",
            )
        )


def evaluate(con: Any, monitor: Monitor, as_of: dt.datetime) -> MonitorResult:
    """Run one monitor on an open (read-only) connection."""
    days = checked_days(monitor, as_of)
    res = MonitorResult(monitor, checked_days=days)
    columns = wh.table_columns(con, monitor.table)
    if columns is None:
        res.notes.append(f"{monitor.table} does not exist yet")
        return res
    start, end = _window(monitor, days)
    marked = "_superseded_at" in columns
    rows = con.execute(_series_sql(monitor, start, end, marked)).fetchall()
    series: dict[str | None, dict[dt.date, tuple[float, float, int]]] = defaultdict(dict)
    for day, grp, value, extra, n in rows:
        series[grp][day] = (float(value or 0), float(extra or 0), int(n))
    if monitor.group_by is None:
        series.setdefault(None, {})
    for grp, by_day in sorted(series.items(), key=lambda kv: str(kv[0])):
        for day in days:
            value, extra, n = by_day.get(day, (0.0, 0.0, 0))
            base_days = [d for d in _baseline_days(monitor, day) if d >= start]
            if monitor.kind == "volume":
                # a day with no row at all counts as 0 once the series has started
                started = [d for d in base_days if d >= min(by_day, default=day)]
                base = [by_day.get(d, (0.0, 0.0, 0))[0] for d in started]
                _judge_volume(monitor, day, grp, value, base, res)
            elif monitor.kind == "missing_rate":
                _judge_missing(monitor, day, grp, value, extra, by_day, base_days, res)
            elif monitor.kind == "total":
                base = [by_day[d] for d in base_days if d in by_day]
                _judge_total(monitor, day, grp, (value, extra, n), base, res)
            else:
                if value > monitor.min_spend and extra == 0:
                    res.findings.append(
                        Finding(monitor.severity, day, grp, f"spend {_fmt(value)} with 0 clicks")
                    )
    return res


def _judge_missing(
    m: Monitor,
    day: dt.date,
    grp: str | None,
    rows: float,
    nulls: float,
    by_day: dict,
    base_days: list[dt.date],
    res: MonitorResult,
) -> None:
    label = f"[{grp}] " if grp else ""
    if rows < m.min_rows:
        res.notes.append(f"{label}{day}: {rows:.0f} rows < {m.min_rows}, too few to judge")
        return
    rate = nulls / rows
    base_rows = sum(by_day[d][0] for d in base_days if d in by_day)
    base_nulls = sum(by_day[d][1] for d in base_days if d in by_day)
    if m.max_rate is not None and rate > m.max_rate:
        res.findings.append(
            Finding(
                m.severity,
                day,
                grp,
                f"{m.column} missing in {rate:.1%} of {rows:.0f} rows (at most {m.max_rate:.0%})",
            )
        )
        return
    if base_rows < m.min_rows:
        res.notes.append(
            f"{label}{day}: baseline has {base_rows:.0f} rows, too few to judge a jump"
        )
        return
    base_rate = base_nulls / base_rows
    if rate - base_rate > m.max_increase:
        res.findings.append(
            Finding(
                m.severity,
                day,
                grp,
                f"{m.column} missing in {rate:.1%} of {rows:.0f} rows vs "
                f"{base_rate:.1%} before (alert above +{m.max_increase:.0%} points)",
            )
        )


def _judge_total(
    m: Monitor,
    day: dt.date,
    grp: str | None,
    today: tuple[float, float, int],
    base: list[tuple[float, float, int]],
    res: MonitorResult,
) -> None:
    label = f"[{grp}] " if grp else ""
    total, typical, rows = today
    if rows == 0:
        return  # no rows: the volume monitor's business
    if rows < m.min_rows:
        res.notes.append(f"{label}{day}: {rows} rows < {m.min_rows}, too few to judge a total")
        return
    if len(base) < 2:
        res.notes.append(f"{label}{day}: fewer than 2 baseline days, not judged")
        return
    base_total = statistics.median(b[0] for b in base)
    if abs(base_total) >= m.min_baseline and total != 0 and (total > 0) != (base_total > 0):
        res.findings.append(
            Finding(
                m.severity,
                day,
                grp,
                f"total {_fmt(total)} has the opposite sign of the "
                f"baseline median {_fmt(base_total)}",
            )
        )
        return
    base_typical = [b[1] for b in base if b[1]]
    if not typical or len(base_typical) < 2:
        return
    median = statistics.median(base_typical)
    ratio = typical / median
    if ratio > m.max_scale_factor or ratio < 1 / m.max_scale_factor:
        res.findings.append(
            Finding(
                m.severity,
                day,
                grp,
                f"the typical row value {_fmt(typical)} is {ratio:.3g}x "
                f"the baseline's {_fmt(median)} (total {_fmt(total)}): a unit or scale "
                f"change (alert beyond {m.max_scale_factor:g}x)",
            )
        )


def run_monitors(
    warehouse: Path, monitors: list[Monitor], as_of: dt.datetime
) -> list[MonitorResult]:
    """Evaluate ``monitors`` against the warehouse (read-only) at ``as_of`` (UTC)."""
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    as_of = as_of.astimezone(dt.UTC)
    with wh.connect(Path(warehouse)) as con:
        return [evaluate(con, m, as_of) for m in monitors]
