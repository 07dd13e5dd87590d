"""Load extract files into ``raw.<source>__<entity>``: deliveries, not paths; incremental,
idempotent, all-or-nothing.

A file is identified by its path and the SHA-256 of its bytes. A path whose bytes changed is a
new delivery: it is loaded and supersedes the earlier one (whose rows stay in raw, marked
``_superseded_at``, so staging reads the newest only). Unchanged files are recognised by size
and mtime without hashing. New deliveries are read by DuckDB in chunks, checked against their
contract and written (good rows to raw, bad rows to quarantine, one manifest row per file) in
one transaction per chunk, so a crash never leaves a half-loaded file and a re-run simply picks
it up again. A file whose quarantined share is above its contract's limit fails as a whole.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.contracts import Contract, ContractViolation, delivery_slot, load_contracts
from connectors.load import manifest
from connectors.load.drift import odd_record_structures, unknown_keys
from connectors.load.files import ExtractFile, PreparedFile, discover, prepare
from connectors.load.readers import describe_keys, drop_staging, stage
from connectors.load.report import FileFailure, LoadReport
from connectors.load.validate import (
    check_rows,
    ensure_tables,
    existing_columns,
    extra_keys_by_file,
    file_stats,
    top_reasons,
    write_rows,
)
from connectors.load.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect

log = logging.getLogger(__name__)
# Progress for whoever runs the loader (the CLI draws a bar per source from these records;
# `extra["revloop_progress"]` carries {"stage", "label", "done", "total", "unit"}).
progress_log = logging.getLogger("revloop.progress")


def _file_progress(label: str, total: int) -> Callable[[], None]:
    """A tick to call once per file handled; logs done/total as a progress record."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        progress_log.debug(
            "load %s: %d/%d files",
            label,
            done,
            total,
            extra={
                "revloop_progress": {
                    "stage": "load",
                    "label": label,
                    "done": done,
                    "total": total,
                    "unit": "files",
                }
            },
        )

    return tick


# Files of one entity are loaded in chunks of about this many bytes, one transaction each:
# big enough for DuckDB to parallelise, small enough to bound memory (~2 GB at the GA4 peak).
CHUNK_BYTES = 768 * 1024 * 1024
PREPARE_THREADS = 2  # one per core: more would only slow DuckDB's own threads
Item = tuple[ExtractFile, PreparedFile]


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@dataclass
class _Run:
    """What one load run shares across its files."""

    con: duckdb.DuckDBPyConnection
    batch_id: str
    loaded_at: datetime
    report: LoadReport
    scratch: Path
    latest: dict[str, manifest.LatestDelivery]
    seen: dict[str, str]  # checksum -> file whose current delivery has those bytes
    touched: list[tuple[str, str, datetime | None]] = field(default_factory=list)


def _entry(file: ExtractFile, prepared: PreparedFile, run: _Run) -> manifest.ManifestEntry:
    contract = file.contract
    assert contract is not None
    return manifest.ManifestEntry(
        file=file.relative,
        checksum=prepared.checksum,
        rows_in=0,
        rows_loaded=0,
        rows_quarantined=0,
        status="empty",
        batch_id=run.batch_id,
        loaded_at=run.loaded_at,
        source=contract.source,
        table_name=contract.table,
        bytes=prepared.size,
        encoding=prepared.encoding,
        modified_at=file.modified_at,
    )


def _share_error(run: _Run, contract: Contract, rel: str, rows_in: int, bad: int) -> str:
    """The message of a file that is mostly bad: its share and its three commonest problems."""
    examples = []
    for fields, count, row, reason, record in top_reasons(run.con, rel):
        shown = (record or "")[:160]
        examples.append(f"{fields} ({count} rows; e.g. row {row}: {reason}; record {shown})")
    return (
        f"{rel}: {bad} of {rows_in} rows ({bad / rows_in:.1%}) break the contract, above "
        f"max_quarantined_share {contract.max_quarantined_share:.0%} of "
        f"{contract.path.name}: a format change, not a few bad rows, so nothing of the file "
        "was loaded. Most common: " + " | ".join(examples) + ". Fix the export and deliver "
        "it again, or set it aside with `revloop files --ignore`."
    )


def _presence_problem(contract: Contract, rel: str, present_mask: int) -> str | None:
    """JSON lines: columns judged on every record. A required column no record carries fails
    the file. A line leaves a null field out (GA4's export does), so an omittable column no
    record of a day carries only means it had no value that day: not drift (unlike a CSV
    header without the column)."""
    present = {c.name for i, c in enumerate(contract.columns) if present_mask >> i & 1}
    missing = [c.name for c in contract.columns if c.must_be_present and c.name not in present]
    if missing:
        return (
            f"{rel}: missing required column(s) {missing} for {contract.table} (contract "
            f"{contract.path.name}): no record of the file carries them; found {sorted(present)}"
        )
    return None


