"""Helpers shared by the data-layer tests (imported as ``_data_helpers``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import polars as pl


def write_postgres(uri: str, frame: pl.DataFrame, table: str | None = None) -> str:
    """Create ``table`` (default: a fresh name) holding ``frame``; returns the table name."""
    import adbc_driver_postgresql.dbapi as pg

    table = table or f"t_{uuid.uuid4().hex[:12]}"
    with pg.connect(uri) as conn:
        with conn.cursor() as cur:
            cur.adbc_ingest(table, frame.to_arrow(), mode="create")
        conn.commit()
    return table


def write_sqlite(path: Path, frame: pl.DataFrame, table: str = "policies") -> str:
    """A SQLite database file at ``path`` with ``frame`` as ``table`` (declared column types)."""
    import sqlite3

    types = {pl.Int64: "INTEGER", pl.Int32: "INTEGER", pl.Float64: "REAL", pl.String: "TEXT"}
    cols = ", ".join(f'"{c}" {types.get(t, "TEXT")}' for c, t in frame.schema.items())
    with sqlite3.connect(path) as conn:
        conn.execute(f'CREATE TABLE "{table}" ({cols})')
        marks = ", ".join("?" for _ in frame.columns)
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', frame.rows())
    conn.close()
    return f"sqlite:///{path}"


def portfolio(n: int, seed: int = 0, *, string_ids: bool = False) -> pl.DataFrame:
    """A small policy frame with a text column, for tests (policy columns as the engine wants)."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(np.arange(1, 3 * n + 1))[:n].astype(np.int64)
    frame = pl.DataFrame({
        "policy_id": [f"P{i:07d}" for i in ids] if string_ids else ids,
        "age_at_entry": rng.integers(20, 60, n).astype(np.int64),
        "policy_term": rng.choice([10, 15, 20], n).astype(np.int64),
        "policy_count": rng.integers(1, 5, n).astype(np.float64),
        "sum_assured": (rng.integers(10, 1000, n) * 1000).astype(np.float64),
        "region": rng.choice(["UK", "IE", "FR"], n),
    })
    return frame
