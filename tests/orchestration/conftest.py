"""Fixtures for the orchestration tests: a fresh dbt manifest, parsed once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """``dbt parse`` into dbt_project/target so the Dagster definitions can load."""
    from orchestration.dbt_project import ensure_manifest

    return ensure_manifest(force=True)
