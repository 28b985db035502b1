"""Valuation of a portfolio: ``lc.run``, deterministic or over economic scenarios.

The flow is one way: policies are read strictly and checked against the product,
the WASM engine values them, and totals are exact sums (so they do not depend on
threads, batches or row order).

Scenario-independent products (level term, endowment, whole life: their
decrements do not depend on the economy) are valued once: the engine projects
the portfolio's monthly cashflows, summed exactly over policies, and each
scenario's present values are those cashflows discounted with its discount
factors (P × T work, then T × S). Path-dependent products (savings) run every
(policy, scenario) lane in the engine (P × S × T work).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.assumptions import AssumptionSet, ProductBasis
from livecalc_lab.engine import _abi, default_engine
from livecalc_lab.errors import AssumptionError
from livecalc_lab.model import scenarios as scen
from livecalc_lab.model.policies import Policies, demo_policies_path, read_policies
from livecalc_lab.results import ValuationResult
from livecalc_lab.stats import summarise
from livecalc_lab.stats import tvog as tvog_of

__all__ = ["Session", "ValuationResult", "run", "resolve_assumptions", "resolve_scenarios"]

DEFAULT_PRODUCT = "basic_term_s"
TERM_PV_LINES = ("premiums", "claims", "expenses", "commissions", "net_cf")
TERM_PV_NAMES = ("pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf")


def resolve_assumptions(assumptions: Any) -> AssumptionSet:
    """``None`` → the bundled set; an AssumptionSet as is; ``assumptions://NAME:VERSION`` (or ``:latest``,
    ``:draft``) → the stored version it names (see :mod:`livecalc_lab.assumptions.store`); a path →
    :func:`load_assumptions`.

    Whatever was asked for, the set returned carries its concrete version
    (:attr:`AssumptionSet.version`, and :attr:`AssumptionSet.ref` for a stored one),
    which is what results and jobs record.

    Raises
    ------
    AssumptionError
        The folder or reference does not give a valid set (``latest`` with no approved version...).
    TypeError
        Any other type.
    """
    from livecalc_lab.assumptions.store import as_assumption_set

    return as_assumption_set(assumptions)


def resolve_scenarios(scenarios: Any, basis: Any, n_months: int, *, need_fund: bool = False) -> scen.ScenarioSet:
    """A ScenarioSet covering ``n_months`` months for ``basis``, with its CE scenario.

    Parameters
    ----------
    scenarios : ScenarioSpec or ScenarioSet
        A spec is generated in the engine on the basis's curve; a set (e.g. read
        from files) is checked to cover the projection.
    basis : ProductBasis or SavingsBasis
        Gives the initial curve P(0, t) (and so the CE scenario).
    n_months : int
        Months the projection needs (t = 0 .. n_months - 1).
    need_fund : bool
        The product needs fund returns (savings).

    Raises
    ------
    AssumptionError
        A scenario file that does not cover the projection, or lacks fund returns
        a fund-linked product needs.
    """
    if isinstance(scenarios, scen.ScenarioSpec):
        return scen.generate_for_basis(scenarios, basis, n_months, short_rate=False, fund_return=need_fund)
    if not isinstance(scenarios, scen.ScenarioSet):
        raise TypeError(f"scenarios must be a ScenarioSpec (lc.hull_white(...)) or a ScenarioSet, "
                        f"not {type(scenarios).__name__}")
    scenarios.check_covers(n_months)
    if need_fund and scenarios.fund_return is None:
        raise AssumptionError(f"scenarios {scenarios.source!r} have no fund returns, which product "
                              f"{basis.product!r} needs")
    return scenarios


def _ce_set(sset: scen.ScenarioSet, basis: Any, n_months: int) -> scen.ScenarioSet:
    if sset.ce is not None and sset.ce.n_months >= n_months:
        return sset.ce
    return scen.certainty_equivalent(default_engine().discount_factors(basis, n_months + 1), n_months)


class Session:
    """Policies read and checked once, valued under one or more bases and scenario sets.

    ``lc.run`` is ``Session(...).value(...)``; :func:`livecalc_lab.sensitivities`
    values several shocked bases in one session, sharing the reading, the checks
    and (where the curve and the spec are unchanged) the scenarios.

    Parameters
    ----------
    policies, assumptions, product, threads
        As for :func:`run`.
    """

    def __init__(self, policies: Any = None, assumptions: Any = None, product: str = DEFAULT_PRODUCT, *,
                 threads: int = 1):
        self.t0 = time.perf_counter()
        self.aset = resolve_assumptions(assumptions)
        self.basis = self.aset.basis(product)
        self.product = product
        self.threads = threads
        self.engine = default_engine()
        self._scenarios: dict[tuple, scen.ScenarioSet] = {}
        if isinstance(self.basis, ProductBasis):
            self.policies: Policies = read_policies(demo_policies_path(product) if policies is None else policies)
        else:
            from livecalc_lab.savings_valuation import read_for_basis

            self.policies = read_for_basis(policies, self.basis)

    def scenario_set(self, scenarios: Any, basis: Any, n_months: int, *, need_fund: bool = False,
                     reuse: bool = True) -> scen.ScenarioSet:
        """:func:`resolve_scenarios`, cached for generated sets of the same spec, curve and length."""
        if not isinstance(scenarios, scen.ScenarioSpec):
            return resolve_scenarios(scenarios, basis, n_months, need_fund=need_fund)
        key = (scenarios.version, n_months, need_fund, basis.disc_zero_ann.tobytes())
        if not reuse or key not in self._scenarios:
            self._scenarios[key] = resolve_scenarios(scenarios, basis, n_months, need_fund=need_fund)
        return self._scenarios[key]

    def value(self, *, basis: Any = None, scenarios: Any = None, cashflows: bool = False,
              assumptions_version: str | None = None, reuse_scenarios: bool = True) -> ValuationResult:
        """Value the session's policies under ``basis`` (default: the product's) and ``scenarios``."""
        t0 = time.perf_counter()
        basis = self.basis if basis is None else basis
        version = assumptions_version or self.aset.version
        if isinstance(basis, ProductBasis):
            result = self._value_term(basis, scenarios, cashflows, version, reuse_scenarios)
        else:
            from livecalc_lab.savings_valuation import value_savings

            result = value_savings(self, basis, scenarios, cashflows, version, reuse_scenarios)
        result.elapsed_seconds = time.perf_counter() - min(t0, self.t0)
        self.t0 = time.perf_counter()  # later values in the session count from their own start
        return result

    def new_result(self, basis: Any, totals: dict[str, float], per_policy: pl.DataFrame, version: str,
                   engine_seconds: float) -> ValuationResult:
        """A result for the session's policies with its provenance filled in (times set by :meth:`value`)."""
        pols = self.policies
        return ValuationResult(product=basis.product, n_model_points=len(pols), n_policies=pols.n_policies,
                               totals=totals, per_policy=per_policy, assumptions_version=version,
                               engine_version=self.engine.version, source=pols.source, elapsed_seconds=0.0,
                               engine_seconds=engine_seconds, data_version=pols.version)

    def _value_term(self, basis: ProductBasis, scenarios: Any, cashflows: bool, version: str,
                    reuse: bool) -> ValuationResult:
        from livecalc_lab.portfolio import value_term_portfolio

        pols, engine = self.policies, self.engine
        lines: bool | tuple[str, ...] = True if cashflows else (TERM_PV_LINES if scenarios is not None else False)
        val = value_term_portfolio(engine, self.aset, basis, pols, threads=self.threads, cashflows=lines)
        products = {"product": pols.frame["product"]} if "product" in pols.frame.columns else {}
        per_policy = pl.DataFrame(
            {"policy_id": pols.frame["policy_id"]} | products | {"premium_pp": val.premium_pp}
            | {name: val.pv[k] for k, name in enumerate(_abi.PV_NAMES)}
        )
        if per_policy.height != len(pols):  # never lose a row
            raise AssertionError("engine returned a different number of policies than were read")
        result = self.new_result(basis, {name: float(val.totals[k]) for k, name in enumerate(_abi.PV_NAMES)},
                                 per_policy, version, val.engine_seconds)
        n_months = 0 if val.cashflows is None else val.cashflows.shape[1]
        v = engine.discount_factors(basis, n_months) if n_months else np.zeros(0)
        if scenarios is not None:
            cf = np.stack([val.cashflows[_abi.CF_NAMES.index(k)] for k in TERM_PV_LINES]) if n_months else \
                np.zeros((len(TERM_PV_LINES), 0))
            sset = self.scenario_set(scenarios, basis, n_months, reuse=reuse)
            D = sset.disc_factor
            disc = np.broadcast_to(v, (sset.n, n_months)) if D is None else D[:, :n_months]
            t1 = time.perf_counter()
            per_scen = engine.exact_round(engine.discount_totals(cf, disc))  # (S, 5)
            ce_disc = v if D is None else _ce_set(sset, basis, n_months).disc_factor[0, :n_months]
            ce = engine.exact_round(engine.discount_totals(cf, ce_disc))[0]
            result.engine_seconds += time.perf_counter() - t1
            _attach_distribution(result, sset, per_scen, ce, TERM_PV_NAMES)
            if cashflows:
                result.cashflows = _cashflow_frame(val.cashflows, _abi.CF_NAMES, ce_disc, disc)
        elif cashflows:
            result.cashflows = _cashflow_frame(val.cashflows, _abi.CF_NAMES, v, None)
        return result


