"""Load extract files into ``raw.<source>__<entity>``: incremental, idempotent, all-or-nothing.

New files are read by DuckDB in chunks, checked against their contract and written (good
rows to raw, bad rows to quarantine, one manifest row per file) in one transaction per chunk,
so a crash never leaves a half-loaded file and a re-run simply picks it up again.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.contracts import Contract, ContractViolation, load_contracts
from connectors.load import manifest
from connectors.load.files import ExtractFile, PreparedFile, discover, prepare
from connectors.load.readers import drop_staging, stage
from connectors.load.report import FileFailure, LoadReport
from connectors.load.validate import check_rows, ensure_tables, extra_keys_by_file, write_rows

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


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def _manifest_entry(
    file: ExtractFile, prepared: PreparedFile, batch_id: str, loaded_at: datetime
) -> manifest.ManifestEntry:
    contract = file.contract
    assert contract is not None
    return manifest.ManifestEntry(
        file=file.relative,
        checksum=prepared.checksum,
        rows_in=0,
        rows_loaded=0,
        rows_quarantined=0,
        status="empty",
        batch_id=batch_id,
        loaded_at=loaded_at,
        source=contract.source,
        table_name=contract.table,
        bytes=prepared.size,
        encoding=prepared.encoding,
    )


def _commit_staged(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    items: list[tuple[ExtractFile, PreparedFile]],
    batch_id: str,
    loaded_at: datetime,
    report: LoadReport,
    line_by_line: bool = False,
) -> None:
    """Stage and check ``items`` (temp tables), then write and record them in ONE transaction
    (all of them or none). ``line_by_line``: read a lone JSONL file line by line."""
    staged = stage(
        con,
        contract,
        [(p.text_path, f.relative) for f, p in items],
        {f.relative: p.sample_keys for f, p in items if p.sample_keys is not None},
        {f.relative for f, p in items if p.blank_lines or line_by_line},
    )
    stats = report.table(contract.table)
    try:
        check_rows(con, contract, staged.late_rows, staged.nested_typed)
    except BaseException:
        drop_staging(con)
        raise
    con.execute("BEGIN")
    try:
        counts = write_rows(con, contract, batch_id, loaded_at)
        for rel, keys in extra_keys_by_file(con).items():
            known = staged.extra.setdefault(rel, [])
            known.extend(k for k in keys if k not in known)
        entries = []
        for file, prepared in items:
            if file.relative in staged.failed:
                continue
            entry = _manifest_entry(file, prepared, batch_id, loaded_at)
            entry.rows_in, entry.rows_loaded, entry.rows_quarantined = counts.get(
                file.relative, (0, 0, 0)
            )
            entry.status = "loaded" if entry.rows_in else "empty"
            entries.append(entry)
            for column in staged.extra.get(file.relative, []):
                con.execute(
                    "INSERT INTO raw._schema_drift VALUES (?, ?, ?, 'extra_column', ?, ?)",
                    [file.relative, contract.table, column, batch_id, loaded_at],
                )
            stats.files_loaded += 1
            stats.rows_loaded += entry.rows_loaded
            stats.rows_quarantined += entry.rows_quarantined
        manifest.record_many(con, entries)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        drop_staging(con)
    for file, _ in items:
        if file.relative in staged.failed:
            _record_failure(con, file, staged.failed[file.relative], batch_id, loaded_at, report)
        elif staged.extra.get(file.relative):
            log.warning(
                "%s: extra column(s) %s kept in raw.%s._extra (schema drift)",
                file.relative,
                staged.extra[file.relative],
                contract.table,
            )


def _load_contract_files(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[ExtractFile],
    scratch: Path,
    batch_id: str,
    loaded_at: datetime,
    report: LoadReport,
    checksums: dict[str, str],
    tick: Callable[[], None] = lambda: None,
) -> None:
    """Load the pending files of one entity in chunks; record empties and duplicates.

    Files are checksummed on worker threads that run ahead of the loading (hashing releases
    the GIL, and so does DuckDB), so preparing chunk k+1 overlaps loading chunk k. Results
    arrive in the order of ``files``, so duplicate detection stays deterministic.
    """
    stats = report.table(contract.table)
    seen = checksums  # checksum → file already loaded (this run included)
    early: list[manifest.ManifestEntry] = []  # empties and duplicates: nothing to read
    chunk: list[tuple[ExtractFile, PreparedFile]] = []
    chunk_bytes = 0

    def one(file: ExtractFile) -> PreparedFile | ContractViolation:
        try:
            return prepare(file, scratch)
        except ContractViolation as exc:
            return exc

    with ThreadPoolExecutor(max_workers=PREPARE_THREADS) as pool:
        for file, prepared in zip(files, pool.map(one, files), strict=True):
            tick()
            if isinstance(prepared, ContractViolation):
                _record_failure(con, file, str(prepared), batch_id, loaded_at, report)
                continue
            entry = _manifest_entry(file, prepared, batch_id, loaded_at)
            if prepared.text_path is None:  # 0 bytes or blank: nothing to load, not an error
                early.append(entry)
                stats.files_loaded += 1
                continue
            original = seen.get(prepared.checksum)
            if original is not None and original != file.relative:
                log.warning(
                    "%s: same bytes as %s, already loaded; skipped", file.relative, original
                )
                entry.status, entry.duplicate_of = "duplicate", original
                early.append(entry)
                stats.files_skipped += 1
                report.duplicates[file.relative] = original
                continue
            seen[prepared.checksum] = file.relative
            if prepared.blank_lines:  # read line by line, alone, so line numbers stay exact
                _load_chunk(con, contract, [(file, prepared)], batch_id, loaded_at, report, scratch)
                continue
            if chunk and chunk_bytes + prepared.size > CHUNK_BYTES:
                _load_chunk(con, contract, chunk, batch_id, loaded_at, report, scratch)
                chunk, chunk_bytes = [], 0
            chunk.append((file, prepared))
            chunk_bytes += prepared.size
        if chunk:
            _load_chunk(con, contract, chunk, batch_id, loaded_at, report, scratch)
    con.execute("BEGIN")
    manifest.record_many(con, early)
    con.execute("COMMIT")


def _load_chunk(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    to_read: list[tuple[ExtractFile, PreparedFile]],
    batch_id: str,
    loaded_at: datetime,
    report: LoadReport,
    scratch: Path,
) -> None:
    """Load files in one transaction; on a read error, file by file to isolate the culprit."""
    try:
        _commit_staged(con, contract, to_read, batch_id, loaded_at, report)
        return
    except duckdb.Error as exc:
        if len(to_read) > 1:
            log.info("raw.%s: batch read failed (%s); loading file by file", contract.table, exc)
        else:
            _load_one_after_failure(
                con, contract, to_read[0], exc, batch_id, loaded_at, report, scratch
            )
            return
    for item in to_read:
        try:
            _commit_staged(con, contract, [item], batch_id, loaded_at, report)
        except duckdb.Error as exc:
            _load_one_after_failure(con, contract, item, exc, batch_id, loaded_at, report, scratch)


def _load_one_after_failure(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    item: tuple[ExtractFile, PreparedFile],
    error: Exception,
    batch_id: str,
    loaded_at: datetime,
    report: LoadReport,
    scratch: Path,
) -> None:
    """A file DuckDB could not read: if its encoding was never checked, check it (Shift-JIS is
    converted) and, when that changed the text, try again; a JSONL file is then read line by
    line (bad lines quarantined with their numbers); otherwise it is marked failed with
    DuckDB's message."""
    file, prepared = item
    if not prepared.utf8_verified:
        try:
            checked = prepare(file, scratch, verify_utf8=True)
        except ContractViolation as exc:
            _record_failure(con, file, str(exc), batch_id, loaded_at, report)
            return
        if checked.text_path != prepared.text_path:  # converted: the encoding was the problem
            try:
                _commit_staged(con, contract, [(file, checked)], batch_id, loaded_at, report)
                return
            except duckdb.Error as exc:
                error = exc
        prepared = checked
    if contract.format == "jsonl":
        log.info("%s: typed JSONL read failed (%s); reading line by line", file.relative, error)
        try:
            _commit_staged(
                con, contract, [(file, prepared)], batch_id, loaded_at, report, line_by_line=True
            )
            return
        except duckdb.Error as exc:
            error = exc
    msg = f"{file.relative}: could not be read as {contract.format}: {error}"
    _record_failure(con, file, msg, batch_id, loaded_at, report)


