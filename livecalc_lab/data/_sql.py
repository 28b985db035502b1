"""SQL tables (SQLite, PostgreSQL) through ADBC, streaming Arrow batches.

Every statement is fixed text plus bound parameters: table and column names are
first looked up in the database's catalogue and then quoted; filter values are
always parameters (see :mod:`livecalc_lab.data.filter`). Chunks are key ranges
of ``policy_id`` (``id >= lo AND id < hi``), planned from one ordered pass over
the id column, so any worker can read one with a single query. Rows in messages
are positions in ``policy_id`` order (1-based), as a table has no row numbers.

The drivers (``adbc-driver-sqlite``, ``adbc-driver-postgresql``; extra
``livecalc-lab[sql]``) are imported here only. A PostgreSQL password comes from
``open_dataset(credential=...)``, the URI given to ``open_dataset`` (kept out of
the PolicySource) or libpq's own ``PGPASSWORD``/``.pgpass``.
"""

from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import quote as urlquote
from urllib.parse import unquote, urlsplit, urlunsplit

import numpy as np
import polars as pl

from livecalc_lab.data._parquet import polars_schema
from livecalc_lab.data.chunks import ChunkRef
from livecalc_lab.data.filter import Filter
from livecalc_lab.data.schema import ReadOptions, id_kind_of, plan_columns
from livecalc_lab.errors import DataError

__all__ = ["SqlBackend"]

