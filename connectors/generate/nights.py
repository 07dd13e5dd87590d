"""One generated world delivered night by night, as the vendors would have sent it.

The generator draws a whole world for an end date; a world ending one day later is another
draw, so "one more day" cannot come from two generations. It comes from ONE world, sliced by
the date in each file's name: a day's file is sent when its day is over, a Salesforce
extract at its extract instant (the pull at the following midnight belongs to the night).
GA4 and the ad platforms rewrite their recent days after sending them (late events,
restatements), so their files for a night come from a pull of the same world at that
moment (``generate(..., delivered_at=end_of(night))``). A Marketo file holds the activities
of its day and the last version of each lead changed that day, a Salesforce page the
versions changed before its extract instant: no source is a snapshot, so the slice is a
faithful "what the vendor had sent by then" — except that the generator extracts Salesforce
weekly (plus once at the world's end), while a nightly pipeline pulls it every night:
``salesforce_nightly_pull`` cuts that night's pull from the next extract. Used by the
incremental = full-refresh test and the nightly benchmark.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

DATE_IN_NAME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?")
PULLED_ON_THE_NIGHT = ("ga4/", "ads/")  # files whose recent days change after they are sent


def end_of(day: dt.date) -> dt.datetime:
    """The night's as-of instant: the day's last second, UTC."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def sent_by(relative: str, night: dt.date) -> bool:
    """Had the vendor sent this file by the nightly pull after ``night``? Its name dates it
    (a day, or a Salesforce extract instant); Salesforce's pull at the following midnight
    belongs to the night."""
    m = DATE_IN_NAME.search(relative.rsplit("/", 1)[-1])
    if not m:
        raise ValueError(f"{relative}: no date in the name, cannot tell when it was sent")
    y, mo, d, hh, mi, ss = (int(g) if g else 0 for g in m.groups())
    sent = dt.datetime(y, mo, d, hh, mi, ss, tzinfo=dt.UTC)
    if m.group(4) is None:  # a day's file: sent when its day is over
        return sent.date() <= night
    return sent <= end_of(night) + dt.timedelta(seconds=1)


def files(root: Path) -> dict[str, Path]:
    """Every file below ``root`` by its relative POSIX path."""
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def night_delivery(
    final: dict[str, Path], pulled: dict[str, Path], night: dt.date
) -> dict[str, Path]:
    """What the vendors had sent by ``night``: the files of ``final`` (the world as
    generated) sent by then, GA4 and the ads taken from ``pulled`` (the same world pulled at
    that night)."""
    chosen = {
        rel: (pulled if rel.startswith(PULLED_ON_THE_NIGHT) else final).get(rel)
        for rel in set(pulled) | set(final)
        if sent_by(rel, night)
    }
    return {rel: src for rel, src in chosen.items() if src is not None}


def deliver(night_files: dict[str, Path], extracts: Path) -> list[str]:
    """Copy what is new or changed into ``extracts`` (a fresh mtime, as a download has);
    files with the same bytes are left alone. Returns the relative paths copied."""
    sent = []
    for rel, src in sorted(night_files.items()):
        target = extracts / rel
        if target.exists() and target.read_bytes() == src.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        sent.append(rel)
    return sent


def _stamp(record: dict) -> dt.datetime | None:
    text = record.get("SystemModstamp") or record.get("CreatedDate")
    try:
        return dt.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def salesforce_nightly_pull(final: dict[str, Path], night: dt.date, out: Path) -> dict[str, Path]:
    """The incremental Salesforce pull at the midnight after ``night``, per object: the
    records of the object's next extract (the first one not sent by then) whose
    SystemModstamp (CreatedDate for history rows) is on or before the night's end, written
    as an extract of that midnight under ``out``. The next extract later re-sends them
    (identical versions count once); a record changed again after the night reaches
    the warehouse with its later version only. Returns {relative path: file}."""
    midnight = end_of(night) + dt.timedelta(seconds=1)
    name = f"{midnight:%Y%m%dT%H%M%SZ}"
    pages: dict[str, list[str]] = {}
    for rel in final:
        if rel.startswith("salesforce/") and not sent_by(rel, night):
            pages.setdefault(rel.rsplit("/", 1)[0], []).append(rel)
    pulled: dict[str, Path] = {}
    for folder, rels in sorted(pages.items()):
        first = min(r.rsplit("/", 1)[1][:16] for r in rels)
        for rel in sorted(r for r in rels if r.rsplit("/", 1)[1][:16] == first):
            body = json.loads(final[rel].read_text(encoding="utf-8"))
            kept = [r for r in body["records"] if (_stamp(r) or midnight) < midnight]
            if not kept:
                continue
            body.update(records=kept, totalSize=len(kept), done=True)
            target_rel = f"{folder}/{name}{rel.rsplit('/', 1)[1][16:]}"
            target = out / target_rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(
                json.dumps(body, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
            )
            pulled[target_rel] = target
    return pulled