def _commit_staged(
    run: _Run,
    contract: Contract,
    items: list[Item],
    line_by_line: bool = False,
    fold: dict[str, list[str]] | None = None,
    known_nested: dict[str, list[str]] | None = None,
) -> list[Item]:
    """Stage and check ``items`` (temp tables), then write and record them in ONE transaction
    (all of them or none). Returns the JSONL files whose keys did not add up, to be read
    again line by line (where every record is compared on its own).

    ``line_by_line``: read a lone JSONL file line by line. ``fold``/``known_nested``: the
    second pass after unknown keys were found (their values go to ``_extra``).
    """
    con = run.con
    check_keys = fold is None
    staged = stage(
        con,
        contract,
        [(p.text_path, f.relative) for f, p in items],
        {f.relative: p.sample_keys for f, p in items if p.sample_keys is not None},
        {f.relative for f, p in items if p.blank_lines or line_by_line},
        fold,
    )
    if known_nested:
        staged.nested.update(known_nested)
    try:
        check_rows(
            con,
            contract,
            staged.late_rows,
            staged.nested_typed,
            staged.json_columns,
            per_record_keys=staged.keys_checked == "record",
        )
        everything_failed = staged.failed.keys() == {f.relative for f, _ in items}
        stats = {} if everything_failed else file_stats(con, contract, staged.keys_checked)
        rejected: dict[str, str] = {}
        recheck: list[Item] = []
        refold_typed: dict[str, list[str]] = {}  # JSONL files to read again with these keys
        for item in items:
            rel = item[0].relative
            st = stats.get(rel)
            if rel in staged.failed or st is None:
                continue
            if contract.format == "jsonl":
                problem = _presence_problem(contract, rel, st["present"])
                if problem:
                    rejected[rel] = problem
                    continue
            if contract.too_many_quarantined(st["rows"], st["bad"]):
                rejected[rel] = _share_error(run, contract, rel, st["rows"], st["bad"])
                continue
            if (
                check_keys
                and staged.keys_checked == "file"
                and (item[1].text_keys is None or st["keys"] != item[1].text_keys)
            ):
                # The typed read did not account for every key: find out which, exactly.
                try:
                    top, nested = unknown_keys(contract, describe_keys(con, item[1].text_path))
                except duckdb.Error as exc:
                    log.info("%s: cannot describe its keys (%s); reading it line by line", rel, exc)
                    recheck.append(item)
                    continue
                if top or nested:
                    staged.nested[rel] = nested
                    refold_typed[rel] = sorted(
                        set(top) | {p.split(".")[0].removesuffix("[]") for p in nested}
                    )
        refold: dict[str, list[str]] = {}
        if check_keys and staged.keys_checked == "record":
            for rel, structure in odd_record_structures(con).items():
                if rel in rejected or rel in staged.failed:
                    continue
                top, nested = unknown_keys(contract, structure)
                if nested:
                    staged.nested[rel] = nested
                wanted = set(top) | {p.split(".")[0].removesuffix("[]") for p in nested}
                if wanted - set(staged.kept):
                    refold[rel] = sorted(wanted | set(staged.kept))
        if refold:
            drop_staging(con)
            # Keep every unknown value: stage again with those keys folded into _extra.
            return _commit_staged(run, contract, items, line_by_line, refold, staged.nested)
    except BaseException:
        drop_staging(con)
        raise
    exclude = set(rejected) | {f.relative for f, _ in recheck} | set(refold_typed)
    stats_table = run.report.table(contract.table)
    drift: list[tuple[str, str, str]] = []
    con.execute("BEGIN")
    try:
        counts = write_rows(con, contract, run.batch_id, run.loaded_at, exclude)
        columns = set(contract.column_names)
        for rel, keys in extra_keys_by_file(con).items():
            known = staged.extra.setdefault(rel, [])
            known.extend(k for k in keys if k not in known and k not in columns)
        entries = []
        for file, prepared in items:
            rel = file.relative
            if rel in staged.failed or rel in exclude:
                continue
            entry = _entry(file, prepared, run)
            entry.rows_in, entry.rows_loaded, entry.rows_quarantined = counts.get(rel, (0, 0, 0))
            entry.status = "loaded" if entry.rows_in else "empty"
            entries.append(entry)
            drift += [(rel, c, "extra_column") for c in staged.extra.get(rel, [])]
            drift += [(rel, c, "extra_nested_key") for c in staged.nested.get(rel, [])]
            drift += [(rel, c, "missing_column") for c in staged.missing.get(rel, [])]
            stats_table.files_loaded += 1
            stats_table.rows_loaded += entry.rows_loaded
            stats_table.rows_quarantined += entry.rows_quarantined
            before = run.latest.get(rel)
            if before is not None and before.checksum != prepared.checksum:
                run.report.redelivered.append(rel)
        if drift:
            con.execute(
                """INSERT INTO raw._schema_drift
                   SELECT unnest($1), $2, unnest($3), unnest($4), $5, $6""",
                [
                    [d[0] for d in drift],
                    contract.table,
                    [d[1] for d in drift],
                    [d[2] for d in drift],
                    run.batch_id,
                    run.loaded_at,
                ],
            )
        manifest.record_many(con, entries)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        drop_staging(con)
    drifted: dict[str, None] = {}  # unknown keys of the files written, in order
    drifted_files = 0
    for file, prepared in items:
        rel = file.relative
        error = staged.failed.get(rel) or rejected.get(rel)
        if error:
            _record_failure(run, file, error, prepared)
        elif rel not in exclude and (staged.extra.get(rel) or staged.nested.get(rel)):
            drifted_files += 1
            drifted.update(dict.fromkeys(staged.extra.get(rel, []) + staged.nested.get(rel, [])))
    if drifted_files:
        log.warning(
            "raw.%s: %d file(s) carry key(s) the contract does not declare, kept in _extra "
            "(schema drift, per file in raw._schema_drift): %s",
            contract.table,
            drifted_files,
            ", ".join(list(drifted)[:20]),
        )
    for file, _ in recheck:
        log.info("%s: keys could not be checked typed; reading it line by line", file.relative)
    if refold_typed:
        again = [item for item in items if item[0].relative in refold_typed]
        log.info(
            "raw.%s: %d file(s) with keys the contract does not declare; reading them again "
            "with those keys kept",
            contract.table,
            len(again),
        )
        known = {rel: staged.nested.get(rel, []) for rel in refold_typed}
        recheck += _commit_staged(run, contract, again, False, refold_typed, known)
    return recheck


