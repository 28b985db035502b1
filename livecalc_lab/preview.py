"""The preview: value a reproducible sample and scale it to the whole portfolio, with an honest interval.

``lc.preview(dataset, assumptions, scenarios, product, n=10_000, sample_seed=42)``
draws the dataset's reproducible sample of ``n`` policies
(:meth:`livecalc_lab.data.Dataset.sample`: simple random sampling without
replacement), values it exactly as ``lc.run`` would — through the same
:class:`~livecalc_lab.portfolio.TermPortfolio`, so each row is valued with the
product its ``product`` column names and the mortality cell of its
``sex``/``smoker`` — and scales:

* the estimated per-scenario totals are ``(N / n)`` × the sample's per-scenario
  totals, ``N`` the dataset's rows (after any filter); every statistic of the
  preview (mean, std, percentiles, CTE, TVOG) is that of the scaled distribution;
* the 95% confidence interval for the portfolio's mean PV (``pv_net_cf``, the
  mean over scenarios of the per-scenario totals) is

      estimate ± 1.96 · N · sqrt((1 − n/N) · s² / n)

  where ``s²`` is the sample variance (divisor n − 1) of the per-policy values
  ``y_i`` whose scaled sum is the estimate: each sampled policy's mean PV over
  the scenarios, whatever its product or cell — for term products its PVs under
  the mean of the scenarios' discount factors (``Engine.value_term(alt_disc=...)``,
  exact in arithmetic because the policy's cashflows do not depend on the
  scenario), for savings its exact sum over scenarios divided by their number —
  or its PV in a deterministic run. ``(1 − n/N)`` is the finite-population correction: a
  sample of the whole portfolio has a zero-width interval. (Cochran, *Sampling
  Techniques*, 3rd ed., §2.4–2.5: the estimator N·ȳ of a population total.)

``tests/test_preview.py`` checks the interval's coverage over 200 sample seeds
against the exactly known full value.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.results import ValuationResult

__all__ = ["preview", "PreviewResult", "Comparison", "compare", "draw_sample", "DrawnSample", "Z95"]

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


@dataclass
class PreviewResult(ValuationResult):
    """A :class:`~livecalc_lab.ValuationResult` estimated from a sample, with its sampling interval.

    ``totals``, ``per_scenario``, ``statistics``, ``pv_net_cf_ce`` and ``tvog`` are
    those of the scaled sample; ``n_model_points`` is the dataset's rows ``N`` and
    ``n_policies`` the scaled sum of ``policy_count``.

    Attributes
    ----------
    sample_size : int
        Policies valued, ``n`` (``min(n, N)``).
    total_rows : int
        Rows of the dataset, ``N``.
    ci95 : tuple of float
        95% confidence interval ``(low, high)`` for the portfolio ``pv_net_cf``.
    std_error : float
        Its standard error, ``N · sqrt((1 − n/N) s² / n)``.
    sample_seed : int
    """

    sample_size: int = 0
    total_rows: int = 0
    ci95: tuple[float, float] = (math.nan, math.nan)
    std_error: float = math.nan
    sample_seed: int = 42

    @property
    def relative_halfwidth(self) -> float:
        """Half the interval's width over ``|pv_net_cf|`` (the "± 2%" of the workbench)."""
        return (self.ci95[1] - self.ci95[0]) / 2 / abs(self.pv_net_cf) if self.pv_net_cf else math.inf

    def to_dict(self) -> dict[str, Any]:
        """:meth:`ValuationResult.to_dict` plus ``sample_size``, ``total_rows``, ``ci95`` [low, high], ``std_error``."""
        return super().to_dict() | {"sample_size": self.sample_size, "total_rows": self.total_rows,
                                    "ci95": [self.ci95[0], self.ci95[1]], "std_error": self.std_error,
                                    "sample_seed": self.sample_seed}


def interval(y: np.ndarray, N: int, estimate: float) -> tuple[tuple[float, float], float]:
    """``((low, high), standard error)`` of the estimated total ``estimate`` = N·mean(y) (module docstring)."""
    n = y.size
    if n == 0 or N <= n:
        return (estimate, estimate), 0.0
    s2 = float(np.var(y, ddof=1)) if n > 1 else 0.0
    se = N * math.sqrt((1.0 - n / N) * s2 / n)
    return (estimate - Z95 * se, estimate + Z95 * se), se


