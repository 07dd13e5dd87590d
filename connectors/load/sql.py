"""Tiny helpers to write DuckDB SQL safely: vendor field names contain dots and capitals."""

from __future__ import annotations


def ident(name: str) -> str:
    """Quote an identifier (``segments.date`` → ``"segments.date"``)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal."""
    return "'" + value.replace("'", "''") + "'"