def _load_contract_files(
    run: _Run,
    contract: Contract,
    files: list[ExtractFile],
    tick: Callable[[], None] = lambda: None,
) -> None:
    """Load the pending files of one entity in chunks; record empties and duplicates.

    Files are checksummed on worker threads that run ahead of the loading (hashing releases
    the GIL, and so does DuckDB), so preparing chunk k+1 overlaps loading chunk k. Results
    arrive in the order of ``files``, so duplicate detection stays deterministic.
    """
    stats = run.report.table(contract.table)
    early: list[manifest.ManifestEntry] = []  # empties and duplicates: nothing to read
    chunk: list[Item] = []
    chunk_bytes = 0

    def one(file: ExtractFile) -> PreparedFile | ContractViolation:
        try:
            return prepare(file, run.scratch)
        except ContractViolation as exc:
            return exc

    with ThreadPoolExecutor(max_workers=PREPARE_THREADS) as pool:
        for file, prepared in zip(files, pool.map(one, files), strict=True):
            tick()
            if isinstance(prepared, ContractViolation):
                _record_failure(run, file, str(prepared))
                continue
            before = run.latest.get(file.relative)
            if (
                before is not None
                and before.checksum == prepared.checksum
                and (before.ignored or before.status in manifest.DONE_STATUSES)
            ):
                # Same bytes, new mtime (a copy, a touch): nothing to load.
                run.touched.append((file.relative, prepared.checksum, file.modified_at))
                if before.ignored:
                    stats.files_ignored += 1
                    run.report.ignored.append(file.relative)
                else:
                    stats.files_skipped += 1
                continue
            entry = _entry(file, prepared, run)
            if prepared.text_path is None:  # 0 bytes or blank: nothing to load, not an error
                early.append(entry)
                stats.files_loaded += 1
                continue
            original = run.seen.get(prepared.checksum)
            if (
                original is not None
                and original != file.relative
                and not _replaces(contract, file.relative, original)
            ):
                log.warning(
                    "%s: same bytes as %s, already loaded; skipped", file.relative, original
                )
                entry.status, entry.duplicate_of = "duplicate", original
                early.append(entry)
                stats.files_skipped += 1
                run.report.duplicates[file.relative] = original
                continue
            run.seen[prepared.checksum] = file.relative
            if prepared.blank_lines:  # read line by line, alone, so line numbers stay exact
                _load_chunk(run, contract, [(file, prepared)])
                continue
            if chunk and chunk_bytes + prepared.size > CHUNK_BYTES:
                _load_chunk(run, contract, chunk)
                chunk, chunk_bytes = [], 0
            chunk.append((file, prepared))
            chunk_bytes += prepared.size
        if chunk:
            _load_chunk(run, contract, chunk)
    run.con.execute("BEGIN")
    manifest.record_many(run.con, early)
    run.con.execute("COMMIT")


