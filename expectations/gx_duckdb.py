"""A SQLAlchemy dialect that lets Great Expectations 1.x push its metrics down into DuckDB.

GX 1.24 ships no DuckDB support. Two things break with the stock ``duckdb_engine`` dialect:

* GX fetches a query's rows *after* it closed the SQLAlchemy connection; ``duckdb_engine``
  hands out the connection itself as the cursor, so the autobegun transaction's rollback on
  close throws the pending result away and every metric comes back empty. Here every cursor
  is its own DuckDB cursor (``DuckDBPyConnection.cursor()``), whose result survives that.
* GX picks its regex / LIKE / quoting rules by dialect *name* and knows no ``duckdb``.
  DuckDB speaks PostgreSQL's SQL (``duckdb_engine`` is built on SQLAlchemy's PostgreSQL
  dialect; ``~`` is a partial regex match in both), so the dialect presents itself to GX as
  ``postgresql``.

The connection is a plain ``duckdb.connect(path, read_only=...)`` without ``duckdb_engine``'s
extra settings, so it can share the file with the gate's other read-only connections in the
same process. URL: ``duckdb+revloop:////abs/path.duckdb`` with
``connect_args={"read_only": True}``.
"""

from __future__ import annotations

from typing import Any

import duckdb
from duckdb_engine import ConnectionWrapper, CursorWrapper, Dialect
from sqlalchemy.dialects import registry

URL_SCHEME = "duckdb+revloop"


class _Connection(ConnectionWrapper):
    """A DB-API connection whose cursors are independent DuckDB cursors."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self._duck = con

    def cursor(self) -> CursorWrapper:
        return CursorWrapper(self._duck.cursor(), self)


class RevloopDuckDBDialect(Dialect):
    """``duckdb_engine`` with surviving cursor results, named ``postgresql`` for GX."""

    name = "postgresql"
    driver = "revloop"

    def connect(self, *cargs: Any, **cparams: Any) -> _Connection:
        database = cparams.get("database") or (cargs[0] if cargs else ":memory:")
        con = duckdb.connect(str(database), read_only=bool(cparams.get("read_only", False)))
        con.execute("SET TimeZone = 'UTC'")
        return _Connection(con)


registry.register("duckdb.revloop", __name__, "RevloopDuckDBDialect")


def url_for(path: str) -> str:
    """The SQLAlchemy URL of the DuckDB file ``path`` (absolute) for this dialect."""
    return f"{URL_SCHEME}:///{path}"
