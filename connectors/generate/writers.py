"""File writers shared by the renderers, plus the log of deliberately malformed rows.

Every writer is deterministic (fixed key order, fixed formatting, ``\\n`` newlines) so the
same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

API_VERSION = "62.0"
PAGE_SIZE = 2000


def sf_datetime(ts: int) -> str:
    """Salesforce REST datetime: ``YYYY-MM-DDTHH:MM:SS.000+0000``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime(int(ts)))


def sf_date(ts: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(int(ts)))


def iso_z(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def day_strings(ts: np.ndarray, fmt: str = "%Y-%m-%d") -> np.ndarray:
    """Vectorised UTC date strings for epoch seconds (pandas' strftime is slow per row)."""
    days = np.asarray(ts, dtype=np.int64) // 86_400
    uniq, inv = np.unique(days, return_inverse=True)
    lookup = np.array(
        [time.strftime(fmt, time.gmtime(int(d) * 86_400)) for d in uniq], dtype=object
    )
    return lookup[inv]


def iso_strings(ts: np.ndarray, suffix: str = "Z", offset_hours: int = 0) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS<suffix>`` for epoch seconds, shifted by ``offset_hours``."""
    t = np.asarray(ts, dtype=np.int64) + offset_hours * 3_600
    day = day_strings(t)
    sod = t % 86_400
    return np.array(
        [
            f"{d}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}"
            for d, s in zip(day, sod.tolist(), strict=True)
        ],
        dtype=object,
    )


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass
class MalformedLog:
    """Rows broken on purpose: (source, file, row, field, value, reason) for the truth folder."""

    rows: list[dict] = field(default_factory=list)

    def add(
        self, source: str, file: str, row: int, field_name: str, value: object, reason: str
    ) -> None:
        self.rows.append(
            {
                "source": source,
                "file": file,
                "row": int(row),
                "field": field_name,
                "value": "" if value is None else str(value),
                "reason": reason,
            }
        )

    def frame(self) -> pd.DataFrame:
        cols = ["source", "file", "row", "field", "value", "reason"]
        return pd.DataFrame(self.rows, columns=cols).sort_values(
            ["file", "row", "field"], kind="stable"
        )


def pick_malformed(
    rng: np.random.Generator, n: int, rate: float = 0.001, minimum: int = 1
) -> np.ndarray:
    """Positions (0-based, sorted) of about ``rate`` of ``n`` rows, at least ``minimum``."""
    if n == 0:
        return np.array([], dtype=int)
    k = min(n, max(minimum, int(round(n * rate))))
    return np.sort(rng.choice(n, size=k, replace=False))


def write_soql_pages(
    out_dir: Path,
    root: Path,
    sobject: str,
    extract_ts: int,
    records: list[dict],
    page_size: int = PAGE_SIZE,
) -> list[Path]:
    """Write one SOQL query result as ``<YYYYMMDDTHHMMSSZ>-<page:04d>.json`` pages.

    Mirrors ``GET /services/data/vNN.N/query``: every page carries ``totalSize``; all but the
    last have ``done: false`` and a ``nextRecordsUrl``.
    """
    stamp = pd.Timestamp(int(extract_ts), unit="s", tz="UTC").strftime("%Y%m%dT%H%M%SZ")
    folder = out_dir / "salesforce" / sobject
    folder.mkdir(parents=True, exist_ok=True)
    locator = f"01g5g{(int(extract_ts) * 31 + len(sobject)) % 10**10:010d}AAA"
    paths = []
    n_pages = max(1, -(-len(records) // page_size))
    for page in range(n_pages):
        chunk = records[page * page_size : (page + 1) * page_size]
        body: dict = {"totalSize": len(records), "done": page == n_pages - 1}
        if page < n_pages - 1:
            body["nextRecordsUrl"] = (
                f"/services/data/v{API_VERSION}/query/{locator}-{(page + 1) * page_size}"
            )
        body["records"] = chunk
        path = folder / f"{stamp}-{page + 1:04d}.json"
        path.write_text(dumps(body) + "\n", encoding="utf-8")
        paths.append(path.relative_to(root))
    return paths


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """RFC 4180 CSV, UTF-8, ``\\n`` line ends, empty string for missing values."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _cells(values: list, null: str = "") -> list:
    return [
        null if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v for v in values
    ]  # None/NA/NaN -> the vendor's empty field


def write_csv_files(
    root: Path, names: np.ndarray, frame: pd.DataFrame, columns: list[str], null: str = ""
) -> int:
    """Write ``frame`` (already sorted by ``names``) as one CSV per distinct relative name.

    ``null``: how the vendor writes an empty field (Marketo's bulk export: ``null``).
    One pass with the ``csv`` module: pandas' ``to_csv`` per small file costs more in
    set-up than in writing, which dominated the small scale's run time.
    """
    names = np.asarray(names, dtype=object)
    if len(names) == 0:
        return 0
    cols = [_cells(frame[c].tolist(), null) for c in columns]
    rows = list(zip(*cols, strict=True))
    cuts = np.r_[0, np.flatnonzero(names[1:] != names[:-1]) + 1, len(names)]
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows[lo:hi])
        path = root / names[lo]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(buf.getvalue(), encoding="utf-8")
    return len(cuts) - 1