def _replaces(contract: Contract, relative: str, original: str) -> bool:
    """Whether the file ``relative`` supersedes ``original`` by a ``replaces`` rule (GA4's
    daily file and its day's intraday file). Such a file is loaded even when its bytes equal
    the original's: recorded as a duplicate it would hold no rows, yet still supersede the
    original, and the day's events would leave staging (seen on a quiet day whose intraday
    file was already complete)."""
    return delivery_slot(original) in contract.replaced_slots(delivery_slot(relative))


def _load_chunk(run: _Run, contract: Contract, to_read: list[Item]) -> None:
    """Load files in one transaction; on a read error, file by file to isolate the culprit;
    files whose keys did not add up are read again alone, line by line."""
    recheck: list[Item] = []
    try:
        recheck = _commit_staged(run, contract, to_read)
    except duckdb.Error as exc:
        if len(to_read) > 1:
            log.info("raw.%s: batch read failed (%s); loading file by file", contract.table, exc)
            for item in to_read:
                try:
                    recheck += _commit_staged(run, contract, [item])
                except duckdb.Error as exc1:
                    _load_one_after_failure(run, contract, item, exc1)
        else:
            _load_one_after_failure(run, contract, to_read[0], exc)
    for item in recheck:
        try:
            _commit_staged(run, contract, [item], line_by_line=True)
        except duckdb.Error as exc:
            _record_failure(run, item[0], f"{item[0].relative}: could not be read: {exc}", item[1])


def _load_one_after_failure(run: _Run, contract: Contract, item: Item, error: Exception) -> None:
    """A file DuckDB could not read: if its encoding was never checked, check it (Shift-JIS is
    converted) and, when that changed the text, try again; a JSONL file is then read line by
    line (bad lines quarantined with their numbers); otherwise it is marked failed with
    DuckDB's message."""
    file, prepared = item
    if not prepared.utf8_verified:
        try:
            checked = prepare(file, run.scratch, verify_utf8=True)
        except ContractViolation as exc:
            _record_failure(run, file, str(exc), prepared)
            return
        if checked.text_path != prepared.text_path:  # converted: the encoding was the problem
            try:
                for again in _commit_staged(run, contract, [(file, checked)]):
                    _commit_staged(run, contract, [again], line_by_line=True)
                return
            except duckdb.Error as exc:
                error = exc
        prepared = checked
    if contract.format == "jsonl":
        log.info("%s: typed JSONL read failed (%s); reading line by line", file.relative, error)
        try:
            _commit_staged(run, contract, [(file, prepared)], line_by_line=True)
            return
        except duckdb.Error as exc:
            error = exc
    msg = f"{file.relative}: could not be read as {contract.format}: {error}"
    _record_failure(run, file, msg, prepared)


def _record_failure(
    run: _Run, file: ExtractFile, error: str, prepared: PreparedFile | None = None
) -> None:
    """Mark a delivery ``failed`` in the manifest (replacing an earlier failure of the same
    bytes) and report it."""
    contract = file.contract
    if prepared is not None:
        checksum, size = prepared.checksum, prepared.size
    else:
        try:
            data = file.path.read_bytes()
            checksum, size = hashlib.sha256(data).hexdigest(), len(data)
        except OSError:
            checksum, size = "", None
    run.con.execute("BEGIN")
    manifest.record(
        run.con,
        manifest.ManifestEntry(
            file=file.relative,
            checksum=checksum,
            rows_in=0,
            rows_loaded=0,
            rows_quarantined=0,
            status="failed",
            batch_id=run.batch_id,
            loaded_at=run.loaded_at,
            source=contract.source if contract else file.relative.split("/")[0],
            table_name=contract.table if contract else None,
            bytes=size,
            error=error,
            modified_at=file.modified_at,
        ),
    )
    run.con.execute("COMMIT")
    table = contract.table if contract else None
    if table:
        run.report.table(table).files_failed += 1
    run.report.failures.append(FileFailure(file.relative, table, error))
    log.error("%s", error)


