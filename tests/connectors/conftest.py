"""Fixtures for the loader/extractor tests: a fresh extracts folder and warehouse path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    path = tmp_path / "extracts"
    path.mkdir()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "revloop.duckdb"
