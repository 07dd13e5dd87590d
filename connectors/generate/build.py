"""Generate every source's extract files from one simulated world (the public entry point)."""

from __future__ import annotations

import datetime as dt
import filecmp
import logging
import os
import shutil
import time
from pathlib import Path

import numpy as np

from connectors.generate import ads, ga4, marketo, salesforce, truth
from connectors.generate.world import build_world, scale_config
from connectors.generate.writers import MalformedLog

log = logging.getLogger(__name__)
SOURCE_DIRS = ["salesforce", "marketo", "ga4", "ads"]


def generate(
    out_dir: Path,
    scale: str = "small",
    seed: int = 42,
    truth_dir: Path | None = None,
    *,
    end_date: dt.date,
    delivered_at: dt.datetime | None = None,
) -> dict:
    """Write all vendor-format extracts under ``out_dir`` and the ground truth beside it.

    The world covers the two years ending on ``end_date`` (its last second is the as-of
    instant); the CLI passes yesterday (UTC) so the demo on any day is "last night's data".
    Deterministic: the same ``scale``, ``seed`` and ``end_date`` give byte-identical files
    (no wall clock is read into any file). Source folders already in ``out_dir``
    (salesforce/, marketo/, ga4/, ads/) end up holding exactly the new files, so stale files
    from another scale or seed never mix in; a file whose bytes are unchanged is left
    untouched (same mtime), as a vendor that re-sends nothing, so generating the same world
    twice leaves nothing for the loader or ``revloop run`` to do. ``delivered_at`` (default:
    the end date's last second) is when the files are pulled: GA4's last days and the ad
    platforms' recent days are written as the vendors would deliver them then (see
    ``ga4.py``, ``ads.py``), so generating the same world with a later ``delivered_at``
    re-delivers those files with new content. Returns ``{"<source>__<entity>": {"files": n,
    "rows": n}}`` for every raw table the loaders will fill, plus ``"truth"`` for the
    ground-truth folder.
    """
    scale_config(scale)  # an unknown scale fails before any file is touched
    started = time.perf_counter()
    out_dir = Path(out_dir)
    truth_dir = Path(truth_dir) if truth_dir is not None else out_dir.parent / "truth"
    final_dir = out_dir
    final_dir.mkdir(parents=True, exist_ok=True)
    out_dir = final_dir.parent / f".{final_dir.name}.generating"  # same file system
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)

    def rng(stream: int) -> np.random.Generator:
        # independent, stable streams per renderer: editing one never shifts another
        return np.random.default_rng([seed, stream])

    log.info("generating %s world (seed %d) into %s", scale, seed, out_dir)
    world = build_world(scale, seed, end_date)
    pulled = world.t1 if delivered_at is None else int(delivered_at.timestamp())
    bad = MalformedLog()
    sf = salesforce.build_salesforce(world, rng(1))
    ws = ga4.build_sessions(world, rng(2))
    events = ga4.build_events(ws, rng(3))
    leads, people_map = marketo.build_leads(world, ws, sf, rng(4))
    activities = marketo.build_activities(world, ws, events, leads, people_map, rng(5))
    counts: dict = {}
    for sobject, c in salesforce.write_salesforce(sf, out_dir, rng(6), bad).items():
        counts[f"salesforce__{_snake(sobject)}"] = c
    counts["marketo__leads"] = marketo.write_leads(leads, out_dir, rng(7), bad)
    counts["marketo__activities"] = marketo.write_activities(activities, out_dir, rng(8), bad)
    counts["ga4__events"] = ga4.write_ga4(
        ws, events, out_dir, rng(9), bad, delivered_at=pulled, late_rng=rng(12)
    )
    perf = ads.daily_performance(ws, rng(10))
    counts.update(
        ads.write_ads(ws, perf, out_dir, rng(11), bad, delivered_at=pulled, restate_rng=rng(13))
    )
    changed = _settle(out_dir, final_dir)
    truth_rows = truth.write_truth(truth_dir, world, sf, leads, ws, bad)
    counts["truth"] = {"files": len(truth_rows), "rows": sum(truth_rows.values())}
    log.info(
        "generated %d GA4 events, %d malformed rows in %.1fs (%d files written, %d unchanged "
        "left alone, %d removed)",
        counts["ga4__events"]["rows"],
        truth_rows["malformed_rows.csv"],
        time.perf_counter() - started,
        *changed,
    )
    return counts


def _settle(work: Path, out_dir: Path) -> tuple[int, int, int]:
    """Move the generated source folders from ``work`` into ``out_dir``: new and changed
    files replace the old ones (``os.replace``, atomic per file), files with identical bytes
    stay as they were, files no longer generated are removed. Returns (written, unchanged,
    removed)."""
    written = unchanged = removed = 0
    for name in SOURCE_DIRS:
        new_root, old_root = work / name, out_dir / name
        new_files = {p.relative_to(new_root) for p in new_root.rglob("*") if p.is_file()}
        if old_root.exists():
            for old in sorted(p for p in old_root.rglob("*") if p.is_file()):
                if old.relative_to(old_root) not in new_files:
                    old.unlink()
                    removed += 1
        for rel in sorted(new_files):
            src, dst = new_root / rel, old_root / rel
            if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
                unchanged += 1
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            written += 1
        if old_root.exists():  # folders left empty by removed files
            for folder in sorted((p for p in old_root.rglob("*") if p.is_dir()), reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
    shutil.rmtree(work, ignore_errors=True)
    return written, unchanged, removed


def yesterday_utc(now: dt.datetime | None = None) -> dt.date:
    """The default end date of a generated world: yesterday in UTC, so a demo run today
    sees "last night's" data and a nightly as-of of now."""
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).date() - dt.timedelta(days=1)


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
