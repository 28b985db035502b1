"""The savings product's policy schema: reading model points strictly.

Columns (lifelib ``savings`` names; SPEC.md section 3 of ``shared/data/lifelib-savings``):

================  =========  ==============================================================
column            dtype      meaning
================  =========  ==============================================================
``policy_id``     Int64/Str  unique id; lifelib's ``point_id`` is accepted as an alias
``spec_id``       String     product variant, a row of the product's spec table
``age_at_entry``  Int32      age at issue, years
``policy_term``   Int32      term, years (ignored for whole-life specs)
``policy_count``  Float64    number of policies the row stands for (fractional is legal)
``sum_assured``   Float64    guaranteed amount per policy, on death and at maturity
``duration_mth``  Int32      months in force at t = 0; <= 0: issued at t = -duration_mth.
                             Optional (then 0: new business at t = 0)
``premium_pp``    Float64    single premium, or monthly premium for ``LEVEL`` specs
``av_pp_init``    Float64    account value per policy at t = 0. Optional (then 0)
================  =========  ==============================================================

Other columns (lifelib's ``sex``, ``accum_prem_init_pp``) are dropped. Rows are
numbered from 1 (the first policy after the header) in every message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab._parse import ragged_row, strict_cast
from livecalc_lab.errors import DataError
from livecalc_lab.model.policies import Policies

__all__ = ["SAVINGS_POLICY_COLUMNS", "read_savings_policies"]

SAVINGS_POLICY_COLUMNS: dict[str, pl.DataType] = {
    "policy_id": pl.Int64,
    "spec_id": pl.String,
    "age_at_entry": pl.Int32,
    "policy_term": pl.Int32,
    "policy_count": pl.Float64,
    "sum_assured": pl.Float64,
    "duration_mth": pl.Int32,
    "premium_pp": pl.Float64,
    "av_pp_init": pl.Float64,
}


def read_savings_policies(policies: Any) -> Policies:
    """Read savings model points from a CSV or Parquet path or a polars/pandas DataFrame, strictly.

    CSV cells are read as text and converted column by column, so nothing is coerced
    and no row is dropped.

    Parameters
    ----------
    policies : str, pathlib.Path, polars.DataFrame or pandas.DataFrame
        A ``.csv`` or ``.parquet`` file, or a frame with the columns above.

    Returns
    -------
    Policies
        ``frame`` holds the columns of :data:`SAVINGS_POLICY_COLUMNS` in that order
        (``policy_id`` Int64, or String if any id is not an integer).

    Raises
    ------
    DataError
        Unreadable file, missing required column, malformed or empty value, an empty
        ``spec_id``, a negative ``policy_count``, ``sum_assured``, ``premium_pp`` or
        ``av_pp_init`` (an account value cannot be negative), or a duplicate
        ``policy_id``; the message names the file, row, column and value.

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"point_id": [1], "spec_id": ["A"], "age_at_entry": [70], "policy_term": [10],
    ...                   "policy_count": [100.0], "sum_assured": [500000.0], "premium_pp": [450000.0]})
    >>> read_savings_policies(f).frame.columns[-2:]
    ['premium_pp', 'av_pp_init']
    >>> read_savings_policies(f.with_columns(av_pp_init=pl.lit(-1.0)))
    Traceback (most recent call last):
    ...
    livecalc_lab.errors.DataError: <DataFrame> row 1 column 'av_pp_init': -1.0 is negative
    """
    from livecalc_lab.data.problems import ProblemLog
    from livecalc_lab.data.schema import normalise, report_duplicates

    if isinstance(policies, Policies):
        return policies
    raw, source = _read_raw(policies)
    base = normalise(raw, source)  # policy_id, ages, term, count, SA, duration_mth, checked strictly
    assert base is not None  # normalise raises rather than return None without a collecting log
    report_duplicates(base.frame["policy_id"], base.rows, source, ProblemLog())
    cols = {c.strip(): c for c in raw.columns}
    for name in ("spec_id", "premium_pp"):
        if name not in cols:
            raise DataError(f"{source}: missing required column {name!r} (columns: {', '.join(raw.columns)})")
    spec = raw[cols["spec_id"]].cast(pl.String).str.strip_chars().rename("spec_id")
    empty = (spec.is_null() | (spec == "")).arg_true()
    if len(empty):
        raise DataError(f"{source} row {int(empty[0]) + 1:,} column 'spec_id': value is empty")
    extra = {"spec_id": spec}
    for name in ("premium_pp", "av_pp_init"):
        if name in cols:
            s = strict_cast(raw[cols[name]].rename(name), pl.Float64, where=source, error=DataError)
        else:
            s = pl.Series(name, np.zeros(raw.height), dtype=pl.Float64)
        extra[name] = s
    frame = base.frame.with_columns(*extra.values()).select(list(SAVINGS_POLICY_COLUMNS))
    for name in ("premium_pp", "av_pp_init"):
        bad = (frame[name] < 0).arg_true()
        if len(bad):
            r = int(bad[0])
            raise DataError(f"{source} row {r + 1:,} column '{name}': {frame[name][r]!r} is negative")
    return Policies(frame=frame, source=source, has_duration=base.has_duration)


def _read_raw(policies: Any) -> tuple[pl.DataFrame, str]:
    """The table as read (CSV as text), and its name for messages."""
    if isinstance(policies, pl.DataFrame):
        return policies, "<DataFrame>"
    if type(policies).__module__.startswith("pandas"):
        return pl.from_pandas(policies), "<DataFrame>"
    path = Path(policies)
    source = str(path)
    if not path.is_file():
        raise DataError(f"{source}: no such file")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataError(f"{source}: unknown file type {suffix!r}; expected .csv or .parquet")
    try:
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema=False, encoding="utf8"), source
        return pl.read_parquet(path), source
    except Exception as exc:  # polars raises several error types for unreadable files
        ragged = ragged_row(path) if suffix == ".csv" else None
        raise DataError(f"{source} {ragged}" if ragged else f"{source}: cannot be read: {exc}") from None
