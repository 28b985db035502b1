"""Economic scenarios: a seeded Hull-White generator run in the engine, and scenario files.

A **scenario** is one path of the economic variables over projection months
``t = 0, 1, ...`` (DESIGN.md §3):

``disc_factor``
    D(t), the stochastic discount factor from t to 0, for t = 0 .. n_months
    (D(0) = 1). Under the certainty-equivalent scenario D(t) = P(0, t), the
    zero-coupon prices of the assumption set's curve.
``short_rate``
    r(t), the instantaneous short rate at the start of month t, per year,
    continuously compounded, for t = 0 .. n_months - 1.
``fund_return``
    R(t), the fund's total return over month t (from t to t + 1) as a decimal,
    for t = 0 .. n_months - 1; the fund index is I(t) = prod_{u < t} (1 + R(u)).

Scenarios are numbered 1, 2, ..., n; scenario 0 is the deterministic
certainty-equivalent (CE) scenario, kept apart in :attr:`ScenarioSet.ce`.

Two sources:

* :func:`generate` / :func:`generate_for_basis`: a one-factor Hull-White short
  rate fitted to the initial curve with a lognormal fund, computed inside the
  WASM engine (``lc_hull_white`` in ``engine/include/livecalc.h`` states the
  model, its exact monthly discretisation and the Philox4x32-10 + Box-Muller
  normals). Scenario k is a function of (spec, curve, k) alone: it does not
  depend on how many scenarios are asked for, the batching or the machine.
* :func:`read_scenarios`: files from the user's own generator, long
  (``scenario, t, short_rate, disc_factor, fund_return``) or wide (one file per
  variable, ``scen_id, t0 .. tN``, as lifelib's ``scen_monthly_returns_*.csv.gz``),
  CSV, gzipped CSV or Parquet; written back by :meth:`ScenarioSet.write`.

A :class:`ScenarioSpec` (generator, parameters, count, seed) is versioned
apart from the assumption set: a generated set is identified by the spec's
version together with the assumption set's (which fixes the curve).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab._parse import ragged_row, strict_cast
from livecalc_lab.errors import AssumptionError, DataError, plain

__all__ = [
    "ScenarioSpec",
    "ScenarioSet",
    "hull_white",
    "generate",
    "generate_for_basis",
    "certainty_equivalent",
    "read_scenarios",
    "VARIABLES",
]

VARIABLES = ("short_rate", "disc_factor", "fund_return")
SPEC_FORMAT = "livecalc-scenario-spec/1"
SET_FORMAT = "livecalc-scenarios/1"
GENERATORS = ("hull_white",)

DEFAULT_A = 0.05
DEFAULT_SIGMA = 0.01
DEFAULT_FUND_SIGMA = 0.15
DEFAULT_FUND_EXCESS = 0.0
MIN_A = 1e-4
MAX_ID = 2**32 - 1
MAX_BATCH_BYTES = 64 << 20  # output bytes per engine call
_SUFFIXES = (".csv.gz", ".csv", ".parquet", ".pq")


# ---------------------------------------------------------------------------
# the spec
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioSpec:
    """Generator, parameters, scenario count and seed of a stochastic scenario set.

    Defaults are realistic, not zero volatility:

    * ``a = 0.05`` per year: slow mean reversion (a half-life of ln 2 / a, about
      14 years), in the range that Hull-White calibrations to long-dated
      swaptions typically give (0.01 - 0.1); long rates keep meaningful volatility.
    * ``sigma = 0.01`` per sqrt(year): 100 basis points a year of normal
      short-rate volatility, the order of market normal swaption volatilities
      (roughly 60 - 120 bp). With ``a = 0.05`` the stationary standard deviation
      of r is sigma / sqrt(2a) = 3.2 percentage points.
    * ``fund_sigma = 0.15`` per sqrt(year): a diversified equity fund.
    * ``fund_excess = 0``: risk neutral (market-consistent valuation); a positive
      value is a real-world equity risk premium per year.

    Parameters
    ----------
    generator : str
        ``"hull_white"`` (the only one so far).
    a : float
        Mean reversion per year, >= 1e-4. (Smaller values are refused: the
        engine's closed form for the integrated variance loses accuracy as a -> 0,
        relative error about 1e-6 at a = 1e-4 and 6% at 1e-6; a = 0 would be the
        Ho-Lee model, which is not offered.)
    sigma : float
        Short-rate volatility per sqrt(year), >= 0 (0 reproduces the curve exactly).
    fund_sigma : float
        Fund log-return volatility per sqrt(year), >= 0.
    fund_excess : float
        Fund drift over the short rate per year (0: risk neutral).
    n : int
        Number of stochastic scenarios; their ids are 1 .. n (at most 2**32 - 1).
    seed : int
        0 <= seed < 2**64; its low and high 32 bits are the Philox key.

    Raises
    ------
    AssumptionError
        A parameter missing, of the wrong type, not finite or out of range; the
        message names the field and the value, e.g.
        ``scenario spec sigma: -0.01 is negative (volatility must be >= 0)``.

    Examples
    --------
    >>> spec = ScenarioSpec(n=10, seed=7)
    >>> ScenarioSpec.from_json(spec.to_json()) == spec
    True
    >>> spec.version == ScenarioSpec(a=5e-2, n=10, seed=7, sigma=1e-2).version
    True
    """

    generator: str = "hull_white"
    a: float = DEFAULT_A
    sigma: float = DEFAULT_SIGMA
    fund_sigma: float = DEFAULT_FUND_SIGMA
    fund_excess: float = DEFAULT_FUND_EXCESS
    n: int = 1000
    seed: int = 1

    def __post_init__(self) -> None:
        if self.generator not in GENERATORS:
            raise AssumptionError(
                f"scenario spec generator: {self.generator!r} is not known; known: {', '.join(GENERATORS)}"
            )
        a = _real("a", self.a)
        if not a >= MIN_A:
            raise AssumptionError(
                f"scenario spec a: {self.a!r} is not a mean reversion >= {MIN_A:g} per year "
                "(a must be positive; a -> 0 is the Ho-Lee model, not offered)"
            )
        vols = {}
        for name in ("sigma", "fund_sigma"):
            v = _real(name, getattr(self, name))
            if v < 0:
                raise AssumptionError(f"scenario spec {name}: {v!r} is negative (volatility must be >= 0)")
            vols[name] = v
        excess = _real("fund_excess", self.fund_excess)
        n = _integer("n", self.n)
        if not 1 <= n <= MAX_ID:
            raise AssumptionError(f"scenario spec n: {n!r} is not a scenario count from 1 to {MAX_ID:,}")
        seed = _integer("seed", self.seed)
        if not 0 <= seed < 2**64:
            raise AssumptionError(f"scenario spec seed: {seed!r} is outside 0 <= seed < 2**64")
        # Normalised values (+ 0.0 turns -0.0 into 0.0), so equal specs compare and hash alike.
        for name, value in (("a", a), ("sigma", vols["sigma"]), ("fund_sigma", vols["fund_sigma"]),
                            ("fund_excess", excess), ("n", n), ("seed", seed)):
            object.__setattr__(self, name, value + 0.0 if isinstance(value, float) else value)

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready values (with ``"format"``); floats as floats, ``n`` and ``seed`` as ints."""
        return {"format": SPEC_FORMAT, "generator": self.generator, "a": self.a, "sigma": self.sigma,
                "fund_sigma": self.fund_sigma, "fund_excess": self.fund_excess, "n": self.n, "seed": self.seed}

    def to_json(self) -> str:
        """Canonical JSON: keys sorted, no whitespace, ASCII (the text :attr:`version` hashes)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScenarioSpec:
        """Inverse of :meth:`to_dict`; unknown keys or another ``format`` raise :class:`AssumptionError`."""
        if not isinstance(d, dict):
            raise AssumptionError(f"scenario spec: expected an object, got {d!r}")
        d = dict(d)
        fmt = d.pop("format", SPEC_FORMAT)
        if fmt != SPEC_FORMAT:
            raise AssumptionError(f"scenario spec format: {fmt!r} is not {SPEC_FORMAT!r}")
        known = {"generator", "a", "sigma", "fund_sigma", "fund_excess", "n", "seed"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise AssumptionError(
                f"scenario spec: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> ScenarioSpec:
        """Parse :meth:`to_json` output (any key order or whitespace)."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise AssumptionError(
                f"scenario spec: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None

    @property
    def version(self) -> str:
        """``"sha256:<hex>"`` of :meth:`to_json`.

        Real parameters are serialised as floats (``1`` and ``1.0`` hash alike); ``n``
        and ``seed`` as integers, so every seed below 2**64 keeps its own version.
        """
        return "sha256:" + hashlib.sha256(self.to_json().encode()).hexdigest()


