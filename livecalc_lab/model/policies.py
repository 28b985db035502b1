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
``product``       String     optional: the row's product in the assumption set
``sex``           String     optional: the row's mortality-table cell (e.g. ``M``/``F``)
``smoker``        String     optional: likewise (e.g. ``S``/``N``)
``premium_rate``  Float64    added by :func:`attach_premium_rates` for table-premium products
================  =========  ==============================================================

Rows are numbered from 1 (the first policy after the header) in every message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.assumptions import ProductBasis
from livecalc_lab.errors import DataError

__all__ = [
    "CATEGORY_COLUMNS",
    "POLICY_COLUMNS",
    "Policies",
    "read_policies",
    "check_policies",
    "policy_problems",
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
# Optional text columns, kept when present: a portfolio may mix products (``product``
# names a product of the assumption set; the ``product=`` argument is the default when
# the column is absent), and mortality tables may carry ``sex`` and ``smoker`` dimensions.
CATEGORY_COLUMNS = ("product", "sex", "smoker")


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
        Whether the source had a ``duration_mth`` column (or dates to derive it).
    rows : numpy.ndarray or None
        1-based source row of each frame row (None: row ``i`` of the frame is
        source row ``i + 1``). Differs from that when a filter dropped rows.
    version : str or None
        Content version of the data read (see :attr:`Dataset.version`).
    """

    frame: pl.DataFrame
    source: str
    has_duration: bool
    rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    version: str | None = None

    def row(self, i: int) -> int:
        """The 1-based source row of frame row ``i``."""
        return int(self.rows[i]) if self.rows is not None else i + 1

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


def read_policies(policies: Any, **options: Any) -> Policies:
    """Read model points strictly from a file, URI, PolicySource, Dataset or DataFrame.

    Files and URIs go through :func:`livecalc_lab.open_dataset` and
    :meth:`Dataset.read`, frames through the same strict conversion
    (:func:`livecalc_lab.data.schema.normalise`), so nothing is coerced:
    ``'1,000'``, ``'12a'``, an empty cell or ``'10.5'`` in an integer column is
    an error, and no row is ever dropped.

    Parameters
    ----------
    policies : str, pathlib.Path, PolicySource, Dataset, polars.DataFrame or pandas.DataFrame
        A ``.csv``/``.parquet`` file or folder, a URI (``azure://…``,
        ``abfss://…``, ``postgresql://…``, ``sqlite:///…``), a source or dataset,
        or a frame with the lifelib columns.
    **options
        Read options for a path or URI (``table``, ``delimiter``, ``decimal``,
        ``thousands``, ``encoding``, ``date_format``, ``valuation_date``,
        ``age_basis``, ``filter``, ``version``, ``credential``).

    Returns
    -------
    Policies

    Raises
    ------
    DataError
        Unreadable source, missing required column, malformed or empty value,
        negative ``policy_count``/``sum_assured``, non-positive ``policy_term``,
        negative ``age_at_entry``, or a duplicate ``policy_id``; the message names
        the file, row, column and value.
    """
    from livecalc_lab.data import open_dataset
    from livecalc_lab.data.problems import ProblemLog
    from livecalc_lab.data.schema import ReadOptions, normalise, report_duplicates

    if isinstance(policies, Policies):
        return policies
    raw = None
    if isinstance(policies, pl.DataFrame):
        raw = policies
    elif type(policies).__module__.startswith("pandas"):
        raw = pl.from_pandas(policies)
    if raw is None:
        return open_dataset(policies, **options).read()
    source = "<DataFrame>"
    result = normalise(raw, source, options=ReadOptions.from_mapping(options))
    assert result is not None  # normalise raises rather than return None without a collecting log
    report_duplicates(result.frame["policy_id"], result.rows, source, ProblemLog())
    return Policies(frame=result.frame, source=source, has_duration=result.has_duration)


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

    See Also
    --------
    policy_problems : the same checks, reporting every problem.
    """
    from livecalc_lab.data.problems import ProblemLog

    policy_problems(policies, basis, ProblemLog())


def policy_problems(policies: Policies, basis: ProductBasis, log: Any) -> None:
    """Report each policy that ``basis`` cannot value to ``log`` (a :class:`~livecalc_lab.data.problems.ProblemLog`)."""
    f = _with_effective_term(policies.frame, basis)
    src = policies.source
    row = policies.row
    entry = f["age_at_entry"].to_numpy().astype(np.int64)
    term = f["policy_term"].to_numpy().astype(np.int64)
    dur0 = f["duration_mth"].to_numpy().astype(np.int64)
    if basis.whole_life:
        log.add_each(
            src, np.flatnonzero(term < 1), row, "age_at_entry", lambda r: int(entry[r]),
            lambda r: f"{int(entry[r])} is not below the mortality table's last age {basis.mort_max_age}, "
            f"so whole life product {basis.product!r} has no term to run",
        )
        active_term = term >= 1
        entry, term, dur0 = entry[active_term], term[active_term], dur0[active_term]
        rows_kept = np.flatnonzero(active_term)
        row = (lambda r, _row=row, _k=rows_kept: _row(int(_k[r])))
    if not basis.in_force:
        log.add_each(
            src, np.flatnonzero(dur0 != 0), row, "duration_mth", lambda r: int(dur0[r]),
            lambda r: f"{int(dur0[r])} is not 0, but product {basis.product!r} values new business issued at t = 0 "
            "(use an in-force product such as basic_term_se)",
        )
    T = 12 * term
    last = T - dur0
    if basis.premium_basis == "equivalence":
        last = np.maximum(last, T)
    active = last >= 0
    first_age = entry + np.where((basis.premium_basis == "equivalence") | (dur0 <= 0), 0, dur0 // 12)
    log.add_each(
        src, np.flatnonzero(active & (first_age < basis.mort_min_age)), row, "age_at_entry", lambda r: int(entry[r]),
        lambda r: f"{int(entry[r])} gives attained age {int(first_age[r])}, "
        f"below the mortality table's first age {basis.mort_min_age}",
    )
    log.add_each(
        src, np.flatnonzero(active & (entry + term > basis.mort_max_age)), row, "policy_term", lambda r: int(term[r]),
        lambda r: f"{int(term[r])} runs past the mortality table's last age {basis.mort_max_age} "
        f"(age_at_entry {int(entry[r])} + term {int(term[r])} = {int(entry[r] + term[r])})",
    )
    log.add_each(
        src, np.flatnonzero(active & (last >= basis.max_months)), row, "policy_term", lambda r: int(term[r]),
        lambda r: f"{int(term[r])} needs projection month {int(last[r])}, "
        f"past the discount curve's last year {len(basis.disc_zero_ann) - 1}",
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
            f"{policies.source} row {policies.row(r):,} columns 'age_at_entry', 'policy_term': "
            f"({out['age_at_entry'][r]}, {out['policy_term'][r]}) is not in product {basis.product!r}'s premium table"
        )
    return out
