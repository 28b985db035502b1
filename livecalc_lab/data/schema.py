"""Strict conversion of policy data to the canonical schema, for every reader.

One path serves CSV text, typed Parquet/SQL columns and DataFrames: readers hand
a raw frame (and the 1-based source row of each of its rows) to
:func:`normalise`, which converts the policy columns (see
:mod:`livecalc_lab.model.policies`) or reports each bad value to a
:class:`~livecalc_lab.data.problems.ProblemLog`. Nothing is coerced and no row
is skipped: a malformed number, an empty required cell, an out-of-range value
or an unparseable date is a problem naming the source, row, column and value.

Numbers in text follow :class:`ReadOptions`: ``decimal`` (``.`` or ``,``) and
``thousands`` (none by default; when given, groups of three digits only). An
integer column takes whole numbers written without a fraction (``'10.0'`` is an
error); ``policy_count`` and ``sum_assured`` are floats and must be finite.

Dates. With ``valuation_date``, a missing ``age_at_entry`` is derived from
``date_of_birth`` and ``issue_date``, and a missing ``duration_mth`` from
``issue_date``:

* age last birthday = completed years from birth to issue; a 29 February
  birthday falls on 1 March in other years;
* age nearest birthday = age last birthday + 1 when at least six completed
  months have passed since that birthday;
* ``duration_mth`` = completed months from issue to the valuation date:
  ``12 (y_v - y_i) + (m_v - m_i) - [d_v < d_i]`` (negative for a policy issued
  after the valuation date, as lifelib's BasicTerm_SE expects).

Text dates are ISO ``YYYY-MM-DD`` unless ``date_format`` (a ``strftime``
pattern such as ``"%d/%m/%Y"``) is given; a date such as ``03/04/1980`` without
``date_format`` is reported as ambiguous.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
import polars as pl

from livecalc_lab.data.problems import ProblemLog
from livecalc_lab.errors import DataError
from livecalc_lab.model.policies import CATEGORY_COLUMNS, ID_ALIASES, POLICY_COLUMNS, REQUIRED

__all__ = ["ReadOptions", "ColumnPlan", "plan_columns", "normalise", "report_duplicates", "id_kind_of"]

ID = "policy_id"
DERIVED_FROM = {"age_at_entry": ("date_of_birth", "issue_date"), "duration_mth": ("issue_date",)}
RANGES: dict[str, tuple[float, float | None]] = {
    "policy_count": (0.0, None),
    "sum_assured": (0.0, None),
    "policy_term": (1, 150),
    "age_at_entry": (0, 200),
    "duration_mth": (-1800, 1812),
}
_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "cp1252": "cp1252", "windows-1252": "cp1252"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read policy data (all optional; a PolicySource carries them as ``options``).

    Attributes
    ----------
    delimiter : str or None
        CSV field separator; None guesses it from the header among ``,`` ``;``
        tab and ``|``, and raises if the header holds more than one of them.
    decimal : {".", ","}
        Decimal separator of numbers in text.
    thousands : str or None
        Thousands separator (``,`` ``.`` ``'`` ``_`` or space); None: none allowed.
    encoding : {"utf-8", "cp1252"}
        Text encoding; a UTF-8 byte-order mark is recognised and skipped.
    date_format : str or None
        ``strftime`` pattern of text dates; None: ISO ``YYYY-MM-DD``.
    valuation_date : datetime.date or None
        Derives ``age_at_entry``/``duration_mth`` from dates when those columns are absent.
    age_basis : {"last", "nearest"}
        Age last or nearest birthday, for a derived ``age_at_entry``.
    table : str or None
        Table (or ``schema.table``) of a database source.
    """

    delimiter: str | None = None
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8"
    date_format: str | None = None
    valuation_date: _dt.date | None = None
    age_basis: str = "last"
    table: str | None = None

    def __post_init__(self) -> None:
        if self.delimiter is not None and (len(self.delimiter) != 1 or self.delimiter in "\"\r\n"):
            raise DataError(f"delimiter must be one character other than a quote or newline, not {self.delimiter!r}")
        if self.decimal not in (".", ","):
            raise DataError(f"decimal must be '.' or ',', not {self.decimal!r}")
        if self.thousands is not None and self.thousands not in (",", ".", " ", "'", "_"):
            raise DataError(f"thousands must be one of ',', '.', ' ', \"'\", '_' or None, not {self.thousands!r}")
        if self.thousands is not None and self.thousands == self.decimal:
            raise DataError(f"thousands and decimal separators are both {self.decimal!r}")
        if self.delimiter is not None and self.delimiter in (self.decimal, self.thousands):
            raise DataError(
                f"delimiter {self.delimiter!r} is also the decimal or thousands separator; numbers would be ambiguous"
            )
        enc = _ENCODINGS.get(self.encoding.lower().replace("_", "-"))
        if enc is None:
            raise DataError(f"encoding must be 'utf-8' or 'cp1252', not {self.encoding!r}")
        object.__setattr__(self, "encoding", enc)
        if self.age_basis not in ("last", "nearest"):
            raise DataError(f"age_basis must be 'last' or 'nearest', not {self.age_basis!r}")
        if isinstance(self.valuation_date, str):
            try:
                object.__setattr__(self, "valuation_date", _dt.date.fromisoformat(self.valuation_date))
            except ValueError:
                raise DataError(f"valuation_date must be an ISO date YYYY-MM-DD, not {self.valuation_date!r}") from None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> "ReadOptions":
        """Options from a mapping (a PolicySource's ``options``); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise DataError(f"unknown read option(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
        return cls(**dict(options))

    def to_mapping(self) -> dict[str, Any]:
        """Options that differ from the defaults, as JSON scalars."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v != f.default:
                out[f.name] = v.isoformat() if isinstance(v, _dt.date) else v
        return out


