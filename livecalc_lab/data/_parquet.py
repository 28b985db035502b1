"""Parquet: footers for metadata, row groups (with column projection) for chunks and samples.

A file object from a store is handed to pyarrow, which reads the footer with
one or two range reads and then only the column chunks asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

import polars as pl

from livecalc_lab.errors import DataError

__all__ = ["ParquetFooter", "open_footer", "polars_schema", "read_row_groups", "row_group_stats"]


@dataclass
class ParquetFooter:
    """A Parquet file's footer: rows and estimated in-memory bytes per row group, and the schema."""

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
    columns = polars_schema(pf.schema_arrow)
    per_row = sum(_WIDTH.get(dtype, 24) for dtype in columns.values())
    rg_bytes = [max(md.row_group(i).total_byte_size, per_row * n) for i, n in enumerate(rg_rows)]
    return ParquetFooter(pf, handle, rg_rows, rg_bytes, columns)


# Bytes per value in memory, for sizing chunks: encoded Parquet (dictionaries, RLE) is often far
# smaller than the decoded columns, so a row group counts at least rows x the sum of these widths
# (24 for text: an offset plus a short string).
_WIDTH: dict[Any, int] = {pl.Boolean: 1, pl.Int8: 1, pl.Int16: 2, pl.Int32: 4, pl.Date: 4, pl.Float32: 4,
                          pl.Int64: 8, pl.Float64: 8, pl.UInt32: 4, pl.UInt64: 8}


def polars_schema(schema: Any) -> dict[str, pl.DataType]:
    """The polars types of an Arrow schema (without ``Schema.empty_table``, which imports pandas)."""
    import pyarrow as pa

    frame = pl.from_arrow(pa.Table.from_batches([], schema=schema))
    assert isinstance(frame, pl.DataFrame)
    return dict(frame.schema)


def read_row_groups(footer: ParquetFooter, rg0: int, rg1: int, columns: list[str] | None, label: str,
                    take: Any = None) -> pl.DataFrame:
    """Row groups ``rg0 .. rg1-1`` (only ``columns`` when given; only rows ``take`` when given) as one frame.

    ``take`` is applied to the Arrow table, so the rows kept are copied into buffers of their own
    and the row groups' buffers are freed (a polars gather would keep them alive).
    """
    import pyarrow as pa

    cols = None if columns is None else [c for c in footer.columns if c in set(columns)]
    try:
        table = footer.file.read_row_groups(list(range(rg0, rg1)), columns=cols)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{label}: row groups {rg0}-{rg1 - 1} cannot be read: {exc}") from None
    if take is not None:
        table = table.take(pa.array(take))
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