def run(
    policies: Any = None,
    assumptions: Any = None,
    product: str = DEFAULT_PRODUCT,
    *,
    scenarios: Any = None,
    threads: int = 1,
    cashflows: bool = False,
) -> ValuationResult:
    """Value a portfolio with the WASM engine, deterministically or over scenarios.

    Parameters
    ----------
    policies : str, pathlib.Path, PolicySource, Dataset, polars.DataFrame, pandas.DataFrame or None
        Model points with the lifelib columns (see :mod:`livecalc_lab.model.policies`):
        a CSV/Parquet file or folder, any URI :func:`livecalc_lab.open_dataset`
        understands (``azure://``, ``abfss://``, ``postgresql://``, ``sqlite:///``),
        a PolicySource or Dataset (with its filter and read options), or a frame;
        None values the bundled lifelib portfolio for ``product``.
    assumptions : str, pathlib.Path, AssumptionSet or None
        An assumption-set folder or object, or a stored version ``assumptions://NAME:VERSION``
        (``:latest``: the latest approved; ``:draft``: the working draft); None uses the
        bundled lifelib set. The result records the concrete version.
    product : str
        Product in the assumption set: ``"basic_term_s"`` (new business, lifelib
        BasicTerm_S) or ``"basic_term_se"`` (in force by ``duration_mth``, lifelib
        BasicTerm_SE) in the bundled set.
    scenarios : ScenarioSpec, ScenarioSet or None
        ``lc.hull_white(n=1000, seed=1, a=..., sigma=...)`` or scenarios read with
        ``lc.read_scenarios``: adds the distribution of the portfolio value over
        scenarios (``per_scenario``, ``statistics``, ``tvog``, ``pv_net_cf_ce``), and
        ``totals`` become means over the stochastic scenarios.
    threads : int
        Engine threads; results are bit-identical for any value.
    cashflows : bool
        Also return the portfolio's monthly cashflows and best-estimate liability.

    Returns
    -------
    ValuationResult

    Raises
    ------
    DataError
        Malformed policies or a policy the product cannot value (file, row, column, value).
    AssumptionError
        Unknown product, malformed assumptions, or scenarios that do not cover the projection.
    EngineError
        The engine failed (trap, timeout, memory limit).

    Examples
    --------
    >>> import livecalc_lab as lc
    >>> round(lc.run().pv_net_cf, 4)
    14489630.5346
    """
    return Session(policies, assumptions, product, threads=threads).value(scenarios=scenarios, cashflows=cashflows)


