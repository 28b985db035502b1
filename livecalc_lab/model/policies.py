"""The policy schema: reading model points strictly and checking them against a product.

Columns (lifelib names; DESIGN.md §3):

================  =========  ==============================================================
column            dtype      meaning
================  =========  ==============================================================
``policy_id``     Int64/Str  unique id; lifelib's ``point_id`` is accepted as an alias.
                             Int64 when every value is an integer, else String.
``age_at_entry``  Int32      age at issue, years
``policy_term``   Int32      term, years
``policy_count``  Float64    number of policies the row stands for (fractional is legal)
``sum_assured``   Float64    death benefit per policy
``duration_mth``  Int32      months in force at t = 0; <= 0 means issued at t = -duration_mth.
                             Optional for new-business products (then 0).
``premium_rate``  Float64    added by :func:`attach_premium_rates` for table-premium products
================  =========  ==============================================================

Rows are numbered from 1 (the first policy after the header) in every message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab._parse import ragged_row, strict_cast
from livecalc_lab.assumptions import ProductBasis
from livecalc_lab.errors import DataError

__all__ = [
    "POLICY_COLUMNS",
    "Policies",
    "read_policies",
    "check_policies",
    "attach_premium_rates",
    "demo_policies",
    "demo_policies_path",
]

REQUIRED = ("policy_id", "age_at_entry", "policy_term", "policy_count", "sum_assured")
POLICY_COLUMNS: dict[str, pl.DataType] = {
    "age_at_entry": pl.Int32,
    "policy_term": pl.Int32,
    "duration_mth": pl.Int32,
    "policy_count": pl.Float64,
    "sum_assured": pl.Float64,
}
ID_ALIASES = ("point_id",)


@dataclass(frozen=True)
class Policies:
    """Model points in the canonical schema, with where they came from.

    Attributes
    ----------
    frame : polars.DataFrame
        Columns ``policy_id``, ``age_at_entry`` (Int32), ``policy_term`` (Int32),
        ``duration_mth`` (Int32), ``policy_count`` (Float64), ``sum_assured``
        (Float64), in source row order; other source columns are dropped.
    source : str
        File path, or ``"<DataFrame>"``, used in error messages.
    has_duration : bool
        Whether the source had a ``duration_mth`` column.
    """

    frame: pl.DataFrame
    source: str
    has_duration: bool

    def __len__(self) -> int:
        return self.frame.height

    @property
    def n_policies(self) -> float:
        """Sum of ``policy_count``."""
        return math.fsum(self.frame["policy_count"].to_numpy())


def demo_policies_path(product: str = "basic_term_s") -> Path:
    """Path of the bundled lifelib model points for ``basic_term_s`` or ``basic_term_se``."""
    name = "model_point_table_with_duration.csv" if product.endswith("_se") else "model_point_table.csv"
    return Path(str(resources.files("livecalc_lab") / "demo" / "policies" / name))


def demo_policies(product: str = "basic_term_s") -> pl.DataFrame:
    """The bundled lifelib BasicTerm model points (10,000 rows) in the canonical schema.

    ``basic_term_s``: ``model_point_table.csv`` (new business, ``duration_mth`` 0);
    ``basic_term_se``: ``model_point_table_with_duration.csv``. MIT licence, lifelib.
    """
    return read_policies(demo_policies_path(product)).frame


def read_policies(policies: Any) -> Policies:
    """Read model points from a CSV or Parquet path or a polars/pandas DataFrame, strictly.

    CSV cells are read as text and converted column by column, so nothing is
    coerced: ``'1,000'``, ``'12a'``, an empty cell or ``'10.5'`` in an integer
    column is an error. No row is ever dropped.

    Parameters
    ----------
    policies : str, pathlib.Path, polars.DataFrame or pandas.DataFrame
        A ``.csv`` or ``.parquet`` file, or a frame with the lifelib columns.

    Returns
    -------
    Policies

    Raises
    ------
    DataError
        Unreadable file, missing required column, malformed or empty value,
        negative ``policy_count``/``sum_assured``, non-positive ``policy_term``,
        negative ``age_at_entry``, or a duplicate ``policy_id``; the message names
        the file, row, column and value.
    """
    if isinstance(policies, pl.DataFrame):
        raw, source = policies, "<DataFrame>"
    elif type(policies).__module__.startswith("pandas"):
        raw, source = pl.from_pandas(policies), "<DataFrame>"
    else:
        path = Path(policies)
        source = str(path)
        if not path.is_file():
            raise DataError(f"{source}: no such file")
        suffix = path.suffix.lower()
        try:
            if suffix == ".csv":
                raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
            elif suffix in (".parquet", ".pq"):
                raw = pl.read_parquet(path)
            else:
                raise DataError(f"{source}: unknown file type {suffix!r}; expected .csv or .parquet")
        except DataError:
            raise
        except Exception as exc:  # polars raises several error types for unreadable files
            ragged = ragged_row(path) if suffix == ".csv" else None
            raise DataError(f"{source} {ragged}" if ragged else f"{source}: cannot be read: {exc}") from None
    return _normalise(raw, source)


def _normalise(raw: pl.DataFrame, source: str) -> Policies:
    cols = {c.strip(): c for c in raw.columns}
    if "policy_id" not in cols:
        for alias in ID_ALIASES:
            if alias in cols:
                cols["policy_id"] = cols.pop(alias)
                break
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise DataError(
            f"{source}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (columns: {', '.join(raw.columns)})"
        )
    out: dict[str, pl.Series] = {}
    ids = raw[cols["policy_id"]].rename("policy_id")
    out["policy_id"] = _policy_ids(ids, source)
    has_duration = "duration_mth" in cols
    for name, dtype in POLICY_COLUMNS.items():
        if name == "duration_mth" and not has_duration:
            out[name] = pl.Series(name, np.zeros(raw.height, dtype=np.int32))
            continue
        s = raw[cols[name]].rename(name)
        out[name] = strict_cast(s, pl.Int64 if dtype.is_integer() else dtype, where=source, error=DataError)
    frame = pl.DataFrame(out)
    _check_range(frame, "policy_count", source, lo=0.0)
    _check_range(frame, "sum_assured", source, lo=0.0)
    _check_range(frame, "policy_term", source, lo=1, hi=150)
    _check_range(frame, "age_at_entry", source, lo=0, hi=200)
    _check_range(frame, "duration_mth", source, lo=-1800, hi=1812)
    frame = frame.with_columns(pl.col(n).cast(t) for n, t in POLICY_COLUMNS.items())
    ids = frame["policy_id"]
    repeats = (~ids.is_first_distinct()).arg_true()
    if len(repeats):
        r2 = int(repeats[0])  # the first row whose id was already used
        first = int(ids.eq(ids[r2]).arg_true()[0])
        raise DataError(
            f"{source} row {r2 + 1:,} column 'policy_id': {frame['policy_id'][r2]!r} duplicates row {first + 1:,}"
        )
    return Policies(frame=frame, source=source, has_duration=has_duration)


def _policy_ids(ids: pl.Series, source: str) -> pl.Series:
    if ids.dtype.is_integer():
        return strict_cast(ids, pl.Int64, where=source, error=DataError)
    text = ids.cast(pl.String).str.strip_chars()
    empty = (text.is_null() | (text == "")).arg_true()
    if len(empty):
        raise DataError(f"{source} row {int(empty[0]) + 1:,} column 'policy_id': value is empty")
    as_int = text.cast(pl.Int64, strict=False)
    return as_int if as_int.null_count() == 0 else text


def _check_range(frame: pl.DataFrame, col: str, source: str, lo: float, hi: float | None = None) -> None:
    s = frame[col]
    bad = s < lo if hi is None else (s < lo) | (s > hi)
    idx = bad.arg_true()
    if len(idx):
        r = int(idx[0])
        what = "negative" if hi is None and lo == 0 else f"outside [{lo}, {hi}]"
        raise DataError(f"{source} row {r + 1:,} column '{col}': {s[r]!r} is {what}")


def check_policies(policies: Policies, basis: ProductBasis) -> None:
    """Check that ``basis`` can value every policy; raise on the first that it cannot.

    Only months in which a policy is active (0 <= duration_mth(t) <= 12 x term) are
    checked, so a future new-business policy is not "below the table" before it
    exists. An equivalence-premium product also needs the policy's whole term
    from issue (the premium is priced from issue).

    Raises
    ------
    DataError
        A policy whose attained ages leave the mortality table, whose active months
        run past the discount curve, or a new-business product given a non-zero
        ``duration_mth``; the message names the file, row, column and value.
    """
    f = _with_effective_term(policies.frame, basis)
    src = policies.source
    entry = f["age_at_entry"].to_numpy().astype(np.int64)
    term = f["policy_term"].to_numpy().astype(np.int64)
    if basis.whole_life:
        past = np.flatnonzero(term < 1)
        if len(past):
            r = int(past[0])
            raise DataError(
                f"{src} row {r + 1:,} column 'age_at_entry': {int(entry[r])} is not below the mortality table's "
                f"last age {basis.mort_max_age}, so whole life product {basis.product!r} has no term to run"
            )
    dur0 = f["duration_mth"].to_numpy().astype(np.int64)
    if not basis.in_force:
        nz = np.flatnonzero(dur0 != 0)
        if len(nz):
            r = int(nz[0])
            raise DataError(
                f"{src} row {r + 1:,} column 'duration_mth': {int(dur0[r])} is not 0, but product "
                f"{basis.product!r} values new business issued at t = 0 (use an in-force product such as basic_term_se)"
            )
    T = 12 * term
    last = T - dur0
    if basis.premium_basis == "equivalence":
        last = np.maximum(last, T)
    active = last >= 0
    first_age = entry + np.where((basis.premium_basis == "equivalence") | (dur0 <= 0), 0, dur0 // 12)
    lo = np.flatnonzero(active & (first_age < basis.mort_min_age))
    if len(lo):
        r = int(lo[0])
        raise DataError(
            f"{src} row {r + 1:,} column 'age_at_entry': {int(entry[r])} gives attained age {int(first_age[r])}, "
            f"below the mortality table's first age {basis.mort_min_age}"
        )
    hi = np.flatnonzero(active & (entry + term > basis.mort_max_age))
    if len(hi):
        r = int(hi[0])
        raise DataError(
            f"{src} row {r + 1:,} column 'policy_term': {int(term[r])} runs past the mortality table's last age "
            f"{basis.mort_max_age} (age_at_entry {int(entry[r])} + term {int(term[r])} = {int(entry[r] + term[r])})"
        )
    curve = np.flatnonzero(active & (last >= basis.max_months))
    if len(curve):
        r = int(curve[0])
        raise DataError(
            f"{src} row {r + 1:,} column 'policy_term': {int(term[r])} needs projection month {int(last[r])}, "
            f"past the discount curve's last year {len(basis.disc_zero_ann) - 1}"
        )


def _with_effective_term(frame: pl.DataFrame, basis: ProductBasis) -> pl.DataFrame:
    """Whole life runs to the mortality table's last age: policy_term = mort_max_age - age_at_entry."""
    if not basis.whole_life:
        return frame
    return frame.with_columns((pl.lit(basis.mort_max_age, pl.Int32) - pl.col("age_at_entry")).alias("policy_term"))


def attach_premium_rates(policies: Policies, basis: ProductBasis) -> pl.DataFrame:
    """The policies frame the engine values: premium rates attached, whole-life terms set.

    For a table-premium product a ``premium_rate`` column is joined on
    (``age_at_entry``, ``policy_term``); for a whole-life product ``policy_term`` is
    replaced by ``mort_max_age - age_at_entry``. Otherwise the frame is unchanged.

    Raises
    ------
    DataError
        A policy whose (``age_at_entry``, ``policy_term``) is not in the premium table.
    """
    f = _with_effective_term(policies.frame, basis)
    if basis.premium_basis != "table":
        return f
    table = basis.premium_table.with_columns(pl.col("age_at_entry").cast(pl.Int32), pl.col("policy_term").cast(pl.Int32))
    out = f.join(table, on=["age_at_entry", "policy_term"], how="left", maintain_order="left")
    miss = out["premium_rate"].is_null().arg_true()
    if len(miss):
        r = int(miss[0])
        raise DataError(
            f"{policies.source} row {r + 1:,} columns 'age_at_entry', 'policy_term': "
            f"({out['age_at_entry'][r]}, {out['policy_term'][r]}) is not in product {basis.product!r}'s premium table"
        )
    return out
