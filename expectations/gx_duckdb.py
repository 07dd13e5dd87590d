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
from sqlalchemy import pool
from sqlalchemy.dialects import registry

URL_SCHEME = "duckdb+revloop"


class _Cursor(CursorWrapper):
    """A cursor that really closes (its DuckDB cursor is a connection of its own)."""

    def __init__(self, child: duckdb.DuckDBPyConnection, parent: _Connection) -> None:
        super().__init__(child, parent)
        self._child = child
        self._parent = parent

    def close(self) -> None:
        self._child.close()
        self._parent._cursor_closed(self._child)


class _Connection(ConnectionWrapper):
    """A DB-API connection whose cursors are independent DuckDB cursors.

    GX reads a result after it has closed the connection, and closing a DuckDB connection
    ends its cursors' results, so ``close()`` only marks the connection closed while a
    cursor is open; the last cursor to close closes the connection. Nothing stays open
    once every result has been read, so the next step's writer (dbt, the loader) gets the
    file's lock.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self._duck = con
        self._open: list[duckdb.DuckDBPyConnection] = []
        self._closing = False

    def cursor(self) -> CursorWrapper:
        child = self._duck.cursor()
        self._open.append(child)
        return _Cursor(child, self)

    def _cursor_closed(self, child: duckdb.DuckDBPyConnection) -> None:
        self._open = [c for c in self._open if c is not child]
        if self._closing and not self._open:
            self._duck.close()

    def close(self) -> None:
        self._closing = True
        self.closed = True
        if not self._open:
            self._duck.close()


class RevloopDuckDBDialect(Dialect):
    """``duckdb_engine`` with surviving cursor results, named ``postgresql`` for GX."""

    name = "postgresql"
    driver = "revloop"
    supports_statement_cache = False

    @classmethod
    def get_pool_class(cls, url: Any) -> type[pool.Pool]:
        # No pooling: a pooled DuckDB connection would keep the file open in this process
        # (and locked against the next step's writer, e.g. dbt) after the check is done.
        # SQLAlchemy closes each cursor once its rows are read, which closes the DuckDB
        # cursor; the connection closes when GX releases it.
        return pool.NullPool

    def connect(self, *cargs: Any, **cparams: Any) -> _Connection:
        database = cparams.get("database") or (cargs[0] if cargs else ":memory:")
        con = duckdb.connect(str(database), read_only=bool(cparams.get("read_only", False)))
        con.execute("SET TimeZone = 'UTC'")
        return _Connection(con)


registry.register("duckdb.revloop", __name__, "RevloopDuckDBDialect")


def url_for(path: str) -> str:
    """The SQLAlchemy URL of the DuckDB file ``path`` (absolute) for this dialect."""
    return f"{URL_SCHEME}:///{path}"
