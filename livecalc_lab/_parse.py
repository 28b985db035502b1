"""Strict conversion of text columns to numbers, with errors that say where.

Readers load CSV cells as text and convert them here, so a malformed value is
never coerced or skipped: the first bad cell of a column is reported with its
file, 1-based data row, column name and the value as written.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from livecalc_lab.errors import LivecalcError

__all__ = ["strict_cast", "first_bad_row", "ragged_row"]


def first_bad_row(original: pl.Series, converted: pl.Series) -> int | None:
    """Index (0-based) of the first value that failed to convert, or ``None``.

    A value failed when it was present (non-null, non-empty) in ``original``
    but is null in ``converted``.
    """
    present = original.is_not_null()
    if original.dtype == pl.String:
        present = present & (original.str.strip_chars() != "")
    bad = present & converted.is_null()
    idx = bad.arg_true()
    return int(idx[0]) if len(idx) else None


def strict_cast(
    series: pl.Series,
    dtype: pl.DataType,
    *,
    where: str,
    error: type[LivecalcError],
    row_offset: int = 1,
    allow_empty: bool = False,
) -> pl.Series:
    """Convert ``series`` to ``dtype`` or raise ``error`` naming the first bad cell.

    Parameters
    ----------
    series : polars.Series
        The column as read (text for CSV, typed for Parquet).
    dtype : polars.DataType
        Target type, e.g. ``pl.Float64`` or ``pl.Int64``.
    where : str
        The file (or other source) name used in messages.
    error : type
        Exception class to raise (``DataError`` or ``AssumptionError``).
    row_offset : int
        Added to the 0-based position to give the row number in messages; 1
        means "data row 1 is the first row after the header".
    allow_empty : bool
        If False (default) an empty or null cell is an error too.

    Raises
    ------
    error
        ``"<where> row 12 column 'sum_assured': '1,,0' is not a valid float"``.
        Integers written as ``"10.0"`` are not accepted where an integer is required,
        and floats are never rounded to integers.
    """
    name = series.name
    if not allow_empty:
        empty = series.is_null()
        if series.dtype == pl.String:
            empty = empty | (series.str.strip_chars() == "")
        idx = empty.arg_true()
        if len(idx):
            r = int(idx[0])
            raise error(f"{where} row {r + row_offset:,} column '{name}': value is empty")
    if series.dtype == dtype:
        converted = series  # already typed (Parquet, DataFrame): still checked for NaN/inf below
    elif series.dtype == pl.String:
        text = series.str.strip_chars()
        converted = text.cast(dtype, strict=False)
    elif dtype.is_integer() and series.dtype.is_float():
        converted = series.cast(dtype, strict=False)
        # A float column may hold only whole numbers to become an integer column.
        frac = series.is_not_null() & ((series % 1) != 0)
        fidx = frac.arg_true()
        if len(fidx):
            r = int(fidx[0])
            raise error(
                f"{where} row {r + row_offset:,} column '{name}': {series[r]!r} is not a whole number"
            )
    else:
        converted = series.cast(dtype, strict=False)
    r = first_bad_row(series, converted)
    if r is not None:
        kind = "an integer" if dtype.is_integer() else "a number"
        raise error(f"{where} row {r + row_offset:,} column '{name}': {series[r]!r} is not {kind}")
    if dtype.is_float():
        nonfinite = (converted.is_not_null() & ~converted.is_finite()).arg_true()
        if len(nonfinite):
            r = int(nonfinite[0])
            raise error(
                f"{where} row {r + row_offset:,} column '{name}': {series[r]!r} is not a finite number"
            )
    return converted


def ragged_row(path: str | Path) -> str | None:
    """Describe the first data row with more fields than the header, or ``None``.

    Used to explain a CSV that polars refuses to read: the usual cause is an
    unquoted thousands separator (``1,000``), which splits one value in two.
    Rows are numbered as in every other message (1 = first row after the header;
    blank lines are not rows).
    """
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as fh:
            rows = (r for r in csv.reader(fh) if r)
            header = next(rows, None)
            if header is None:
                return None
            for i, fields in enumerate(rows, start=1):
                if len(fields) > len(header):
                    return (
                        f"row {i:,}: {','.join(fields)!r} has {len(fields)} fields but the header has "
                        f"{len(header)} (an unquoted ',' inside a value such as 1,000?)"
                    )
    except (OSError, csv.Error):  # not readable this way either: the caller reports its own error
        return None
    return None
