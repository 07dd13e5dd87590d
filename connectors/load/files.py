"""Find extract files and hand DuckDB a clean UTF-8 copy of each.

Vendors deliver gzip, byte-order marks and (from Japanese Excel round-trips) Shift-JIS;
DuckDB's readers want plain UTF-8. The SHA-256 of the bytes as delivered is the manifest
checksum, and only files that need it are decoded to a temp copy. Plain JSONL is hashed from
the page cache and not decoded at all: JSON is UTF-8 by definition and DuckDB checks it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import mmap
import os
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from connectors.contracts import Contract, ContractViolation

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
# JSONL files: unknown or missing keys are looked for in each file's first and last records.
SAMPLE_RECORDS = 100
SAMPLE_BYTES = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ExtractFile:
    """One delivered file, identified by its path relative to the extracts folder."""

    path: Path
    relative: str
    contract: Contract | None  # None: the file sits in a source folder but matches no contract


@dataclass(frozen=True)
class PreparedFile:
    """A file's identity (checksum) and a UTF-8 path DuckDB can read."""

    checksum: str
    size: int
    encoding: str
    text_path: Path | None  # None for an empty (0-byte or blank) file
    sample_keys: frozenset[str] | None = None  # JSONL: keys of the first and last records
    blank_lines: bool = False  # JSONL: has blank lines, so it is read line by line
    utf8_verified: bool = True  # False: left to DuckDB's reader, which rejects bad UTF-8


def relative_name(path: Path, extracts: Path) -> str:
    return path.relative_to(extracts).as_posix()


def discover(extracts: Path, contracts: list[Contract]) -> list[ExtractFile]:
    """Files for the given contracts, plus unknown files found in their folders.

    Unknown files (say a ``.xml`` in ``salesforce/Lead/``) are returned with ``contract=None``
    so the loader can fail them loudly instead of ignoring them. Names starting with ``.`` or
    ``_`` (state files, partial downloads) are skipped.
    """
    extracts = Path(extracts)
    found: dict[str, ExtractFile] = {}
    folders = sorted({c.folder for c in contracts})
    for folder in folders:
        base = extracts / folder
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.iterdir() if p.is_file()):
            if path.name.startswith((".", "_")):
                continue
            rel = relative_name(path, extracts)
            owner = next((c for c in contracts if c.matches(rel)), None)
            found[rel] = ExtractFile(path=path, relative=rel, contract=owner)
    return [found[k] for k in sorted(found)]


def _decode(data: bytes, relative: str) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 first; Shift-JIS (cp932) is converted, not rejected."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        label = "utf-8-sig"
    else:
        label = "utf-8"
    try:
        return data.decode("utf-8"), label
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp932")
        except UnicodeDecodeError:
            raise ContractViolation(
                f"{relative}: not UTF-8 (first bad byte at offset {utf8_error.start}) and not "
                "Shift-JIS either; re-export the file as UTF-8"
            ) from utf8_error
        log.warning("%s: converted from Shift-JIS (cp932) to UTF-8", relative)
        return text, "cp932"


def sample_keys(data: bytes, *, from_end: bool = False) -> frozenset[str]:
    """Keys of the first (or last) ``SAMPLE_RECORDS`` JSON-object lines of a file's head (or
    tail); unparseable lines are skipped, they are the reader's business."""
    keys: set[str] = set()
    lines = [line for line in data.split(b"\n") if line.strip()]
    lines = lines[-SAMPLE_RECORDS:] if from_end else lines[:SAMPLE_RECORDS]
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            keys.update(record)
    return frozenset(keys)


def _jsonl_facts(path: Path) -> tuple[frozenset[str], bool]:
    """(keys sampled from the head and the tail, whether the file has blank lines).

    A blank line would shift DuckDB's record count against the file's line numbers, so such
    files are read line by line instead (rare: exports do not write them).
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(SAMPLE_BYTES)
        if size > SAMPLE_BYTES:
            head = head[: head.rfind(b"\n") + 1]  # drop a line cut in the middle
        keys = set(sample_keys(head))
        if size > SAMPLE_BYTES:
            handle.seek(max(size - SAMPLE_BYTES, len(head)))
            tail = handle.read()
            tail = tail[tail.find(b"\n") + 1 :]  # drop a line cut in the middle
            keys.update(sample_keys(tail, from_end=True))
        blank = head.lstrip(b" \t").startswith((b"\n", b"\r\n"))
        if not blank and size:
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                # blank lines at the very end shift nothing, hence the search stops before it
                blank = (
                    mapped.find(b"\n\n", 0, size - 1) >= 0
                    or mapped.find(b"\n\r\n", 0, size - 1) >= 0
                )
    return frozenset(keys), blank


def prepare(file: ExtractFile, scratch: Path, *, verify_utf8: bool | None = None) -> PreparedFile:
    """Checksum the delivered bytes and make sure DuckDB gets plain UTF-8.

    JSON must be UTF-8 (RFC 8259) and DuckDB's JSON reader rejects anything else, naming the
    file and byte, so plain JSONL files are only hashed, straight from the page cache, not
    decoded here: that halves the cost of preparing GA4's gigabytes. ``verify_utf8=True``
    forces the decode check (and Shift-JIS conversion), e.g. after DuckDB refused a file.
    """
    is_jsonl = file.contract is not None and file.contract.format == "jsonl"
    if verify_utf8 is None:
        verify_utf8 = not is_jsonl
    prepared = None if verify_utf8 else _prepare_trusting_reader(file)
    if prepared is None:
        prepared = _prepare(file, scratch)
    if is_jsonl and prepared.text_path is not None:
        keys, blank = _jsonl_facts(prepared.text_path)
        return replace(prepared, sample_keys=keys, blank_lines=blank)
    return prepared


def _prepare_trusting_reader(file: ExtractFile) -> PreparedFile | None:
    """Checksum a plain file without copying it; None when it needs the full treatment
    (gzip, a byte-order mark, or a head that is all blank)."""
    with file.path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
        if head.startswith((GZIP_MAGIC, UTF8_BOM)) or not head.strip():
            return None
        size = os.fstat(handle.fileno()).st_size
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            checksum = hashlib.sha256(mapped).hexdigest()  # releases the GIL: threads help
    return PreparedFile(checksum, size, "utf-8", file.path, utf8_verified=False)


def _prepare(file: ExtractFile, scratch: Path) -> PreparedFile:
    raw = file.path.read_bytes()
    checksum = hashlib.sha256(raw).hexdigest()
    data = raw
    compressed = raw.startswith(GZIP_MAGIC)
    if compressed:
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ContractViolation(
                f"{file.relative}: gzip stream is corrupt or truncated ({exc}); re-deliver the file"
            ) from exc
    if not data.strip():
        return PreparedFile(checksum, len(raw), "utf-8", None)
    # Fast path: plain UTF-8 on disk is read by DuckDB directly.
    if not compressed and not data.startswith(UTF8_BOM):
        if data.isascii():  # ~10x faster than decoding, and most extracts are ASCII
            return PreparedFile(checksum, len(raw), "utf-8", file.path)
        try:
            data.decode("utf-8")
            return PreparedFile(checksum, len(raw), "utf-8", file.path)
        except UnicodeDecodeError:
            pass
    text, encoding = _decode(data, file.relative)
    if compressed:
        encoding = f"gzip+{encoding}"
    suffix = "".join(s for s in Path(file.relative.removesuffix(".gz")).suffixes[-1:])
    target = scratch / (hashlib.sha1(file.relative.encode()).hexdigest() + suffix)
    target.write_text(text, encoding="utf-8")
    return PreparedFile(checksum, len(raw), encoding, target)