def _rows(ds: Any) -> int:
    """``N``: rows of the dataset after its filter (a served dataset's filter is applied by its service).

    :meth:`Dataset.filtered_rows <livecalc_lab.data.Dataset.filtered_rows>` locally,
    :meth:`RemoteDataset.filtered_rows <livecalc_lab.api.client.RemoteDataset.filtered_rows>`
    (the service's count, sent with the metadata) for a dataset served by a Data API.
    """
    return int(ds.filtered_rows())


@dataclass
class DrawnSample:
    """What a preview values: the opened dataset, the resolved assumptions and basis, and the sample.

    Attributes
    ----------
    dataset : Dataset
    assumptions : AssumptionSet
    basis : ProductBasis or SavingsBasis
        ``assumptions.basis(product)``.
    total_rows : int
        Rows of the dataset after its filter, ``N``.
    sample : polars.DataFrame
        The reproducible sample (:meth:`Dataset.sample`), ``min(n, N)`` rows.
    has_duration : bool
        Whether the dataset gives ``duration_mth`` (else it defaults to 0).
    """

    dataset: Any
    assumptions: Any
    basis: Any
    total_rows: int
    sample: pl.DataFrame
    has_duration: bool

    def term_policies(self) -> Any:
        """The sample's policy columns as :class:`~livecalc_lab.model.policies.Policies` (term products).

        Keeps the ``product``, ``sex`` and ``smoker`` columns the sample has: a mixed
        portfolio's rows are valued with their own product and mortality cell.
        """
        from livecalc_lab.model.policies import CATEGORY_COLUMNS, POLICY_COLUMNS, Policies

        ds = self.dataset
        cats = [c for c in CATEGORY_COLUMNS if c in self.sample.columns]
        return Policies(self.sample.select(["policy_id", *POLICY_COLUMNS, *cats]), ds.label, self.has_duration,
                        version=ds.version)


def draw_sample(dataset: Any, assumptions: Any, product: str, n: int, sample_seed: int) -> DrawnSample:
    """Open ``dataset``, resolve ``assumptions`` for ``product`` and draw the preview's sample.

    The one place :func:`preview` and :func:`livecalc_lab.browser_preview.preview_payload` take their
    sample and basis from, so both value the same policies.

    Raises
    ------
    DataError, AssumptionError
        As :func:`preview`.
    """
    from livecalc_lab.config import open_configured
    from livecalc_lab.valuation import resolve_assumptions

    ds = open_configured(dataset)
    aset = resolve_assumptions(assumptions)
    basis = aset.basis(product)
    N = _rows(ds)
    sample = ds.sample(n, sample_seed)
    has_duration = ds.schema().sources.get("duration_mth") not in (None, "default")
    return DrawnSample(ds, aset, basis, N, sample, has_duration)


def preview(dataset: Any, assumptions: Any = None, scenarios: Any = None, product: str = "basic_term_s", *,
            n: int = 10_000, sample_seed: int = 42) -> PreviewResult:
    """Estimate the whole portfolio's value from a reproducible sample (see the module docstring).

    Parameters
    ----------
    dataset : str, pathlib.Path, PolicySource or Dataset
    assumptions : str, pathlib.Path, AssumptionSet or None
        As for :func:`livecalc_lab.run`: a folder, a set, ``assumptions://NAME:VERSION``
        (or ``:latest``, ``:draft``), or None for the bundled set.
    scenarios : ScenarioSpec, ScenarioSet or None
        The scenario seed lives in the spec.
    product : str
    n : int
        Sample size (policies).
    sample_seed : int
        Seed of the sample (:meth:`Dataset.sample`).

    Returns
    -------
    PreviewResult
        A dataset with no policy (N = 0, e.g. a filter that matches nothing) is valued
        exactly, as ``lc.run`` values an empty portfolio: every total, per-scenario value
        and statistic is 0, ``sample_size`` and ``total_rows`` are 0, and the interval is
        (0, 0) with standard error 0 (nothing is estimated). Not an error, so a filter
        being edited live never breaks the preview; the counts show that it is empty.

    Raises
    ------
    DataError, AssumptionError, EngineError
        As :func:`livecalc_lab.run`.
    """
    from livecalc_lab.assumptions import ProductBasis

    t0 = time.perf_counter()
    drawn = draw_sample(dataset, assumptions, product, n, sample_seed)
    ds, aset, basis, N, sample = drawn.dataset, drawn.assumptions, drawn.basis, drawn.total_rows, drawn.sample
    if isinstance(basis, ProductBasis):
        result, y = _value_term(drawn.term_policies(), aset, basis, scenarios)
    else:
        result, y = _value_savings(sample, aset, product, scenarios)
    m = sample.height
    scale = N / m if m else 0.0
    _scale(result, scale)
    result.n_model_points = N
    result.source = ds.label
    result.data_version = ds.version
    ci, se = interval(y, N, result.pv_net_cf)
    out = PreviewResult(**{f: getattr(result, f) for f in ValuationResult.__dataclass_fields__},
                        sample_size=m, total_rows=N, ci95=ci, std_error=se, sample_seed=sample_seed)
    out.elapsed_seconds = time.perf_counter() - t0
    return out


