"""The one dbt project declaration every Dagster module imports.

The manifest is produced by ``dbt parse`` only when it is missing or older than a project
file (``ensure_manifest``: the CLI, ``dagster dev``'s code server, tests), always with the
``dbt`` installed next to the running interpreter, so ``dagster dev`` works without an
activated venv (dagster-dbt's own ``prepare_if_dev`` would look for ``dbt`` on PATH).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import REPO_ROOT

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class DbtParseError(RuntimeError):
    """``dbt parse`` failed: the dbt project does not compile, so no asset graph can load."""


def dbt_executable() -> str:
    """The ``dbt`` next to the running interpreter (the project venv), else the one on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def has_models(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """Whether the dbt project has any model SQL yet (it is built in parallel)."""
    return any((project_dir / "models").rglob("*.sql"))


_PROJECT_INPUTS = ("models", "seeds", "tests", "macros", "snapshots", "analyses")


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when the manifest is missing or older than any project file (SQL, YAML, CSV).

    A stale manifest makes dagster-dbt fail mid-build on nodes it does not know, so the CLI
    re-parses only then instead of on every run.
    """
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    files = [project_dir / "dbt_project.yml", project_dir / "packages.yml"]
    for folder in _PROJECT_INPUTS:
        if (project_dir / folder).is_dir():
            files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return any(f.exists() and f.stat().st_mtime > built for f in files)


def ensure_manifest(force: bool = False, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Return ``target/manifest.json``, running ``dbt parse`` first when it is missing or
    older than the project's files (or ``force``).

    Raises ``DbtParseError`` with dbt's own output when the project does not parse.
    """
    manifest = project_dir / "target" / "manifest.json"
    if not force and not manifest_is_stale(project_dir):
        return manifest
    env = {**os.environ, "DBT_PROFILES_DIR": str(project_dir)}
    cmd = [dbt_executable(), "parse", "--project-dir", str(project_dir), "--quiet"]
    log.info("generating the dbt manifest: %s", " ".join(cmd))
    proc = subprocess.run(cmd, cwd=project_dir, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not manifest.exists():
        raise DbtParseError(
            f"`dbt parse` failed in {project_dir} (exit {proc.returncode}); fix the dbt project:\n"
            + (proc.stdout + proc.stderr)[-4000:]
        )
    return manifest
