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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from connectors.contracts import Contract, ContractViolation

log = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
# JSONL files: unknown or missing keys are looked for in each file's first and last records.
SAMPLE_RECORDS = 30
SAMPLE_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ExtractFile:
    """One delivered file, identified by its path relative to the extracts folder."""

    path: Path
    relative: str
    contract: Contract | None  # None: the file sits in a source folder but matches no contract
    size: int = 0
    modified_at: datetime | None = None


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
    text_keys: int | None = None  # JSONL: keys with a value in the whole file (None: unsure)


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
    by_folder: dict[str, list[Contract]] = {}
    for c in contracts:
        by_folder.setdefault(c.folder, []).append(c)
    for folder in sorted(by_folder):
        base = extracts / folder
        if not base.is_dir():
            continue
        with os.scandir(base) as entries:
            listed = sorted((e for e in entries if e.is_file()), key=lambda e: e.name)
        for entry in listed:
            if entry.name.startswith((".", "_")):
                continue
            rel = f"{folder}/{entry.name}"
            owner = next((c for c in by_folder[folder] if c.matches(rel)), None)
            st = entry.stat()
            found[rel] = ExtractFile(
                path=base / entry.name,
                relative=rel,
                contract=owner,
                size=st.st_size,
                modified_at=_mtime(st.st_mtime_ns),
            )
    return [found[k] for k in sorted(found)]


def _mtime(ns: int) -> datetime:
    """A file's mtime as a UTC datetime, to the microsecond (what the manifest can store)."""
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
        microsecond=(ns // 1000) % 1_000_000
    )


def _count(data: bytes | memoryview, pattern: bytes) -> int:
    """Occurrences of a 2- or 4-byte pattern, as aligned integer compares at every offset
    (a few passes over the bytes in numpy, GIL released: ~0.2 ms per MB and pattern)."""
    width = len(pattern)
    dtype = {2: "<u2", 4: "<u4"}[width]
    target = int.from_bytes(pattern, "little")
    total = 0
    for offset in range(width):
        usable = (len(data) - offset) // width
        if usable > 0:
            view = np.frombuffer(data, dtype=dtype, count=usable, offset=offset)
            total += int(np.count_nonzero(view == target))
    return total


def json_key_count(data: bytes | memoryview, head: bytes | None = None) -> int:
    """Keys of a JSON text (any depth) with a non-null value — or more, never fewer.

    A key ends in ``":`` and a quote inside a string is always escaped, so counting ``":``
    counts every key exactly, plus two kinds of extra: keys whose value is ``null`` and
    escaped quotes followed by a colon inside strings. Those are subtracted when ``head``
    (the file's first bytes) shows the file has any: GA4's export leaves nulls out and has no
    escapes, so its files cost one numpy pass (~0.3 ms per MB, GIL released). An extra left
    in (a null that only appears late in a file) can only make the count too high: the
    loader then examines that file's keys exactly, so nothing is ever missed.
    """
    keys = _count(data, b'":')
    head = bytes(data[:65536]) if head is None else head
    nulls = b":null" in head or b": null" in head
    if nulls:
        keys -= _count(data, b'":nu') + _count(data, b'": n')
    if b"\\" in head:
        a = np.frombuffer(data, dtype=np.uint8)
        at = np.flatnonzero((a[:-1] == 34) & (a[1:] == 58))
        at = at[at > 1]
        # an escaped quote (one backslash before it); after two backslashes it may be a real
        # key's end: left counted, which only makes the count an upper bound
        escaped = at[(a[at - 1] == 92) & (a[at - 2] != 92)]
        keys -= len(escaped)
        if nulls:  # escaped ones that look like a null were subtracted above already
            tail = escaped[escaped + 3 < len(a)]
            keys += int(np.count_nonzero((a[tail + 2] == 110) & (a[tail + 3] == 117)))
            keys += int(np.count_nonzero((a[tail + 2] == 32) & (a[tail + 3] == 110)))
    return keys


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