# ---- which source column feeds each policy column ------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """Which source column feeds each policy column.

    Attributes
    ----------
    sources : dict
        Policy column → source column name, ``"derived"`` (from dates) or
        ``"default"`` (``duration_mth`` = 0 for new business).
    missing : list of str
        Required policy columns that are neither present nor derivable.
    extra : list of str
        Source columns that are not policy columns.
    """

    sources: dict[str, str]
    missing: list[str]
    extra: list[str]

    @property
    def has_duration(self) -> bool:
        """Whether ``duration_mth`` comes from the data (a column or dates), not the default 0."""
        return self.sources.get("duration_mth") not in (None, "default")

    def missing_text(self, columns: list[str]) -> str:
        """What to say about a plan with missing columns (the source name goes in front)."""
        names = []
        for m in self.missing:
            if m in DERIVED_FROM:
                names.append(f"'{m}' (or {' and '.join(map(repr, DERIVED_FROM[m]))} with valuation_date)")
            else:
                names.append(repr(m))
        s = "s" if len(names) > 1 else ""
        return f"missing required column{s} {', '.join(names)} (columns: {', '.join(columns)})"


def plan_columns(columns: list[str], options: ReadOptions = ReadOptions()) -> ColumnPlan:
    """Map source column names (header cells, stripped) to the policy columns."""
    present = {c.strip(): c for c in columns}
    sources: dict[str, str] = {}
    if ID in present:
        sources[ID] = present[ID]
    else:
        for alias in ID_ALIASES:
            if alias in present:
                sources[ID] = present[alias]
                break
    for name in POLICY_COLUMNS:
        if name in present:
            sources[name] = present[name]
        elif name in DERIVED_FROM and options.valuation_date is not None and all(c in present for c in DERIVED_FROM[name]):
            sources[name] = "derived"
        elif name == "duration_mth":
            sources[name] = "default"
    for name in CATEGORY_COLUMNS:
        if name in present:
            sources[name] = present[name]
    missing = [c for c in REQUIRED if c not in sources]
    used = set(sources.values())
    extra = [c for c in columns if c not in used]
    return ColumnPlan(sources, missing, extra)


# ---- numbers -------------------------------------------------------------------------------------


def _is_empty(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _number_regex(integer: bool, opts: ReadOptions) -> str:
    t = re.escape(opts.thousands) if opts.thousands else None
    d = re.escape(opts.decimal)
    whole = rf"(?:\d{{1,3}}(?:{t}\d{{3}})+|\d+)" if t else r"\d+"
    if integer:
        return rf"^[+-]?{whole}$"
    body = rf"(?:{whole}(?:{d}\d*)?|{d}\d+)"
    exponent = r"(?:[eE][+-]?\d+)?" if t is None else ""
    return rf"^[+-]?{body}{exponent}$"


def _describe_number(value: Any, integer: bool, opts: ReadOptions) -> str:
    kind = "an integer" if integer else "a number"
    base = f"{value!r} is not {kind}"
    t = str(value).strip()
    if re.fullmatch(r"[+-]?(inf|infinity|nan)", t, re.I):
        return f"{value!r} is not a finite number"
    grouped = re.fullmatch(r"[+-]?\d{1,3}(?:([,.' ])\d{3})+(?:[.,]\d+)?", t)
    decimal_comma = re.fullmatch(r"[+-]?\d*,\d+", t)
    if opts.thousands is None and grouped and (grouped.group(1) != opts.decimal or t.count(grouped.group(1)) > 1):
        sep = grouped.group(1)
        if decimal_comma and opts.decimal == ".":
            return f"{base} (',' is a thousands separator or a decimal comma: pass thousands=',' or decimal=',')"
        return f"{base} ({sep!r} looks like a thousands separator: pass thousands={sep!r} if the file uses one)"
    if opts.thousands is not None and opts.thousands in t:
        return f"{base} (thousands separator {opts.thousands!r} in the wrong place)"
    if opts.decimal == "." and decimal_comma:
        return f"{base} (a decimal comma in a '.'-decimal file: pass decimal=',' if the file uses decimal commas)"
    if opts.decimal == "," and "." in t:
        return f"{base} (a '.' in a ','-decimal file)"
    return base


def _to_number(s: pl.Series, dtype: pl.DataType, opts: ReadOptions) -> tuple[pl.Series, np.ndarray, str | None]:
    """``(converted, bad mask, column-level problem)``; nulls stay null (checked by the caller)."""
    integer = dtype.is_integer()
    if s.dtype == pl.String:
        text = s.str.strip_chars()
        ok = text.str.contains(_number_regex(integer, opts))
        if opts.thousands:
            text = text.str.replace_all(opts.thousands, "", literal=True)
        if opts.decimal != ".":
            text = text.str.replace_all(opts.decimal, ".", literal=True)
        conv = text.cast(dtype, strict=False)
        bad = (text.is_not_null() & (text != "") & (~ok.fill_null(False) | conv.is_null())).to_numpy()
        if not integer:
            bad |= (conv.is_not_null() & ~conv.is_finite()).fill_null(False).to_numpy()
        return conv, bad, None
    if s.dtype.is_numeric() or s.dtype == pl.Null:
        conv = s.cast(dtype, strict=False)
        bad = np.zeros(len(s), dtype=bool)
        if s.dtype.is_float():
            bad = (s.is_not_null() & ~s.is_finite()).fill_null(False).to_numpy()
            if integer:
                bad |= (s.is_not_null() & (s % 1 != 0)).fill_null(False).to_numpy()
        bad |= (s.is_not_null() & conv.is_null()).to_numpy()
        return conv, bad, None
    return pl.Series(s.name, [None] * len(s), dtype=dtype), np.zeros(len(s), bool), f"has type {s.dtype}; expected numbers"


def id_kind_of(ids: pl.Series) -> str:
    """``"int"`` when every present id is an int64 integer (typed, or text of digits), else ``"str"``."""
    if ids.dtype.is_integer():
        return "int"
    if ids.dtype != pl.String:
        return "str"
    text = ids.str.strip_chars()
    present = text.filter(text != "")
    return "int" if present.cast(pl.Int64, strict=False).null_count() == 0 else "str"


def _to_ids(s: pl.Series, kind: str) -> tuple[pl.Series, np.ndarray, str | None]:
    if kind == "int":
        if s.dtype.is_integer():
            return s.cast(pl.Int64), np.zeros(len(s), bool), None
        if s.dtype == pl.String:
            text = s.str.strip_chars()
            conv = text.cast(pl.Int64, strict=False)
            bad = (text.is_not_null() & (text != "") & conv.is_null()).to_numpy()
            return conv, bad, None
    elif s.dtype == pl.String:
        return s.str.strip_chars(), np.zeros(len(s), bool), None
    elif s.dtype.is_integer():
        return s.cast(pl.String), np.zeros(len(s), bool), None
    return pl.Series(s.name, [None] * len(s), pl.Int64), np.zeros(len(s), bool), f"has type {s.dtype}; expected integers or text"


# ---- dates ---------------------------------------------------------------------------------------


def _describe_date(value: Any, opts: ReadOptions) -> str:
    t = str(value).strip()
    m = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", t)
    if opts.date_format is None and m:
        a, sep, b = int(m.group(1)), m.group(2), int(m.group(3))
        day_first, month_first = f"%d{sep}%m{sep}%Y", f"%m{sep}%d{sep}%Y"
        if a <= 12 and b <= 12:
            return (
                f"{value!r} is an ambiguous date: pass date_format={day_first!r} (day first) "
                f"or {month_first!r} (month first)"
            )
        fmt = day_first if a > 12 else month_first
        return f"{value!r} is not an ISO date (YYYY-MM-DD); it looks like {fmt!r}: pass date_format={fmt!r}"
    return f"{value!r} is not a date in the form {opts.date_format or 'YYYY-MM-DD'!r}"


def _to_date(s: pl.Series, opts: ReadOptions) -> tuple[pl.Series, np.ndarray, str | None]:
    if s.dtype == pl.Date:
        return s, np.zeros(len(s), bool), None
    if isinstance(s.dtype, pl.Datetime):
        return s.dt.date(), np.zeros(len(s), bool), None
    if s.dtype != pl.String:
        return pl.Series(s.name, [None] * len(s), pl.Date), np.zeros(len(s), bool), f"has type {s.dtype}; expected dates"
    text = s.str.strip_chars()
    conv = text.str.to_date(opts.date_format or "%Y-%m-%d", strict=False)
    bad = (text.is_not_null() & (text != "") & conv.is_null()).to_numpy()
    return conv, bad, None


def _ymd(d: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Null dates (already reported) become 0 so the arithmetic stays integer.
    return tuple(part.fill_null(0).to_numpy().astype(np.int64) for part in (d.dt.year(), d.dt.month(), d.dt.day()))


def completed_months(start: pl.Series, end: pl.Series | _dt.date) -> np.ndarray:
    """Completed calendar months from ``start`` to ``end``: ``12 Δy + Δm - [d_end < d_start]``."""
    y0, m0, d0 = _ymd(start)
    if isinstance(end, _dt.date):
        y1, m1, d1 = end.year, end.month, end.day
    else:
        y1, m1, d1 = _ymd(end)
    # A 29 February birthday counts as 1 March in a common year (handled by comparing (month, day)).
    return 12 * (y1 - y0) + (m1 - m0) - (d1 < d0)


def derive_age_at_entry(dob: pl.Series, issue: pl.Series, basis: str) -> np.ndarray:
    """Age at issue, last or nearest birthday (see the module docstring)."""
    months = completed_months(dob, issue)
    age_last = np.floor_divide(months, 12)
    if basis == "nearest":
        return age_last + (months - 12 * age_last >= 6)
    return age_last


# ---- the one strict path -------------------------------------------------------------------------


@dataclass
class Normalised:
    """A chunk of policies in the canonical schema.

    ``frame`` holds ``policy_id``, the five numeric policy columns (see
    ``POLICY_COLUMNS``) and, with ``keep_extra``, the other source columns as
    read; ``rows`` the 1-based source row of each frame row.
    """

    frame: pl.DataFrame
    rows: np.ndarray
    has_duration: bool


def normalise(
    raw: pl.DataFrame,
    source: str,
    *,
    rows: np.ndarray | None = None,
    options: ReadOptions = ReadOptions(),
    id_kind: str | None = None,
    log: ProblemLog | None = None,
    keep_extra: bool = False,
) -> Normalised | None:
    """Convert a raw frame (text or typed columns) to the canonical policy schema.

    Parameters
    ----------
    raw : polars.DataFrame
        Columns as read: text (CSV) or typed (Parquet, SQL, a DataFrame).
    source : str
        Name used in messages (file, blob or table).
    rows : numpy.ndarray of int, optional
        1-based source row of each raw row; default ``1 .. len(raw)``.
    options : ReadOptions
        Decimal/thousands separators, date format, valuation date, age basis.
    id_kind : {"int", "str"} or None
        How ids are held dataset-wide (decided once per dataset so that every
        chunk agrees); None decides from this frame.
    log : ProblemLog, optional
        Default: raise on the first problem.
    keep_extra : bool
        Keep the non-policy columns.

    Returns
    -------
    Normalised or None
        None only when required columns are missing and ``log`` collects.
        Rows with a problem are left out when ``log`` collects.

    Raises
    ------
    DataError
        The first problem, when ``log`` does not collect.
    """
    log = log if log is not None else ProblemLog()
    rows = np.arange(1, raw.height + 1, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    plan = plan_columns(raw.columns, options)
    if plan.missing:
        log.add(source, None, None, None, plan.missing_text(raw.columns))
        return None
    keep = np.ones(raw.height, dtype=bool)
    out: dict[str, pl.Series] = {}

    def check(name: str, src: pl.Series, bad: np.ndarray, column_problem: str | None, describe: Any) -> None:
        nonlocal keep
        if column_problem is not None:
            log.add(source, None, name, None, column_problem)
            keep[:] = False
            return
        empty = src.is_null().to_numpy()
        if src.dtype == pl.String:
            empty |= (src.str.strip_chars() == "").fill_null(True).to_numpy()
        log.add_rows(source, rows, name, src, empty | bad, lambda v: "value is empty" if _is_empty(v) else describe(v))
        keep &= ~(empty | bad)

    ids_raw = raw[plan.sources[ID]]
    kind = id_kind or id_kind_of(ids_raw)
    ids, bad, colp = _to_ids(ids_raw, kind)
    check(ID, ids_raw, bad, colp, lambda v: f"{v!r} is not an integer (other ids in this dataset are integers)")
    out[ID] = ids.rename(ID)

    derived = [k for k, v in plan.sources.items() if v == "derived"]
    dates: dict[str, pl.Series] = {}
    for name in sorted({c for k in derived for c in DERIVED_FROM[k]}):
        conv, bad, colp = _to_date(raw[name], options)
        check(name, raw[name], bad, colp, lambda v: _describe_date(v, options))
        dates[name] = conv

    for name, dtype in POLICY_COLUMNS.items():
        how = plan.sources[name]
        if how == "default":
            out[name] = pl.Series(name, np.zeros(raw.height, dtype=np.int64))
        elif how == "derived":
            if name == "age_at_entry":
                vals = derive_age_at_entry(dates["date_of_birth"], dates["issue_date"], options.age_basis)
            else:
                vals = completed_months(dates["issue_date"], options.valuation_date)
            out[name] = pl.Series(name, vals, dtype=pl.Int64)
        else:
            integer = dtype.is_integer()
            conv, bad, colp = _to_number(raw[how], pl.Int64 if integer else dtype, options)
            check(name, raw[how], bad, colp, lambda v, i=integer: _describe_number(v, i, options))
            out[name] = conv.rename(name)

    for name in CATEGORY_COLUMNS:
        if name in plan.sources:
            src = raw[plan.sources[name]]
            text = src.cast(pl.String).str.strip_chars()
            check(name, src, np.zeros(raw.height, dtype=bool), None, str)
            out[name] = text.rename(name)

    for name, (lo, hi) in RANGES.items():
        s = out[name]
        vals = s.to_numpy()
        with np.errstate(invalid="ignore"):
            bad = keep & s.is_not_null().to_numpy() & ((vals < lo) | ((vals > hi) if hi is not None else False))
        what = "negative" if hi is None and lo == 0 else f"outside [{lo}, {hi}]"
        if name in derived:
            what += f" (derived from {' and '.join(DERIVED_FROM[name])})"
        log.add_rows(source, rows, name, s, bad, lambda v, w=what: f"{v!r} is {w}")
        keep &= ~bad

    frame = pl.DataFrame(out)
    if keep_extra:
        frame = frame.hstack([raw[c] for c in plan.extra if c not in frame.columns])
    if not keep.all():
        frame = frame.filter(pl.Series(keep))
        rows = rows[keep]
    frame = frame.with_columns(pl.col(n).cast(t) for n, t in POLICY_COLUMNS.items())
    return Normalised(frame, rows, plan.has_duration)


def report_duplicates(ids: pl.Series, rows: np.ndarray, source: str, log: ProblemLog) -> None:
    """Report every id that repeats an earlier one: ``row 3 column 'policy_id': 1 duplicates row 1``.

    ``rows`` are the 1-based source rows of ``ids``; ids may come in any row order.
    """
    dup = ids.is_duplicated()
    if not dup.any():
        return
    frame = pl.DataFrame({"id": ids, "row": rows}).filter(dup)
    later = (
        frame.with_columns(pl.col("row").min().over("id").alias("first"))
        .filter(pl.col("row") != pl.col("first"))
        .sort("row")
    )
    for i, (value, row, first) in enumerate(later.head((log.limit or 0) + 1).iter_rows()):
        if log.full:
            log.n_more += later.height - i
            return
        log.add(source, row, ID, value, f"{value!r} duplicates row {first:,}")
