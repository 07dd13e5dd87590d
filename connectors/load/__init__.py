"""Loaders: vendor extract files → ``raw.<source>__<entity>`` or ``quarantine.*``."""

from connectors.contracts import ContractViolation
from connectors.load.loader import list_pending_files, load_all, load_source
from connectors.load.report import FileFailure, LoadReport, TableLoad

__all__ = [
    "ContractViolation",
    "FileFailure",
    "LoadReport",
    "TableLoad",
    "list_pending_files",
    "load_all",
    "load_source",
]