def _record_failure(
    con: duckdb.DuckDBPyConnection,
    file: ExtractFile,
    error: str,
    batch_id: str,
    loaded_at: datetime,
    report: LoadReport,
) -> None:
    """Mark a file ``failed`` in the manifest (replacing an earlier failure) and report it."""
    contract = file.contract
    try:
        data = file.path.read_bytes()
        checksum, size = hashlib.sha256(data).hexdigest(), len(data)
    except OSError:
        checksum, size = "", None
    con.execute("BEGIN")
    manifest.record(
        con,
        manifest.ManifestEntry(
            file=file.relative,
            checksum=checksum,
            rows_in=0,
            rows_loaded=0,
            rows_quarantined=0,
            status="failed",
            batch_id=batch_id,
            loaded_at=loaded_at,
            source=contract.source if contract else file.relative.split("/")[0],
            table_name=contract.table if contract else None,
            bytes=size,
            error=error,
        ),
    )
    con.execute("COMMIT")
    table = contract.table if contract else None
    if table:
        report.table(table).files_failed += 1
    report.failures.append(FileFailure(file.relative, table, error))
    log.error("%s", error)


def _load_contracts(
    con: duckdb.DuckDBPyConnection,
    extracts: Path,
    contracts: list[Contract],
    batch_id: str,
) -> LoadReport:
    report = LoadReport(batch_id=batch_id)
    manifest.ensure_metadata_tables(con)
    for contract in contracts:
        ensure_tables(con, contract)
        report.table(contract.table)
    done = manifest.done_files(con)
    checksums = manifest.loaded_checksums(con)
    loaded_at = datetime.now(UTC)
    pending: dict[str, list[ExtractFile]] = {c.table: [] for c in contracts}
    with tempfile.TemporaryDirectory(prefix="revloop-load-") as tmp:
        for file in discover(Path(extracts), contracts):
            if file.relative in done:
                if file.contract is not None:
                    report.table(file.contract.table).files_skipped += 1
                continue
            if file.contract is None:
                error = (
                    f"{file.relative}: unknown file format: no contract matches this name "
                    f"(expected one of {sorted({c.file_pattern for c in contracts})}, "
                    "optionally .gz)"
                )
                _record_failure(con, file, error, batch_id, loaded_at, report)
                continue
            pending[file.contract.table].append(file)
        sources = sorted({c.source for c in contracts})
        label = sources[0] if len(sources) == 1 else "all sources"
        tick = _file_progress(label, sum(len(files) for files in pending.values()))
        for contract in contracts:
            if pending[contract.table]:
                _load_contract_files(
                    con,
                    contract,
                    pending[contract.table],
                    Path(tmp),
                    batch_id,
                    loaded_at,
                    report,
                    checksums,
                    tick,
                )
    return report


