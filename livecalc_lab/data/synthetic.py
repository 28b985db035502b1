"""Synthetic policy portfolios of any size, written as CSV or Parquet while they are generated.

The policy columns follow lifelib's BasicTerm model points: ``age_at_entry``
uniform on 20..59, ``policy_term`` one of 10/15/20 years, ``sum_assured``
uniform on 10,000..1,000,000 rounded to 1,000, ``sex`` M/F; new business
(``duration_mth`` 0, ``policy_count`` 1, valued by ``basic_term_s``) or, with
``in_force=True``, ``duration_mth`` uniform on -36..min(240, 12 x term − 1) and
``policy_count`` uniform on 0..100 (``basic_term_se``). Descriptive columns
(dates consistent with the ages and durations, region, channel, plan code,
underwriting class, policyholder name, e-mail, postcode, agent, notes) make a
CSV row about 220 bytes, like a real extract.

Row ``i`` depends only on ``(seed, i)`` — rows are generated in fixed blocks of
65,536, each from its own seeded generator — so a file of n rows is the first n
rows of any larger one with the same seed, whatever the write batch size.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import numpy as np
import polars as pl

from livecalc_lab.errors import DataError

__all__ = ["synthetic_portfolio", "synthetic_blocks", "BLOCK_ROWS"]

BLOCK_ROWS = 1 << 16
VALUATION_DATE = dt.date(2026, 1, 1)
_REGIONS = np.array(["UK-LON", "UK-SE", "UK-SW", "UK-MID", "UK-N", "UK-SCO", "UK-WAL", "UK-NI", "IE", "GG"])
_CHANNELS = np.array(["Agency", "Broker", "Bancassurance", "Direct", "Online", "Workplace"])
_CLASSES = np.array(["Preferred", "Standard", "Standard", "Standard", "Rated+50", "Rated+100"])
_FIRST = np.array(["Alex", "Sam", "Jordan", "Priya", "Mohammed", "Olivia", "Noah", "Amelia", "Liam", "Isla",
                   "Chen", "Fatima", "Oliver", "Sofia", "Jack", "Aisha", "Harry", "Grace", "Ethan", "Zara"])
_LAST = np.array(["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
                  "Robinson", "Thompson", "Evans", "Walker", "Khan", "Roberts", "Green", "Hall", "Wood", "Clarke"])
_NOTES = np.array([
    "",
    "Joint life cover converted to single life at policyholder request.",
    "Premium waiver rider declined; standard underwriting questionnaire completed online.",
    "Beneficiary nomination on file; trust form received and scanned by servicing team.",
    "Address updated after relocation; correspondence preference changed to electronic.",
    "Medical evidence: GP report obtained, no loading applied after review.",
])
_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUWXYZ"))


def _block(seed: int, k: int, start: int, stop: int, in_force: bool, valuation: dt.date) -> pl.DataFrame:
    """Rows ``start..stop-1`` of block ``k`` (rows ``k*BLOCK_ROWS ...``)."""
    rng = np.random.default_rng([seed, k])
    m = BLOCK_ROWS
    ids = np.arange(k * m + 1, (k + 1) * m + 1, dtype=np.int64)
    age = rng.integers(20, 60, m)
    term = rng.choice(np.array([10, 15, 20]), m)
    sa = np.round(rng.integers(10_000, 1_000_001, m), -3).astype(np.float64)
    sex = np.where(rng.random(m) < 0.5, "M", "F")
    if in_force:
        dur = np.minimum(rng.integers(-36, 241, m), 12 * term - 1)
        count = rng.integers(0, 101, m).astype(np.float64)
    else:
        dur = np.zeros(m, dtype=np.int64)
        count = np.ones(m)
    # Dates consistent with the ages: issued duration_mth months before the valuation date,
    # born age_at_entry years and 1..11 months (and a day) before issue (age last birthday at issue).
    val_month = valuation.year * 12 + valuation.month - 1
    issue_m = val_month - dur
    birth_m = issue_m - 12 * age - rng.integers(1, 12, m)
    day = rng.integers(1, 29, m)
    issue = _month_day(issue_m, np.ones(m, dtype=np.int64))
    birth = _month_day(birth_m, day)
    first, last = rng.choice(_FIRST, m), rng.choice(_LAST, m)
    frame = pl.DataFrame({
        "policy_id": ids,
        "age_at_entry": age.astype(np.int32),
        "sex": sex,
        "policy_term": term.astype(np.int32),
        "policy_count": count,
        "sum_assured": sa,
        "duration_mth": dur.astype(np.int32),
        "date_of_birth": birth,
        "issue_date": issue,
        "smoker_status": np.where(rng.random(m) < 0.16, "S", "N"),
        "underwriting_class": rng.choice(_CLASSES, m),
        "region": rng.choice(_REGIONS, m),
        "distribution_channel": rng.choice(_CHANNELS, m),
        "plan_code": np.char.add("LT", np.char.zfill(term.astype(str), 2)),
        "premium_frequency": np.where(rng.random(m) < 0.85, "Monthly", "Annual"),
        "currency": np.full(m, "GBP"),
        "policyholder_name": np.char.add(np.char.add(first, " "), last),
        "email": np.char.add(np.char.add(np.char.lower(first), "."), np.char.add(np.char.lower(last), "@example.co.uk")),
        "postcode": _postcodes(rng, m),
        "agent_id": np.char.add("AG-", np.char.zfill(rng.integers(1, 5000, m).astype(str), 6)),
        "notes": rng.choice(_NOTES, m),
    })
    if not in_force:
        frame = frame.drop("duration_mth")
    return frame.slice(start, stop - start)


def _month_day(month_index: np.ndarray, day: np.ndarray) -> pl.Series:
    years, months = np.divmod(month_index, 12)
    return pl.DataFrame({"y": years, "m": months + 1, "d": day}).select(
        pl.date(pl.col("y"), pl.col("m"), pl.col("d"))
    ).to_series()


def _postcodes(rng: np.random.Generator, m: int) -> np.ndarray:
    a = rng.choice(_LETTERS, (m, 4))
    d = rng.integers(1, 30, m).astype(str)
    e = rng.integers(0, 10, m).astype(str)
    return np.char.add(np.char.add(np.char.add(np.char.add(a[:, 0], a[:, 1]), d), " "),
                       np.char.add(np.char.add(e, a[:, 2]), a[:, 3]))


def synthetic_blocks(n: int, seed: int = 0, *, in_force: bool = False, valuation_date: dt.date = VALUATION_DATE) -> Iterator[pl.DataFrame]:
    """The portfolio of :func:`synthetic_portfolio` as frames of at most 65,536 rows."""
    if n < 0:
        raise DataError(f"n must be >= 0, not {n}")
    for k in range(-(-n // BLOCK_ROWS)):
        stop = min(BLOCK_ROWS, n - k * BLOCK_ROWS)
        yield _block(seed, k, 0, stop, in_force, valuation_date)


def synthetic_portfolio(
    n: int,
    seed: int = 0,
    out: str | Path | None = None,
    *,
    in_force: bool = False,
    valuation_date: dt.date | str = VALUATION_DATE,
    row_group_rows: int = 1 << 17,
) -> pl.DataFrame | Path:
    """Generate ``n`` realistic policies (see the module docstring), in memory or to a file.

    Parameters
    ----------
    n : int
        Number of policies (rows).
    seed : int
        Generator seed; the same ``(n, seed)`` gives the same rows.
    out : path, optional
        ``.csv`` or ``.parquet`` file to stream the rows to (memory stays flat
        for any n); None returns a DataFrame.
    in_force : bool
        In-force policies with ``duration_mth`` (product ``basic_term_se``)
        instead of new business (``basic_term_s``, the default product).
    valuation_date : date or ISO str
        Date the ``issue_date`` and ``date_of_birth`` columns are consistent with.
    row_group_rows : int
        Parquet row-group size.

    Returns
    -------
    polars.DataFrame or pathlib.Path

    Examples
    --------
    >>> synthetic_portfolio(3, seed=1).select("policy_id", "age_at_entry", "policy_term").height
    3
    """
    if isinstance(valuation_date, str):
        valuation_date = dt.date.fromisoformat(valuation_date)
    blocks = synthetic_blocks(n, seed, in_force=in_force, valuation_date=valuation_date)
    if out is None:
        frames = list(blocks)
        return pl.concat(frames) if frames else _block(seed, 0, 0, 0, in_force, valuation_date)
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise DataError(f"{path}: unknown file type {suffix!r}; expected .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if suffix == ".csv":
        with open(tmp, "wb") as f:
            for k, frame in enumerate(blocks):
                frame.write_csv(f, include_header=k == 0)
            if n == 0:
                _block(seed, 0, 0, 0, in_force, valuation_date).write_csv(f)
    else:
        _write_parquet(tmp, blocks, row_group_rows, _block(seed, 0, 0, 0, in_force, valuation_date))
    tmp.replace(path)
    return path


def _write_parquet(path: Path, blocks: Iterator[pl.DataFrame], row_group_rows: int, empty: pl.DataFrame) -> None:
    import pyarrow.parquet as pq

    writer = pq.ParquetWriter(path, empty.to_arrow().schema, compression="zstd")
    try:
        pending: list[pl.DataFrame] = []
        held = 0
        for frame in blocks:
            pending.append(frame)
            held += frame.height
            while held >= row_group_rows:
                joined = pl.concat(pending)
                writer.write_table(joined.head(row_group_rows).to_arrow(), row_group_size=row_group_rows)
                rest = joined.slice(row_group_rows)
                pending, held = [rest], rest.height
        if held:
            writer.write_table(pl.concat(pending).to_arrow(), row_group_size=row_group_rows)
    finally:
        writer.close()