def _real(name: str, v: Any) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise AssumptionError(f"scenario spec {name}: {v!r} is not a number")
    f = float(v)
    if not math.isfinite(f):
        raise AssumptionError(f"scenario spec {name}: {v!r} is not a finite number")
    return f


def _integer(name: str, v: Any) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise AssumptionError(f"scenario spec {name}: {v!r} is not an integer")
    return int(v)


def hull_white(n: int = 1000, seed: int = 1, a: float = DEFAULT_A, sigma: float = DEFAULT_SIGMA,
               fund_sigma: float = DEFAULT_FUND_SIGMA, fund_excess: float = DEFAULT_FUND_EXCESS) -> ScenarioSpec:
    """A Hull-White :class:`ScenarioSpec`: ``lc.hull_white(n=1000, seed=1)``.

    See :class:`ScenarioSpec` for the parameters, their units and the defaults.

    Examples
    --------
    >>> hull_white(n=500, seed=3).n
    500
    """
    return ScenarioSpec(generator="hull_white", a=a, sigma=sigma, fund_sigma=fund_sigma,
                        fund_excess=fund_excess, n=n, seed=seed)


# ---------------------------------------------------------------------------
# the set
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Scenarios 1 .. n of economic variables by month, plus the certainty-equivalent scenario.

    Arrays are float64 unless stated and scenario-major (row i is scenario
    ``ids[i]``); the constructor makes them read-only in place (no copy).

    Attributes
    ----------
    ids : ndarray, shape (n,) int64
        Scenario numbers, increasing: 1 .. n (0 only in :attr:`ce`).
    n_months : int
        Months covered: discount factors for t = 0 .. n_months, short rates and
        fund returns for months t = 0 .. n_months - 1.
    disc_factor : ndarray, shape (n, n_months + 1) or None
        D(t), t in months, D(0) = 1. None when a scenario file carries no discount
        factors: the valuation then discounts deterministically with the
        assumption set's curve.
    short_rate : ndarray, shape (n, n_months) or None
        r(t) at the start of month t, per year, continuously compounded.
    fund_return : ndarray, shape (n, n_months) or None
        R(t), total return over month t (t to t + 1) as a decimal; 1 + R > 0.
    ce : ScenarioSet or None
        The certainty-equivalent scenario (ids ``[0]``, same variables): D(t) =
        P(0, t) exactly, r and R from the curve's monthly forward rates.
    spec : ScenarioSpec or None
        The generator's spec (None for scenarios read from files).
    source : str
        ``"hull_white"``, ``"certainty_equivalent"`` or the file path(s).
    version : str
        The spec's version for generated sets, else :attr:`content_hash`.
    """

    ids: np.ndarray
    n_months: int
    disc_factor: np.ndarray | None = None
    short_rate: np.ndarray | None = None
    fund_return: np.ndarray | None = None
    ce: ScenarioSet | None = None
    spec: ScenarioSpec | None = None
    source: str = ""
    version: str = field(default="")

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
        if ids.size and (ids[0] < 0 or np.any(np.diff(ids) <= 0)):
            raise ValueError("ScenarioSet ids must be non-negative and strictly increasing")
        n, T = ids.size, int(self.n_months)
        if T < 0:
            raise ValueError(f"n_months must be >= 0, got {T}")
        arrays = {}
        for name in VARIABLES:
            arr = getattr(self, name)
            if arr is None:
                continue
            arr = np.asarray(arr, dtype=np.float64)
            want = (n, T + 1) if name == "disc_factor" else (n, T)
            if arr.shape != want:
                raise ValueError(f"ScenarioSet {name} has shape {arr.shape}, expected {want}")
            if arr.flags.writeable:
                arr.setflags(write=False)
            arrays[name] = arr
        if not arrays:
            raise ValueError("a ScenarioSet needs at least one of " + ", ".join(VARIABLES))
        for name, arr in arrays.items():
            _check_set_values(name, arr, ids, self.source)
        ids.setflags(write=False)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "n_months", T)
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)
        if not self.version:
            object.__setattr__(self, "version", self.content_hash)

    def __repr__(self) -> str:
        return (f"ScenarioSet(n={self.n}, n_months={self.n_months}, variables={self.variables}, "
                f"source={self.source!r}, version={self.version[:19]}...)")

    def __len__(self) -> int:
        return self.n

    @property
    def n(self) -> int:
        """Number of scenarios (rows), the CE scenario not counted."""
        return int(self.ids.size)

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the variables present, in the order of ``VARIABLES``."""
        return tuple(v for v in VARIABLES if getattr(self, v) is not None)

    @property
    def last_t(self) -> int:
        """The last month t for which every variable present has a value."""
        return self.n_months - 1 if (self.short_rate is not None or self.fund_return is not None) else self.n_months

    @cached_property
    def content_hash(self) -> str:
        """``"sha256:<hex>"`` of the ids and arrays (little-endian float64) and of the CE scenario.

        Equal for the same numbers whatever file format they came from.
        """
        h = hashlib.sha256()
        head = {"format": SET_FORMAT, "n": self.n, "n_months": self.n_months, "variables": list(self.variables)}
        h.update(json.dumps(head, sort_keys=True, separators=(",", ":")).encode() + b"\n")
        h.update(np.ascontiguousarray(self.ids, dtype="<i8").tobytes())
        for name in self.variables:
            h.update(name.encode() + b"\n")
            h.update(np.ascontiguousarray(getattr(self, name), dtype="<f8").tobytes())
        if self.ce is not None:
            h.update(b"ce " + self.ce.content_hash.encode())
        return "sha256:" + h.hexdigest()

    def scenario(self, k: int) -> dict[str, np.ndarray]:
        """The variables of scenario ``k`` (0 for the CE scenario) as 1-D arrays.

        Raises
        ------
        KeyError
            No scenario ``k`` in the set.
        """
        if k == 0 and self.ce is not None:
            return self.ce.scenario(0)
        pos = int(np.searchsorted(self.ids, k))
        if pos >= self.n or self.ids[pos] != k:
            raise KeyError(f"no scenario {k} (ids {self.ids[0] if self.n else '-'}..{self.ids[-1] if self.n else '-'})")
        return {name: getattr(self, name)[pos] for name in self.variables}

    def check_covers(self, n_months: int, *, where: str | None = None) -> None:
        """Raise if the scenarios do not reach the last month a projection of ``n_months`` months needs.

        A projection of ``n_months`` months has cashflows at t = 0 .. n_months - 1
        and needs every variable present at those t (D(t); r and R of month t).

        Parameters
        ----------
        n_months : int
            Projection months the longest policy needs.
        where : str, optional
            What needs them, for the message (default ``"the longest policy"``).

        Raises
        ------
        DataError
            Scenarios read from a file: ``"scenario file X covers t = 0..120 but the
            longest policy needs t = 0..240"``.
        AssumptionError
            Generated scenarios (the spec's horizon is too short).
        """
        need = int(n_months) - 1
        if need <= self.last_t:
            return
        generated = self.spec is not None or self.source in ("hull_white", "certainty_equivalent")
        what = (f"scenario set {self.source} ({self.version[:19]}...)" if generated
                else f"scenario file {self.source}")
        err = AssumptionError if generated else DataError
        raise err(f"{what} covers t = 0..{self.last_t} but {where or 'the longest policy'} needs t = 0..{need}")

    # -- writing ------------------------------------------------------------------
    def write(self, path: str | os.PathLike, layout: str = "long", *, include_ce: bool = True) -> list[Path]:
        """Write the scenarios as CSV (``.csv``), gzipped CSV (``.csv.gz``) or Parquet (``.parquet``).

        Parameters
        ----------
        path : str or path-like
            ``long``: the file. ``wide``: the name the per-variable files are derived
            from: ``dir/name.csv.gz`` gives ``dir/name.fund_return.csv.gz`` etc.
        layout : {"long", "wide"}
            ``long``: columns ``scenario, t`` and the variables present; t runs
            0 .. n_months when discount factors are present (short rate and fund
            return empty at t = n_months, the month after the horizon), else
            0 .. n_months - 1. ``wide``: per variable, ``scen_id, t0 .. tK``.
        include_ce : bool
            Also write the CE scenario as scenario 0 (when it is present and the set
            has discount factors; a set without them is discounted with the curve,
            which the CE scenario is, so it is not written).

        Returns
        -------
        list of pathlib.Path
            The files written (each written to a temporary name, then renamed).

        Floats are written as the shortest text that reads back to the same
        double, so :func:`read_scenarios` returns the arrays bit for bit.
        """
        stem, suffix = _split_suffix(Path(path))
        parts = [self]
        if include_ce and self.ce is not None and self.disc_factor is not None \
                and self.ce.n_months == self.n_months and all(getattr(self.ce, v) is not None for v in self.variables):
            parts = [self.ce, self]
        if layout == "long":
            frame = pl.concat([_long_frame(p, self.variables) for p in parts])
            out = [Path(path)]
            _write_frame(frame, out[0], suffix)
        elif layout == "wide":
            out = []
            for name in self.variables:
                ids = np.concatenate([p.ids for p in parts])
                vals = np.concatenate([getattr(p, name) for p in parts])
                cols = {"scen_id": pl.Series("scen_id", ids, dtype=pl.Int64)}
                cols.update({f"t{j}": pl.Series(f"t{j}", vals[:, j], dtype=pl.Float64) for j in range(vals.shape[1])})
                target = Path(f"{stem}.{name}{suffix}")
                _write_frame(pl.DataFrame(cols), target, suffix)
                out.append(target)
        else:
            raise ValueError(f"layout must be 'long' or 'wide', got {layout!r}")
        return out