def _unchanged(file: ExtractFile, before: manifest.LatestDelivery | None) -> bool:
    """Same size and mtime as the delivery last recorded at this path, which needs no work."""
    return (
        before is not None
        and (before.status in manifest.DONE_STATUSES or before.ignored)
        and before.bytes == file.size
        and before.modified_at is not None
        and before.modified_at == file.modified_at
    )


def _load_contracts(
    con: duckdb.DuckDBPyConnection,
    extracts: Path,
    contracts: list[Contract],
    batch_id: str,
) -> LoadReport:
    report = LoadReport(batch_id=batch_id)
    manifest.ensure_metadata_tables(con)
    columns = existing_columns(con)
    for contract in contracts:
        ensure_tables(con, contract, columns)
        report.table(contract.table)
    latest = manifest.latest_deliveries(con)
    pending: dict[str, list[ExtractFile]] = {c.table: [] for c in contracts}
    with tempfile.TemporaryDirectory(prefix="revloop-load-") as tmp:
        run = _Run(
            con=con,
            batch_id=batch_id,
            loaded_at=datetime.now(UTC),
            report=report,
            scratch=Path(tmp),
            latest=latest,
            seen=manifest.current_checksums(con),
        )
        for file in discover(Path(extracts), contracts):
            before = latest.get(file.relative)
            if _unchanged(file, before):
                assert before is not None
                table = report.table(file.contract.table) if file.contract else None
                if before.ignored:
                    report.ignored.append(file.relative)
                    if table:
                        table.files_ignored += 1
                elif table:
                    table.files_skipped += 1
                continue
            if file.contract is None:
                error = (
                    f"{file.relative}: unknown file format: no contract matches this name "
                    f"(expected one of {sorted({c.file_pattern for c in contracts})}, "
                    "optionally .gz)"
                )
                _record_failure(run, file, error)
                continue
            pending[file.contract.table].append(file)
        sources = sorted({c.source for c in contracts})
        label = sources[0] if len(sources) == 1 else "all sources"
        tick = _file_progress(label, sum(len(files) for files in pending.values()))
        for contract in contracts:
            if pending[contract.table]:
                _load_contract_files(run, contract, pending[contract.table], tick)
        con.execute("BEGIN")
        try:
            manifest.touch(con, run.touched)
            for change in manifest.refresh_currency(con, contracts, run.loaded_at):
                if change.superseded:
                    report.superseded[f"{change.file}@{change.checksum[:12]}"] = change.by or ""
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return report


def load_source(
    warehouse: Path,
    extracts: Path,
    source: str,
    batch_id: str | None = None,
    *,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> LoadReport:
    """Load the new deliveries of one source (``salesforce``, ``marketo``, ``ga4``, ...)."""
    contracts = load_contracts(source)
    con = connect(warehouse, wait_seconds=lock_wait_seconds)
    try:
        return _load_contracts(con, Path(extracts), contracts, batch_id or new_batch_id())
    finally:
        con.close()


def load_all(
    warehouse: Path,
    extracts: Path,
    batch_id: str | None = None,
    *,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> LoadReport:
    """Load the new deliveries of every source with a contract; one batch id for the run.

    Files that break their contract are recorded as failed and listed in
    ``LoadReport.failures``; the other files still load. Call ``report.raise_for_failures()``
    to turn failures into a :class:`ContractViolation`.
    """
    contracts = load_contracts()
    con = connect(warehouse, wait_seconds=lock_wait_seconds)
    try:
        report = _load_contracts(con, Path(extracts), contracts, batch_id or new_batch_id())
    finally:
        con.close()
    log.info("%s", report.summary())
    return report


def list_pending_files(warehouse: Path, extracts: Path) -> list[Path]:
    """Files on disk the warehouse has not loaded as they are now (read-only; for a Dagster
    sensor): new paths, paths whose size or mtime changed since their last delivery, and
    failed deliveries not set aside (so a failed set is asked for again)."""
    files = discover(Path(extracts), load_contracts())
    latest: dict[str, manifest.LatestDelivery] = {}
    warehouse = Path(warehouse)
    if warehouse.exists():
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # A load holds the write lock: report nothing now, the next sensor tick will see.
            log.warning("%s is busy (%s); no pending files reported this time", warehouse, exc)
            return []
        try:
            present = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
                ).fetchall()
            }
            if {"_manifest", "_ignored_deliveries"} <= present:
                cols = {
                    r[0]
                    for r in con.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = 'raw' AND table_name = '_manifest'"
                    ).fetchall()
                }
                if "modified_at" in cols:
                    latest = manifest.latest_deliveries(con)
        finally:
            con.close()
    return [f.path for f in files if not _unchanged(f, latest.get(f.relative))]