_TAKE_BATCH = 500
_SQLITE_TYPES = (
    (("INT",), pl.Int64),
    (("CHAR", "CLOB", "TEXT"), pl.String),
    (("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"), pl.Float64),
    (("DATE",), pl.String),
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqlBackend:
    """A table of a SQLite or PostgreSQL database."""

    format = "sql"

    def __init__(self, uri: str, opts: ReadOptions, credential: Any = None):
        self.uri = uri
        self.opts = opts
        self._credential = credential
        scheme = urlsplit(uri).scheme.lower().split("+")[0]
        self.dialect = "sqlite" if scheme == "sqlite" else "postgresql"
        if not opts.table:
            raise DataError(f"{uri}: name the table with the option table='...' (or 'schema.table')")
        self.label = f"{uri} table {opts.table}"
        self._qualified: str | None = None
        self._columns: dict[str, pl.DataType] | None = None
        self._id_kind: str | None = None
        self._conn: Any = None

    # ---- connections -----------------------------------------------------------------------

    @contextmanager
    def connect(self) -> Iterator[Any]:
        """The dataset's ADBC connection (opened on first use, closed when the backend is collected)."""
        if self._conn is None:
            try:
                if self.dialect == "sqlite":
                    import adbc_driver_sqlite.dbapi as driver

                    target = self._sqlite_path()
                else:
                    import adbc_driver_postgresql.dbapi as driver

                    target = self._pg_uri()
            except ImportError:
                raise DataError(f"{self.uri}: SQL sources need the ADBC drivers: pip install 'livecalc-lab[sql]'") from None
            try:
                self._conn = driver.connect(target)
            except Exception as exc:  # the drivers raise their own DBAPI error classes
                raise DataError(f"{self.uri}: cannot connect: {str(exc).splitlines()[0]}") from None
            weakref.finalize(self, self._conn.close)
        yield self._conn

    def close(self) -> None:
        """Close the connection now (it is also closed when the backend is garbage-collected)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _sqlite_path(self) -> str:
        path = unquote(self.uri.split(":", 1)[1])
        path = path[3:] if path.startswith("///") else path.lstrip("/")
        if path != ":memory:" and not os.path.isfile(path):
            raise DataError(f"{self.uri}: no such database file {path!r}")
        return path

    def _pg_uri(self) -> str:
        parts = urlsplit(self.uri)
        scheme = "postgresql"
        netloc = parts.netloc
        if self._credential is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user}:{urlquote(str(self._credential), safe='')}@{host}" if user else netloc
        return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))

    def ph(self, i: int) -> str:
        """The placeholder of parameter ``i`` (1-based)."""
        return "?" if self.dialect == "sqlite" else f"${i}"

    def query(self, conn: Any, sql: str, params: list[Any] | None = None) -> Iterator[pl.DataFrame]:
        """Stream the result of ``sql`` as polars frames (one per Arrow batch)."""
        cur = conn.cursor()
        try:
            try:
                cur.execute(sql, tuple(params) if params else None)
                reader = cur.fetch_record_batch()
            except Exception as exc:
                conn.rollback()  # PostgreSQL refuses further statements in a failed transaction
                raise DataError(f"{self.label}: query failed: {str(exc).splitlines()[0]}") from None
            for batch in reader:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield frame
        finally:
            cur.close()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        with self.connect() as conn:
            for frame in self.query(conn, sql, params):
                if frame.height:
                    return frame.row(0)[0]
        return None

    # ---- catalogue -------------------------------------------------------------------------

    def table(self) -> str:
        """The quoted, catalogue-checked table name."""
        if self._qualified is None:
            schema, _, name = self.opts.table.rpartition(".")
            if self.dialect == "sqlite":
                found = self.scalar(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", [name]
                )
                qualified = _q(name) if found is not None else None
            else:
                found = self.scalar(
                    "SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())",
                    [name, schema or None],
                )
                qualified = f"{_q(found)}.{_q(name)}" if found is not None else None
            if qualified is None:
                raise DataError(f"{self.uri}: no table {self.opts.table!r}")
            self._qualified = qualified
        return self._qualified

    def raw_columns(self) -> dict[str, pl.DataType]:
        if self._columns is None:
            table = self.table()
            if self.dialect == "sqlite":
                cols: dict[str, pl.DataType] = {}
                with self.connect() as conn:
                    for frame in self.query(conn, "SELECT name, type FROM pragma_table_info(?)", [self.opts.table]):
                        for name, decl in frame.iter_rows():
                            cols[name] = _sqlite_dtype(decl or "")
            else:
                with self.connect() as conn:
                    cur = conn.cursor()
                    try:
                        cur.execute(f"SELECT * FROM {table} LIMIT 0")
                        schema = cur.fetch_arrow_table().schema
                    finally:
                        cur.close()
                cols = polars_schema(schema)
            self._columns = cols
        return self._columns

    def _col(self, canonical: str) -> str:
        plan = plan_columns(list(self.raw_columns()), self.opts)
        name = plan.sources.get(canonical, canonical)
        if name not in self.raw_columns():
            raise DataError(f"{self.label}: filter column {canonical!r} is not a column of the table")
        return name

    def id_column(self) -> str:
        plan = plan_columns(list(self.raw_columns()), self.opts)
        if "policy_id" not in plan.sources:
            raise DataError(f"{self.label}: {plan.missing_text(list(self.raw_columns()))}")
        return plan.sources["policy_id"]

    def where(self, flt: Filter | None, extra: list[tuple[str, Any]] = ()) -> tuple[str, list[Any]]:
        """``" WHERE ..."`` (or ``""``) and its parameters: the filter AND ``column op value`` terms."""
        clauses: list[str] = []
        params: list[Any] = []
        if flt is not None:
            sql, p = flt.to_sql(
                lambda i: self.ph(i),
                quote=lambda c: _q(self._col(c)),
                text_collation=' COLLATE "C"' if self.dialect == "postgresql" else "",
            )
            clauses.append(sql)
            params += p
        idq = _q(self.id_column())
        for op, value in extra:
            if op == "not null":
                clauses.append(f"{idq} IS NOT NULL")
            elif op == "null":
                clauses.append(f"{idq} IS NULL")
            elif value is not None:
                params.append(value)
                clauses.append(f"{idq} {op} {self.ph(len(params))}")
        # Placeholders of SQLite are positional '?', so the order of params is the order in the text.
        return ((" WHERE " + " AND ".join(clauses)) if clauses else ""), params

    # ---- dataset facts ---------------------------------------------------------------------

    def rows(self, flt: Filter | None = None) -> int:
        where, params = self.where(flt)
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.table()}{where}", params))

    def nbytes(self) -> int:
        if self.dialect == "sqlite":
            path = self._sqlite_path()
            return os.path.getsize(path) if path != ":memory:" else 0
        return int(self.scalar("SELECT pg_total_relation_size(CAST($1 AS regclass))", [self.table()]) or 0)

    def id_kind(self) -> str:
        if self._id_kind is None:
            col = self.id_column()
            dtype = self.raw_columns()[col]
            if dtype.is_integer():
                self._id_kind = "int"
            elif dtype != pl.String:
                self._id_kind = "str"
            else:
                kind = "int"
                with self.connect() as conn:
                    for frame in self.query(conn, f"SELECT {_q(col)} FROM {self.table()}"):
                        if id_kind_of(frame[col]) == "str":
                            kind = "str"
                            break
                self._id_kind = kind
        return self._id_kind

    def check_ids_present(self, flt: Filter | None) -> None:
        """Raise if any row (passing the filter) has no policy id: key ranges could not hold it."""
        where, params = self.where(flt, [("null", None)])
        n = int(self.scalar(f"SELECT COUNT(*) FROM {self.table()}{where}", params))
        if n:
            raise DataError(f"{self.label} column 'policy_id': {n:,} row{'s' if n > 1 else ''} with no id")

    def iter_ids(self, flt: Filter | None) -> Iterator[pl.Series]:
        """The (filtered) ids in ascending order, in batches."""
        col = self.id_column()
        where, params = self.where(flt, [("not null", None)])
        with self.connect() as conn:
            for frame in self.query(conn, f"SELECT {_q(col)} FROM {self.table()}{where} ORDER BY {_q(col)}", params):
                yield frame[col]

    # ---- chunks ----------------------------------------------------------------------------

    def plan(self, target_bytes: int, flt: Filter | None = None) -> list[ChunkRef]:
        """Key ranges of about ``target_bytes`` each (from the table's average row size)."""
        self.check_ids_present(flt)
        total = self.rows()
        per_row = max(self.nbytes() // max(total, 1), 1)
        step = max(int(target_bytes // per_row), 1)
        kind = self.id_kind()
        starts: list[Any] = []
        seen = 0
        for ids in self.iter_ids(flt):
            first = (-seen) % step  # positions in this batch that start a chunk
            # Bounds keep the stored type, so the range compares as ORDER BY sorted.
            starts += ids[first::step].to_list()
            seen += len(ids)
        refs = []
        for k, lo in enumerate(starts):
            hi = starts[k + 1] if k + 1 < len(starts) else None
            rows = min(step, seen - k * step)
            refs.append(ChunkRef("sql", self.opts.table, None if k == 0 else lo, hi, k * step, kind, rows=rows, nbytes=rows * per_row))
        return refs

    def read(self, ref: ChunkRef, columns: list[str] | None = None, flt: Filter | None = None) -> Iterator[tuple[pl.DataFrame, np.ndarray, str]]:
        """Yield ``(raw frame, 1-based positions in id order, label)`` for the key range ``ref``."""
        col = self.id_column()
        cols = "*" if columns is None else ", ".join(_q(c) for c in self.raw_columns() if c in set(columns) | {col})
        lo, hi = ref.lo, ref.hi
        where, params = self.where(flt, [(">=", lo), ("<", hi), ("not null", None)])
        base = ref.row_base
        with self.connect() as conn:
            for frame in self.query(conn, f"SELECT {cols} FROM {self.table()}{where} ORDER BY {_q(col)}", params):
                yield frame, base + 1 + np.arange(frame.height, dtype=np.int64), self.label
                base += frame.height

    def take(self, ids: list[Any]) -> Iterator[pl.DataFrame]:
        """Whole rows with the given ids (bound as parameters, a few hundred per query)."""
        col = _q(self.id_column())
        with self.connect() as conn:
            for i in range(0, len(ids), _TAKE_BATCH):
                batch = ids[i : i + _TAKE_BATCH]
                marks = ", ".join(self.ph(k + 1) for k in range(len(batch)))
                yield from self.query(conn, f"SELECT * FROM {self.table()} WHERE {col} IN ({marks})", batch)


def _sqlite_dtype(decl: str) -> pl.DataType:
    d = decl.upper()
    for keys, dtype in _SQLITE_TYPES:
        if any(k in d for k in keys):
            return dtype
    return pl.String