def _long_frame(s: ScenarioSet, variables: tuple[str, ...]) -> pl.DataFrame:
    T = s.n_months if s.disc_factor is not None else s.n_months - 1
    width = T + 1
    cols: dict[str, pl.Series] = {
        "scenario": pl.Series("scenario", np.repeat(s.ids, width), dtype=pl.Int64),
        "t": pl.Series("t", np.tile(np.arange(width, dtype=np.int64), s.n), dtype=pl.Int64),
    }
    for name in variables:
        arr = getattr(s, name)
        if arr.shape[1] < width:  # r and R stop one month before the last discount factor
            arr = np.concatenate([arr, np.full((s.n, width - arr.shape[1]), np.nan)], axis=1)
        cols[name] = pl.Series(name, arr.reshape(-1), dtype=pl.Float64, nan_to_null=True)
    return pl.DataFrame(cols)


def _write_frame(frame: pl.DataFrame, path: Path, suffix: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        if suffix in (".parquet", ".pq"):
            frame.write_parquet(tmp)
        elif suffix == ".csv.gz":
            # No file name or time stamp in the gzip header: the same scenarios give the same bytes.
            with open(tmp, "wb") as raw, \
                    gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
                frame.write_csv(gz)
        else:
            frame.write_csv(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _split_suffix(path: Path) -> tuple[str, str]:
    name = path.name.lower()
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            return str(path)[: -len(suf)], suf
    raise DataError(f"{path}: unknown scenario file format; use {', '.join(_SUFFIXES)}")


# ---------------------------------------------------------------------------
# generation (in the engine)
# ---------------------------------------------------------------------------


def _check_zcb(zcb: Any, n_months: Any) -> tuple[np.ndarray, int]:
    if isinstance(n_months, bool) or not isinstance(n_months, (int, np.integer)) or n_months < 0:
        raise AssumptionError(f"n_months: {plain(n_months)!r} is not a whole number of months >= 0")
    T = int(n_months)
    P = np.asarray(zcb, dtype=np.float64).reshape(-1)
    if P.size < T + 1:
        raise AssumptionError(
            f"zero-coupon curve P(0, m) covers m = 0..{P.size - 1} but the scenarios need m = 0..{T}"
        )
    P = np.ascontiguousarray(P[: T + 1])
    bad = np.flatnonzero(~(np.isfinite(P) & (P > 0)))
    if bad.size:
        m = int(bad[0])
        raise AssumptionError(f"zero-coupon curve: P(0, {m}) = {float(P[m])!r} is not a positive finite price")
    if P[0] != 1.0:
        raise AssumptionError(f"zero-coupon curve: P(0, 0) = {float(P[0])!r}, expected 1")
    return P, T


def _engine(engine: Any) -> Any:
    if engine is not None:
        return engine
    from livecalc_lab.engine import default_engine

    return default_engine()


def generate(spec: ScenarioSpec, zcb: Any, n_months: int, *, engine: Any = None, batch_size: int | None = None,
             short_rate: bool = True, fund_return: bool = True) -> ScenarioSet:
    """Generate the stochastic scenarios of ``spec`` in the WASM engine.

    Parameters
    ----------
    spec : ScenarioSpec
        Hull-White parameters, count ``n`` (ids 1 .. n) and seed.
    zcb : array_like, shape (>= n_months + 1,) float64
        Zero-coupon prices P(0, m) for m = 0 .. n_months in months, P(0, 0) = 1;
        e.g. ``Engine.discount_factors(basis, n_months + 1)`` (see
        :func:`generate_for_basis`). Stepwise curves are legal: theta(t) follows
        the monthly forward rates ln(P(m) / P(m + 1)) whatever their shape.
    n_months : int
        Months to project.
    engine : Engine, optional
        Default: the process-wide engine.
    batch_size : int, optional
        Scenarios per engine call; default: as many as fit in 64 MiB of output.
        Scenario k is the same whatever the batching.
    short_rate, fund_return : bool
        Whether to return those variables (discount factors are always returned).

    Returns
    -------
    ScenarioSet
        ``n`` scenarios and the CE scenario; ``version`` is ``spec.version``.

    Raises
    ------
    AssumptionError
        A curve that is too short, has a non-positive or non-finite price, or
        P(0, 0) != 1.
    EngineError
        The engine failed (memory limit, timeout).
    """
    if not isinstance(spec, ScenarioSpec):
        raise TypeError(f"spec must be a ScenarioSpec, got {type(spec).__name__}")
    P, T = _check_zcb(zcb, n_months)
    eng = _engine(engine)
    per_scen = 8 * ((T + 1) + T * (int(short_rate) + int(fund_return)))
    batch = int(batch_size) if batch_size is not None else max(1, MAX_BATCH_BYTES // per_scen)
    if batch < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    S = spec.n
    out = {"disc_factor": np.empty((S, T + 1))}
    if short_rate:
        out["short_rate"] = np.empty((S, T))
    if fund_return:
        out["fund_return"] = np.empty((S, T))
    for lo in range(0, S, batch):
        k = min(batch, S - lo)
        part = eng.hull_white(a=spec.a, sigma=spec.sigma, fund_sigma=spec.fund_sigma, fund_excess=spec.fund_excess,
                              seed=spec.seed, zcb=P, first_id=1 + lo, n_scenarios=k, short_rate=short_rate,
                              fund_return=fund_return)
        for name, arr in out.items():
            arr[lo : lo + k] = part[name]
    ce = certainty_equivalent(P, T, fund_excess=spec.fund_excess, engine=eng)
    return ScenarioSet(ids=np.arange(1, S + 1, dtype=np.int64), n_months=T, disc_factor=out["disc_factor"],
                       short_rate=out.get("short_rate"), fund_return=out.get("fund_return"), ce=ce, spec=spec,
                       source=spec.generator, version=spec.version)


def generate_for_basis(spec: ScenarioSpec, basis: Any, n_months: int, *, engine: Any = None,
                       **kwargs: Any) -> ScenarioSet:
    """:func:`generate` on the curve of a product basis.

    ``zcb = engine.discount_factors(basis, n_months + 1)``: P(0, m) = v(m), the
    discount factors the deterministic valuation uses, so the CE scenario equals
    them bit for bit. ``kwargs`` go to :func:`generate`.

    Raises
    ------
    AssumptionError
        The basis's curve covers fewer than ``n_months + 1`` months.
    """
    if isinstance(n_months, bool) or not isinstance(n_months, (int, np.integer)) or n_months < 0:
        raise AssumptionError(f"n_months: {plain(n_months)!r} is not a whole number of months >= 0")
    if n_months + 1 > basis.max_months:
        raise AssumptionError(
            f"product {basis.product}: the discount curve covers t = 0..{basis.max_months - 1} months "
            f"but the scenarios need t = 0..{n_months}"
        )
    eng = _engine(engine)
    return generate(spec, eng.discount_factors(basis, int(n_months) + 1), n_months, engine=eng, **kwargs)


def certainty_equivalent(zcb: Any, n_months: int, *, fund_excess: float = 0.0, engine: Any = None) -> ScenarioSet:
    """The certainty-equivalent scenario (id 0) of a curve, computed by the engine.

    D(t) = P(0, t) exactly (the same doubles), r(t) = 12 ln(P(t) / P(t + 1)) and
    1 + R(t) = exp(ln(P(t) / P(t + 1)) + fund_excess / 12).

    Parameters
    ----------
    zcb : array_like, shape (>= n_months + 1,) float64
        P(0, m), m = 0 .. n_months, P(0, 0) = 1.
    n_months : int
    fund_excess : float
        Fund drift over the short rate per year.

    Returns
    -------
    ScenarioSet
        ``ids == [0]``, all three variables, ``source == "certainty_equivalent"``.
    """
    P, T = _check_zcb(zcb, n_months)
    excess = _real("fund_excess", fund_excess)
    part = _engine(engine).hull_white(a=DEFAULT_A, sigma=0.0, fund_sigma=0.0, fund_excess=excess, seed=0, zcb=P,
                                      first_id=0, n_scenarios=1)
    return ScenarioSet(ids=np.zeros(1, dtype=np.int64), n_months=T, disc_factor=part["disc_factor"],
                       short_rate=part["short_rate"], fund_return=part["fund_return"], source="certainty_equivalent")


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def read_scenarios(path: str | os.PathLike | None = None, *, fund_return: str | os.PathLike | None = None,
                   disc_factor: str | os.PathLike | None = None, short_rate: str | os.PathLike | None = None,
                   layout: str = "auto", ce_zcb: Any = None, engine: Any = None) -> ScenarioSet:
    """Read scenarios from CSV, gzipped CSV or Parquet files, strictly.

    Parameters
    ----------
    path : str or path-like, optional
        A long-layout file, or (``layout="wide"``) the name given to
        :meth:`ScenarioSet.write`, whose ``name.<variable><suffix>`` siblings are read.
    fund_return, disc_factor, short_rate : str or path-like, optional
        Wide-layout files, one per variable: an id column ``scen_id`` (or
        ``scenario``) then ``t0 .. tK`` (lifelib's ``scen_monthly_returns_1000x242.csv.gz``).
        A discount-factor file has one more column than the others (t = 0 .. n_months).
    layout : {"auto", "long", "wide"}
        ``auto``: wide when variable files are given, or when ``path`` does not
        exist but its per-variable siblings do; else long.
    ce_zcb : array_like, optional
        P(0, m) of the assumption set's curve, to attach the CE scenario
        (:func:`certainty_equivalent`); a scenario 0 in the file is the CE scenario instead.
    engine : Engine, optional
        Used for ``ce_zcb`` only.

    Long layout: columns ``scenario`` and ``t`` (integers) and at least one of
    ``short_rate``, ``disc_factor``, ``fund_return``; rows in any order. With
    ``disc_factor``, t runs 0 .. n_months and the other variables are empty at
    t = n_months. Without it, n_months = the number of t values (or one less if
    the last t is empty in every column).

    Without ``disc_factor`` the set's ``disc_factor`` is None and the valuation
    discounts deterministically with the assumption set's curve.

    Returns
    -------
    ScenarioSet
        ``spec`` None, ``source`` the file path(s), ``version`` the content hash.

    Raises
    ------
    DataError
        Naming the file, the 1-based data row (header = row 0), the column and the
        value: a malformed, empty or non-finite number; a duplicate scenario id or
        (scenario, t); scenario ids that do not run 1 .. n; t with a gap or
        scenarios of unequal length; a discount factor <= 0; a fund return with
        1 + R <= 0 (the fund index would not stay positive); files of unequal lengths
        or with different scenario ids.
    """
    wide_files = {k: v for k, v in (("short_rate", short_rate), ("disc_factor", disc_factor),
                                    ("fund_return", fund_return)) if v is not None}
    if layout not in ("auto", "long", "wide"):
        raise ValueError(f"layout must be 'auto', 'long' or 'wide', got {layout!r}")
    if wide_files:
        if path is not None or layout == "long":
            raise ValueError("give either path (long layout, or wide siblings) or per-variable files, not both")
        parsed = _read_wide(wide_files)
    elif path is None:
        raise ValueError("read_scenarios needs a path or at least one of fund_return=, disc_factor=, short_rate=")
    else:
        p = Path(path)
        if layout == "long" or (layout == "auto" and p.exists()):
            parsed = _read_long(p)
        else:
            stem, suffix = _split_suffix(p)
            found = {v: Path(f"{stem}.{v}{suffix}") for v in VARIABLES if Path(f"{stem}.{v}{suffix}").exists()}
            if not found:
                raise DataError(f"{p}: no such file, nor per-variable files {stem}.<variable>{suffix} "
                                f"(<variable> one of {', '.join(VARIABLES)})")
            parsed = _read_wide(found)
    arrays, ids, T, ce_arrays, source = parsed
    ce = None
    if ce_arrays is not None:
        if ce_zcb is not None:
            raise DataError(f"{source}: holds a scenario 0 (certainty equivalent) and ce_zcb was given too; use one")
        ce = ScenarioSet(ids=np.zeros(1, np.int64), n_months=T, source=source, **ce_arrays)
    elif ce_zcb is not None:
        ce = certainty_equivalent(ce_zcb, T, engine=engine)
    return ScenarioSet(ids=ids, n_months=T, ce=ce, source=source, **arrays)


def _read_frame(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: scenario file does not exist")
    _, suffix = _split_suffix(path)
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    except Exception as exc:  # polars raises several types for malformed input
        ragged = ragged_row(path) if suffix == ".csv" else None
        raise DataError(f"{path} {ragged}" if ragged else f"{path}: cannot be read: {exc}") from None


def _ids_1_to_n(ids: np.ndarray, rows: np.ndarray, where: str, col: str) -> None:
    """Stochastic ids (0 excluded) must be exactly 1 .. n; ``ids`` sorted and unique."""
    if ids.size and ids[0] < 0:
        r = int(rows[0])
        raise DataError(f"{where} row {r:,} column '{col}': scenario {ids[0]} is negative")
    stoch = ids[ids > 0]
    if stoch.size == 0:
        raise DataError(f"{where}: no stochastic scenarios (ids 1 .. n)")
    expect = np.arange(1, stoch.size + 1)
    if not np.array_equal(stoch, expect):
        missing = int(expect[np.flatnonzero(stoch != expect)[0]])
        raise DataError(f"{where} column '{col}': scenario ids must run 1..n without gaps; scenario {missing} "
                        f"is missing ({stoch.size:,} ids found, largest {int(stoch[-1]):,})")


def _check_set_values(name: str, arr: np.ndarray, ids: np.ndarray, source: str) -> None:
    """Every value finite, discount factors > 0 and 1 + fund return > 0, for sets built in code too.

    Raises
    ------
    DataError
        ``scenarios <source>: scenario 2 t = 17: fund_return -1.5 ...`` naming the value.
    """
    if name == "disc_factor":
        bad, why = ~(arr > 0) | ~np.isfinite(arr), "must be a finite discount factor > 0"
    elif name == "fund_return":
        bad, why = ~(1.0 + arr > 0) | ~np.isfinite(arr), "must be finite with 1 + R > 0 (the fund index must stay positive)"
    else:
        bad, why = ~np.isfinite(arr), "must be finite"
    idx = np.argwhere(bad)
    if idx.size:
        i, t = (int(v) for v in idx[0])
        raise DataError(f"scenarios {source or '<ScenarioSet>'}: scenario {int(ids[i])} t = {t}: {name} "
                        f"{float(arr[i, t])!r} {why}")


def _check_values(name: str, vals: np.ndarray, rows: Any, cols: Any, where: str) -> None:
    """disc_factor > 0 and 1 + fund_return > 0; ``rows``/``cols`` map an index to the message's row and column."""
    if name == "disc_factor":
        bad = ~(vals > 0)
        why = "is not a positive discount factor"
    elif name == "fund_return":
        bad = ~(1.0 + vals > 0)
        why = "makes the fund index non-positive (1 + R <= 0)"
    else:
        return
    idx = np.argwhere(bad)
    if idx.size:
        i, j = (int(v) for v in idx[0])
        raise DataError(f"{where} row {rows(i, j):,} column '{cols(i, j)}': {float(vals[i, j])!r} {why}")


def _read_long(path: Path) -> tuple:
    where = str(path)
    df = _read_frame(path)
    missing = [c for c in ("scenario", "t") if c not in df.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {', '.join(repr(c) for c in missing)} "
                        f"(long layout: scenario, t, {', '.join(VARIABLES)}; columns found: {', '.join(df.columns)})")
    unknown = [c for c in df.columns if c not in ("scenario", "t", *VARIABLES)]
    if unknown:
        raise DataError(f"{where}: unknown column(s) {', '.join(repr(c) for c in unknown)}; "
                        f"expected scenario, t and any of {', '.join(VARIABLES)}")
    present = [v for v in VARIABLES if v in df.columns]
    if not present:
        raise DataError(f"{where}: no variable columns; expected at least one of {', '.join(VARIABLES)}")
    if df.height == 0:
        raise DataError(f"{where}: no rows")
    scen = strict_cast(df["scenario"], pl.Int64, where=where, error=DataError).to_numpy()
    t = strict_cast(df["t"], pl.Int64, where=where, error=DataError).to_numpy()
    for name, col, why in (("scenario", scen, "scenario ids run 1..n"), ("t", t, "t runs 0..N months")):
        neg = np.flatnonzero(col < 0)
        if neg.size:
            r = int(neg[0])
            raise DataError(f"{where} row {r + 1:,} column '{name}': {col[r]} is negative ({why})")
    order = np.lexsort((t, scen))
    s_sorted, t_sorted = scen[order], t[order]
    dup = np.flatnonzero((s_sorted[1:] == s_sorted[:-1]) & (t_sorted[1:] == t_sorted[:-1]))
    if dup.size:
        i = int(dup[0])
        first, again = sorted((int(order[i]) + 1, int(order[i + 1]) + 1))
        raise DataError(f"{where} row {again:,}: scenario {s_sorted[i]} t = {t_sorted[i]} appears again "
                        f"(first at row {first:,})")
    uniq, starts, counts = np.unique(s_sorted, return_index=True, return_counts=True)
    pos = np.arange(s_sorted.size) - np.repeat(starts, counts)
    gap = np.flatnonzero(t_sorted != pos)
    if gap.size:
        i = int(gap[0])
        raise DataError(f"{where} scenario {s_sorted[i]}: t = {pos[i]} is missing "
                        f"(t must run 0..N without gaps; next t found is {t_sorted[i]}, row {int(order[i]) + 1:,})")
    uneven = np.flatnonzero(counts != counts[0])
    if uneven.size:
        j = int(uneven[0])
        raise DataError(f"{where}: unequal lengths: scenario {uniq[j]} runs t = 0..{counts[j] - 1} but scenario "
                        f"{uniq[0]} runs t = 0..{counts[0] - 1}")
    _ids_1_to_n(uniq, order[starts] + 1, where, "scenario")
    width = int(counts[0])
    rows_sorted = (order + 1).reshape(uniq.size, width)
    raw: dict[str, np.ndarray] = {}
    for name in present:
        col = strict_cast(df[name], pl.Float64, where=where, error=DataError, allow_empty=name != "disc_factor")
        raw[name] = col.to_numpy().astype(np.float64)[order].reshape(uniq.size, width)  # nulls -> NaN
    rates = [v for v in present if v != "disc_factor"]
    if "disc_factor" in present:
        T = width - 1
        for name in rates:
            late = np.flatnonzero(~np.isnan(raw[name][:, T]))
            if late.size:
                i = int(late[0])
                raise DataError(f"{where} row {rows_sorted[i, T]:,} column '{name}': {float(raw[name][i, T])!r} "
                                f"at t = {T} "
                                f"(the month from {T} to {T + 1}) lies beyond the last discount factor D({T}); "
                                "leave it empty")
    else:
        last_empty = all(np.isnan(raw[v][:, -1]).all() for v in rates)
        T = width - 1 if last_empty else width
    for name in rates:
        body = raw[name][:, :T]
        empty = np.argwhere(np.isnan(body))
        if empty.size:
            i, j = (int(v) for v in empty[0])
            raise DataError(f"{where} row {rows_sorted[i, j]:,} column '{name}': value is empty")
        raw[name] = body
    for name in present:
        _check_values(name, raw[name], lambda i, j: int(rows_sorted[i, j]), lambda i, j, n=name: n, where)
    has_ce = uniq[0] == 0
    arrays = {name: np.ascontiguousarray(raw[name][1:] if has_ce else raw[name]) for name in present}
    ce = {name: np.ascontiguousarray(raw[name][:1]) for name in present} if has_ce else None
    ids = uniq[1:] if has_ce else uniq
    return arrays, ids.astype(np.int64), T, ce, where


_TCOL = re.compile(r"t(\d+)$")


def _read_wide_one(path: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(sorted ids, values (n, K) in id order, 1-based rows in id order, where)."""
    where = str(path)
    df = _read_frame(path)
    if not df.columns or df.columns[0] not in ("scen_id", "scenario"):
        raise DataError(f"{where}: the first column must be 'scen_id' (or 'scenario'), got "
                        f"{df.columns[0] if df.columns else 'no columns'!r} (wide layout: scen_id, t0 .. tN)")
    id_col, tcols = df.columns[0], df.columns[1:]
    if not tcols:
        raise DataError(f"{where}: no value columns t0 .. tN")
    for j, c in enumerate(tcols):
        if c != f"t{j}":
            m = _TCOL.match(c)
            if m and int(m.group(1)) > j:
                raise DataError(
                    f"{where}: column 't{j}' is missing (columns must run t0..tN without gaps; found {c!r})"
                )
            raise DataError(f"{where}: column {c!r} where 't{j}' was expected (wide layout: {id_col}, t0 .. tN)")
    if df.height == 0:
        raise DataError(f"{where}: no rows")
    ids = strict_cast(df[id_col], pl.Int64, where=where, error=DataError).to_numpy()
    order = np.argsort(ids, kind="stable")
    s = ids[order]
    dup = np.flatnonzero(s[1:] == s[:-1])
    if dup.size:
        i = int(dup[0])
        first, again = sorted((int(order[i]) + 1, int(order[i + 1]) + 1))
        raise DataError(
            f"{where} row {again:,} column '{id_col}': scenario {s[i]} appears again (first at row {first:,})"
        )
    _ids_1_to_n(s, order + 1, where, id_col)
    vals = np.empty((df.height, len(tcols)), dtype=np.float64)
    for j, c in enumerate(tcols):
        vals[:, j] = strict_cast(df[c], pl.Float64, where=where, error=DataError).to_numpy()
    _check_values(name, vals, lambda i, j: i + 1, lambda i, j: tcols[j], where)
    return s, np.ascontiguousarray(vals[order]), order + 1, where


def _read_wide(files: dict[str, Any]) -> tuple:
    parsed = {name: _read_wide_one(Path(p), name) for name, p in files.items()}
    names = list(parsed)
    ref = names[0]
    ref_ids, _, _, ref_where = parsed[ref]
    for name in names[1:]:
        ids, _, _, w = parsed[name]
        if not np.array_equal(ids, ref_ids):
            only = np.setdiff1d(ref_ids, ids)
            k, (has, lacks) = (int(only[0]), (ref_where, w)) if only.size else \
                (int(np.setdiff1d(ids, ref_ids)[0]), (w, ref_where))
            raise DataError(f"scenario {k} is in {has} but not in {lacks} (the files must hold the same scenarios)")
    K = {name: parsed[name][1].shape[1] for name in names}
    desc = lambda n: f"{n} file {parsed[n][3]} has t0..t{K[n] - 1}"  # noqa: E731
    if "disc_factor" in parsed:
        T = K["disc_factor"] - 1
        for name in names:
            if name != "disc_factor" and K[name] != T:
                raise DataError(f"unequal lengths: {desc('disc_factor')} ({T} months) but {desc(name)} "
                                f"(expected t0..t{T - 1}: the month from t to t + 1, for t < {T})")
    else:
        T = K[ref]
        for name in names[1:]:
            if K[name] != T:
                raise DataError(f"unequal lengths: {desc(ref)} but {desc(name)}")
    has_ce = ref_ids[0] == 0
    arrays = {n: (parsed[n][1][1:] if has_ce else parsed[n][1]) for n in names}
    ce = {n: parsed[n][1][:1] for n in names} if has_ce else None
    ids = ref_ids[1:] if has_ce else ref_ids
    source = ", ".join(parsed[n][3] for n in VARIABLES if n in parsed)
    return arrays, ids.astype(np.int64), T, ce, source