def _value_term(pols: Any, aset: Any, basis: Any, scenarios: Any) -> tuple[ValuationResult, np.ndarray]:
    """The sample's result (as ``lc.run``) and each policy's (mean) ``pv_net_cf``.

    The sample is valued by :class:`~livecalc_lab.portfolio.TermPortfolio`, as ``lc.run``
    values a portfolio: each row with its own product (``product`` column) and
    mortality cell (``sex``/``smoker``), totals and cashflows merged exactly. With
    scenarios, one engine pass gives both the exact cashflows (discounted with every
    scenario, as ``lc.run``) and each policy's PVs under the mean of the scenarios'
    discount factors (its mean PV over the scenarios).
    """
    from livecalc_lab.engine import _abi, default_engine
    from livecalc_lab.portfolio import TermPortfolio
    from livecalc_lab.valuation import TERM_PV_LINES, TERM_PV_NAMES, _attach_distribution, _ce_set

    engine = default_engine()
    portfolio = TermPortfolio(aset, basis, pols)
    net = _abi.PV_NAMES.index("pv_net_cf")
    if scenarios is None:
        val = portfolio.value(engine)
        res = _result(basis.product, pols, {k: float(val.totals[i]) for i, k in enumerate(_abi.PV_NAMES)}, aset,
                      engine, val.engine_seconds)
        return res, val.pv[net]
    # The cashflow horizon (as lc.run's), then the scenarios and their mean discount factors.
    n_months = portfolio.months()
    sset = _scenario_set(scenarios, basis, n_months)
    v = engine.discount_factors(basis, n_months)
    D = np.broadcast_to(v, (sset.n, n_months)) if sset.disc_factor is None else sset.disc_factor[:, :n_months]
    need = max(n_months, portfolio.months(for_premium=True))
    alt = np.concatenate([D.mean(axis=0), engine.discount_factors(basis, need)[n_months:]])
    val = portfolio.value(engine, cashflows=TERM_PV_LINES, alt_disc=alt)
    if val.cashflows.shape[1] != n_months:  # the horizon the scenarios were made for
        raise AssertionError(f"cashflows span {val.cashflows.shape[1]} months, not {n_months}")
    cf = np.stack([val.cashflows[_abi.CF_NAMES.index(k)] for k in TERM_PV_LINES])
    per_scen = engine.exact_round(engine.discount_totals(cf, D))
    ce_disc = v if sset.disc_factor is None else _ce_set(sset, basis, n_months).disc_factor[0, :n_months]
    ce = engine.exact_round(engine.discount_totals(cf, ce_disc))[0]
    res = _result(basis.product, pols, {}, aset, engine, val.engine_seconds)
    _attach_distribution(res, sset, per_scen, ce, TERM_PV_NAMES)
    return res, val.pv_alt[net]


_SCENARIOS: dict[tuple[Any, ...], Any] = {}


def _scenario_set(scenarios: Any, basis: Any, n_months: int) -> Any:
    """Generated scenario sets, kept for the next preview of the same spec, curve and horizon."""
    from livecalc_lab.model.scenarios import ScenarioSpec
    from livecalc_lab.valuation import resolve_scenarios

    if not isinstance(scenarios, ScenarioSpec):
        return resolve_scenarios(scenarios, basis, n_months)
    key = (scenarios.version, n_months, np.asarray(basis.disc_zero_ann).tobytes())
    if key not in _SCENARIOS:
        if len(_SCENARIOS) >= 4:
            _SCENARIOS.pop(next(iter(_SCENARIOS)))
        _SCENARIOS[key] = resolve_scenarios(scenarios, basis, n_months)
    return _SCENARIOS[key]