def sample_lines(data: bytes, *, from_end: bool = False) -> tuple[frozenset[str], bool]:
    """(keys, blank) of the first (or last) ``SAMPLE_RECORDS`` lines of a file's head (tail).

    ``keys``: the keys of the JSON-object lines (unparseable lines are the reader's
    business); ``blank``: one of those lines is blank. ``data`` must start (end) at a line
    boundary; a newline at the very end of the file is not a blank line.
    """
    if from_end:
        pieces = data.rsplit(b"\n", SAMPLE_RECORDS)
        if len(pieces) > SAMPLE_RECORDS:
            pieces = pieces[1:]  # [0] is the unsplit rest
        if pieces and not pieces[-1].strip():
            pieces = pieces[:-1]  # after the file's last newline
    else:
        pieces = data.split(b"\n", SAMPLE_RECORDS)
        if len(pieces) > SAMPLE_RECORDS:
            pieces = pieces[:-1]  # [-1] is the unsplit rest
        elif pieces and not pieces[-1].strip():
            pieces = pieces[:-1]  # after the file's last newline
    blank = any(not line.strip() for line in pieces)
    keys: set[str] = set()
    for line in pieces:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            keys.update(record)
    return frozenset(keys), blank


def _jsonl_facts(path: Path) -> tuple[frozenset[str], bool]:
    """(keys sampled from the head and the tail, whether a blank line was seen there).

    DuckDB's reader skips blank lines, which would shift the line numbers of the records
    after one, so such a file is read line by line instead. Files up to ``SAMPLE_BYTES`` are
    searched whole, bigger ones only in the sampled lines: scanning every byte of GA4's
    gigabytes for blank lines would cost more than the rest of preparing them.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(SAMPLE_BYTES)
        if size > SAMPLE_BYTES:
            head = head[: head.rfind(b"\n") + 1]  # drop a line cut in the middle
        keys, blank = sample_lines(head)
        if size <= SAMPLE_BYTES:  # a small file is searched whole
            body = head.rstrip(b" \t\r\n")
            blank = blank or b"\n\n" in body or b"\n\r\n" in body
            blank = blank or head.lstrip(b" \t").startswith((b"\n", b"\r\n"))
        if size > len(head):
            handle.seek(max(size - SAMPLE_BYTES, len(head)))
            tail = handle.read()
            if handle.tell() - len(tail) > len(head):
                tail = tail[tail.find(b"\n") + 1 :]  # drop a line cut in the middle
            tail_keys, tail_blank = sample_lines(tail, from_end=True)
            keys, blank = keys | tail_keys, blank or tail_blank
    return keys, blank


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
        text_keys = prepared.text_keys
        if text_keys is None:
            text_keys = _file_key_count(prepared.text_path)
        return replace(prepared, sample_keys=keys, blank_lines=blank, text_keys=text_keys)
    return prepared


def _file_key_count(path: Path) -> int:
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                return json_key_count(view)
            finally:
                view.release()


def _prepare_trusting_reader(file: ExtractFile) -> PreparedFile | None:
    """Checksum a plain file without copying it; None when it needs the full treatment
    (gzip, a byte-order mark, or a head that is all blank)."""
    with file.path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
        if head.startswith((GZIP_MAGIC, UTF8_BOM)) or not head.strip():
            return None
        size = os.fstat(handle.fileno()).st_size
        text_keys = None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            checksum = hashlib.sha256(mapped).hexdigest()  # releases the GIL: threads help
            if file.contract is not None and file.contract.format == "jsonl":
                view = memoryview(mapped)  # counted while the pages are mapped and warm
                try:
                    text_keys = json_key_count(view, head)
                finally:
                    view.release()
    return PreparedFile(
        checksum, size, "utf-8", file.path, utf8_verified=False, text_keys=text_keys
    )


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
