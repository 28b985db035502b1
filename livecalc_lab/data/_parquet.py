"""Parquet: footers for metadata, row groups (with column projection) for chunks and samples.

A file object from a store is handed to pyarrow, which reads the footer with
one or two range reads and then only the column chunks asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

import polars as pl

from livecalc_lab.errors import DataError

__all__ = ["ParquetFooter", "open_footer", "read_row_groups", "row_group_stats"]


@dataclass
class ParquetFooter:
    """A Parquet file's footer: rows and compressed bytes per row group, and the schema."""

    file: Any  # pyarrow.parquet.ParquetFile
    handle: BinaryIO
    rg_rows: list[int]
    rg_bytes: list[int]
    columns: dict[str, pl.DataType]

    @property
    def rows(self) -> int:
        return sum(self.rg_rows)


def open_footer(handle: BinaryIO, label: str) -> ParquetFooter:
    """Read the footer of the Parquet file ``handle`` (nothing else)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{label}: not a readable Parquet file: {exc}") from None
    md = pf.metadata
    rg_rows = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    rg_bytes = [
        sum(md.row_group(i).column(j).total_compressed_size for j in range(md.num_columns))
        for i in range(md.num_row_groups)
    ]
    empty = pl.from_arrow(pf.schema_arrow.empty_table())
    return ParquetFooter(pf, handle, rg_rows, rg_bytes, dict(empty.schema))


def read_row_groups(footer: ParquetFooter, rg0: int, rg1: int, columns: list[str] | None, label: str) -> pl.DataFrame:
    """Row groups ``rg0 .. rg1-1`` (only ``columns`` when given) as one polars frame."""
    import pyarrow as pa

    cols = None if columns is None else [c for c in footer.columns if c in set(columns)]
    try:
        table = footer.file.read_row_groups(list(range(rg0, rg1)), columns=cols)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{label}: row groups {rg0}-{rg1 - 1} cannot be read: {exc}") from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def row_group_stats(footer: ParquetFooter, rg: int) -> dict[str, tuple[Any, Any, int | None]]:
    """``column -> (min, max, null_count)`` from a row group's statistics, where present."""
    md = footer.file.metadata.row_group(rg)
    out: dict[str, tuple[Any, Any, int | None]] = {}
    for j in range(md.num_columns):
        col = md.column(j)
        st = col.statistics
        if st is None or not st.has_min_max:
            continue
        name = col.path_in_schema
        out[name] = (st.min, st.max, st.null_count if st.has_null_count else None)
    return out