def _attach_distribution(result: ValuationResult, sset: scen.ScenarioSet, per_scen: np.ndarray, ce: np.ndarray,
                         names: tuple[str, ...], guarantee_cost: float | None = None) -> None:
    """Per-scenario totals (S, k) and CE totals (k,) → statistics, TVOG and mean totals."""
    net = names.index("pv_net_cf")
    result.per_scenario = pl.DataFrame({"scenario": np.asarray(sset.ids, dtype=np.int64)}
                                       | {name: per_scen[:, k] for k, name in enumerate(names)})
    result.statistics = summarise(per_scen[:, net])
    result.pv_net_cf_ce = float(ce[net])
    result.tvog = tvog_of(float(ce[net]), per_scen[:, net])
    result.guarantee_cost = guarantee_cost
    n = per_scen.shape[0]
    result.totals = {name: math.fsum(per_scen[:, k]) / n for k, name in enumerate(names)}
    result.totals["pv_net_cf"] = result.statistics.mean
    result.scenario_spec = sset.spec.to_dict() if sset.spec is not None else {"source": sset.source}
    result.scenarios_version = sset.version


def _cashflow_frame(cf: np.ndarray, names: tuple[str, ...], ce_disc: np.ndarray,
                    disc: np.ndarray | None) -> pl.DataFrame:
    """Monthly cashflows with the discount factor and the best-estimate liability.

    ``bel(t) = -sum_{u >= t} net_cf(u) D(u) / D(t)``: the value at t of future outgo
    less income, under the CE scenario (``bel``) and averaged over the stochastic
    scenarios (``bel_mean``, when given). Reporting quantities, computed in numpy.
    """
    n_months = cf.shape[1]
    net = cf[names.index("net_cf")]
    out = {"t": np.arange(n_months, dtype=np.int32)} | {name: cf[k] for k, name in enumerate(names)}
    out["disc_factor"] = ce_disc
    out["bel"] = -np.cumsum((net * ce_disc)[::-1])[::-1] / ce_disc if n_months else np.zeros(0)
    if disc is not None and n_months:
        tail = np.cumsum((net[None, :] * disc)[:, ::-1], axis=1)[:, ::-1] / disc
        out["bel_mean"] = -tail.mean(axis=0)
    return pl.DataFrame(out)
