"""LoadReport: what one load run did, per table and per file, for logs, Dagster and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TableLoad:
    """Counts for one raw table in one run."""

    table: str
    rows_loaded: int = 0
    rows_quarantined: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    files_ignored: int = 0


@dataclass
class FileFailure:
    """A file that broke its contract as a whole (status ``failed`` in the manifest)."""

    file: str
    table: str | None
    error: str


@dataclass
class LoadReport:
    """Per-table counts plus the failures; ``summary()`` is what the CLI prints."""

    batch_id: str
    tables: dict[str, TableLoad] = field(default_factory=dict)
    failures: list[FileFailure] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # file -> file first loaded
    redelivered: list[str] = field(default_factory=list)  # known paths with new bytes, loaded
    superseded: dict[str, str] = field(default_factory=dict)  # file@checksum -> what replaced it
    ignored: list[str] = field(default_factory=list)  # deliveries set aside, skipped

    def table(self, name: str) -> TableLoad:
        return self.tables.setdefault(name, TableLoad(name))

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables.values())

    @property
    def files_loaded(self) -> int:
        return sum(t.files_loaded for t in self.tables.values())

    @property
    def files_skipped(self) -> int:
        return sum(t.files_skipped for t in self.tables.values())

    @property
    def ok(self) -> bool:
        return not self.failures

    def raise_for_failures(self) -> None:
        """Raise :class:`ContractViolation` listing every failed file (after the others loaded)."""
        if self.failures:
            from connectors.contracts import ContractViolation

            raise ContractViolation("; ".join(f.error for f in self.failures))

    def merge(self, other: LoadReport) -> None:
        for name, t in other.tables.items():
            mine = self.table(name)
            mine.rows_loaded += t.rows_loaded
            mine.rows_quarantined += t.rows_quarantined
            mine.files_loaded += t.files_loaded
            mine.files_skipped += t.files_skipped
            mine.files_failed += t.files_failed
            mine.files_ignored += t.files_ignored
        self.failures.extend(other.failures)
        self.duplicates.update(other.duplicates)
        self.redelivered.extend(other.redelivered)
        self.superseded.update(other.superseded)
        self.ignored.extend(other.ignored)

    def summary(self) -> str:
        lines = [
            f"batch {self.batch_id}: {self.files_loaded} file(s) loaded, "
            f"{self.files_skipped} skipped, {len(self.failures)} failed; "
            f"{self.rows_loaded} row(s) loaded, {self.rows_quarantined} quarantined"
        ]
        for name in sorted(self.tables):
            t = self.tables[name]
            if t.files_loaded or t.files_failed or t.rows_quarantined:
                lines.append(
                    f"  raw.{name}: +{t.rows_loaded} rows, {t.rows_quarantined} quarantined, "
                    f"{t.files_loaded} file(s), {t.files_skipped} skipped, {t.files_failed} failed"
                    + (f", {t.files_ignored} ignored" if t.files_ignored else "")
                )
        for dup, original in sorted(self.duplicates.items()):
            lines.append(f"  duplicate: {dup} has the same bytes as {original}; skipped")
        for rel in sorted(self.redelivered):
            lines.append(f"  re-delivered: {rel} (new content at a known path; loaded)")
        for old, by in sorted(self.superseded.items()):
            lines.append(f"  superseded: {old} by {by}")
        for rel in sorted(self.ignored):
            lines.append(f"  ignored: {rel} (set aside with `revloop files --ignore`)")
        for f in self.failures:
            lines.append(f"  FAILED {f.error}")
        return "\n".join(lines)