def load_source(
    warehouse: Path, extracts: Path, source: str, batch_id: str | None = None
) -> LoadReport:
    """Load the new files of one source (``salesforce``, ``marketo``, ``ga4``, ...)."""
    contracts = load_contracts(source)
    con = _connect(warehouse)
    try:
        return _load_contracts(con, Path(extracts), contracts, batch_id or new_batch_id())
    finally:
        con.close()


def load_all(warehouse: Path, extracts: Path, batch_id: str | None = None) -> LoadReport:
    """Load the new files of every source with a contract; one batch id for the run.

    Files that break their contract are recorded as failed and listed in
    ``LoadReport.failures``; the other files still load. Call ``report.raise_for_failures()``
    to turn failures into a :class:`ContractViolation`.
    """
    contracts = load_contracts()
    con = _connect(warehouse)
    try:
        report = _load_contracts(con, Path(extracts), contracts, batch_id or new_batch_id())
    finally:
        con.close()
    log.info("%s", report.summary())
    return report


def list_pending_files(warehouse: Path, extracts: Path) -> list[Path]:
    """Extract files not yet recorded in ``raw._manifest`` (read-only; for a Dagster sensor)."""
    files = discover(Path(extracts), load_contracts())
    recorded: set[str] = set()
    warehouse = Path(warehouse)
    if warehouse.exists():
        try:
            con = duckdb.connect(str(warehouse), read_only=True)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # A load holds the write lock: report nothing now, the next sensor tick will see.
            log.warning("%s is busy (%s); no pending files reported this time", warehouse, exc)
            return []
        try:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'raw' AND table_name = '_manifest'"
            ).fetchone()[0]
            if exists:
                recorded = {r[0] for r in con.execute("SELECT file FROM raw._manifest").fetchall()}
        finally:
            con.close()
    return [f.path for f in files if f.relative not in recorded]
