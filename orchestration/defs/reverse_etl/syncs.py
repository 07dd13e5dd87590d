"""The sync definitions as the asset graph needs them: name, payload model, key column.

Syncs are data (``reverse_etl/syncs/*.yml``); reading the few fields the graph needs here
keeps the definitions loadable even while a YAML file fails the engine's full validation
(the engine reports that, naming the file, when the sync runs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.settings import REPO_ROOT

log = logging.getLogger(__name__)

SYNCS_DIR = REPO_ROOT / "reverse_etl" / "syncs"


@dataclass(frozen=True)
class SyncRef:
    name: str
    table: str  # payload table, e.g. reverse_etl.sync_salesforce__lead
    destination: str
    object: str
    key_column: str | None

    @property
    def model(self) -> str:
        return self.table.rsplit(".", 1)[-1]


def sync_refs(syncs_dir: Path = SYNCS_DIR) -> list[SyncRef]:
    refs: list[SyncRef] = []
    for path in sorted(Path(syncs_dir).glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            log.warning("skipping sync file %s: %s", path, exc)
            continue
        if not isinstance(data, dict) or not data.get("source"):
            log.warning("skipping sync file %s: no `source` payload table", path)
            continue
        source = str(data["source"])
        table = source if "." in source else f"reverse_etl.{source}"
        refs.append(
            SyncRef(
                name=str(data.get("name") or path.stem),
                table=table,
                destination=str(data.get("destination", "")),
                object=str(data.get("object", "")),
                key_column=data.get("key_column") or data.get("external_id"),
            )
        )
    return refs