def _value_savings(sample: pl.DataFrame, aset: Any, product: str, scenarios: Any) -> tuple[ValuationResult, np.ndarray]:
    """The sample's result (as ``lc.run``) and each policy's mean ``pv_net_cf`` over the scenarios (or CE)."""
    from livecalc_lab.valuation import Session

    res = Session(sample, aset, product).value(scenarios=scenarios)
    return res, res.per_policy.get_column("pv_net_cf").to_numpy()


def _result(product: str, pols: Any, totals: dict[str, float], aset: Any, engine: Any,
            engine_seconds: float) -> ValuationResult:
    return ValuationResult(product=product, n_model_points=len(pols), n_policies=pols.n_policies, totals=totals,
                           per_policy=None, assumptions_version=aset.version, engine_version=engine.version,
                           source=pols.source, elapsed_seconds=0.0, engine_seconds=engine_seconds,
                           data_version=pols.version)


def _scale(res: ValuationResult, k: float) -> None:
    """Scale a sample's result to the portfolio: totals, per-scenario totals and their statistics."""
    from livecalc_lab.stats import summarise
    from livecalc_lab.stats import tvog as tvog_of

    res.n_policies *= k
    res.per_policy = None
    if res.per_scenario is None:
        res.totals = {name: v * k for name, v in res.totals.items()}
        return
    cols = [c for c in res.per_scenario.columns if c != "scenario"]
    res.per_scenario = res.per_scenario.with_columns([pl.col(c) * k for c in cols])
    net = res.per_scenario["pv_net_cf"].to_numpy()
    res.statistics = summarise(net)
    res.pv_net_cf_ce = res.pv_net_cf_ce * k if res.pv_net_cf_ce is not None else None
    res.tvog = tvog_of(res.pv_net_cf_ce, net) if res.pv_net_cf_ce is not None else None
    if res.guarantee_cost is not None:
        res.guarantee_cost *= k
    S = res.per_scenario.height
    res.totals = {c: math.fsum(res.per_scenario[c].to_numpy()) / S for c in cols}
    res.totals["pv_net_cf"] = res.statistics.mean


@dataclass
class Comparison:
    """A preview beside the full run.

    Attributes
    ----------
    table : polars.DataFrame
        ``statistic``, ``preview``, ``full``, ``rel_diff`` = (preview − full) / |full|.
    inside : bool
        Whether the full ``pv_net_cf`` fell inside the preview's 95% interval.
    ci95 : tuple of float
    full_value : float
    """

    table: pl.DataFrame
    inside: bool
    ci95: tuple[float, float]
    full_value: float

    def to_dict(self) -> dict[str, Any]:
        return {"inside_ci95": self.inside, "ci95": list(self.ci95), "full_pv_net_cf": self.full_value,
                "statistics": self.table.to_dicts()}


def _flat(res: ValuationResult) -> dict[str, float]:
    out = dict(res.totals)
    if res.statistics is not None:
        s = res.statistics.to_dict()
        out |= {"std": s["std"], "min": s["min"], "max": s["max"]}
        out |= dict(s["percentiles"]) | dict(s["cte"])
        out |= {"pv_net_cf_ce": res.pv_net_cf_ce, "tvog": res.tvog}
    return {k: float(v) for k, v in out.items() if v is not None}


def compare(preview_result: PreviewResult, full: ValuationResult) -> Comparison:
    """Relative difference per statistic, and whether the full value fell inside the preview interval."""
    p, f = _flat(preview_result), _flat(full)
    names = [k for k in p if k in f]
    rel = [(p[k] - f[k]) / abs(f[k]) if f[k] else (0.0 if p[k] == f[k] else math.inf) for k in names]
    table = pl.DataFrame({"statistic": names, "preview": [p[k] for k in names], "full": [f[k] for k in names],
                          "rel_diff": rel})
    lo, hi = preview_result.ci95
    return Comparison(table, bool(lo <= full.pv_net_cf <= hi), (lo, hi), full.pv_net_cf)
