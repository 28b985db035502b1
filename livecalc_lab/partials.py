"""Exact, mergeable partial results: how a chunked valuation equals a one-pass valuation.

A :class:`Partial` is what valuing one chunk of a portfolio leaves behind, held in
exact accumulators (``lc_exact``, see ``engine/include/livecalc.h``), so that
merging partials is exact integer addition: the merged result does not depend on
how the portfolio was chunked, in which order chunks finished, or on which
machine. :func:`finish` turns the merged partial into the same
:class:`ValuationResult` that :func:`livecalc_lab.run` gives for the whole
portfolio at once:

* scenario-independent products (level term, endowment, whole life) carry the
  exact monthly portfolio cashflows; :func:`finish` discounts them with each
  scenario's discount factors (the separable path of ``lc.run``);
* savings products carry the exact per-scenario PV totals of their lanes.

Both carry the exact deterministic (certainty-equivalent) totals, the row count,
the exact sum of ``policy_count`` and an order-independent checksum of the policy
ids, which the aggregator uses to prove every chunk is present exactly once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xxhash

from livecalc_lab.assumptions import ProductBasis
from livecalc_lab.engine import _abi, default_engine
from livecalc_lab.errors import LivecalcError
from livecalc_lab.model import scenarios as scen
from livecalc_lab.model.policies import Policies
from livecalc_lab.results import ValuationResult

__all__ = ["Partial", "value_chunk", "merge", "finish", "id_checksum"]


def id_checksum(ids: Any) -> int:
    """Order-independent checksum of policy ids: sum of XXH64(id) mod 2^64.

    Each id is hashed as its canonical bytes (int64 little-endian, or UTF-8 for
    string ids, the sampling key's encoding without the seed). Summing makes the
    checksum independent of row order and chunking; a row counted twice or lost
    changes it.
    """
    total = 0
    for v in (ids.to_list() if hasattr(ids, "to_list") else list(ids)):
        b = int(v).to_bytes(8, "little", signed=True) if isinstance(v, (int, np.integer)) else str(v).encode()
        total = (total + xxhash.xxh64_intdigest(b)) & 0xFFFFFFFFFFFFFFFF
    return total


@dataclass
class Partial:
    """The exact result of valuing some policies of a portfolio (a chunk, or merged chunks).

    Attributes
    ----------
    kind : str
        ``"term"`` (scenario-independent products) or ``"savings"``.
    product : str
    n_model_points : int
        Rows valued.
    policy_count : ndarray, shape () of ``_abi.EXACT_DTYPE``
        Exact sum of ``policy_count``.
    id_checksum : int
        :func:`id_checksum` of the rows' policy ids.
    totals : ndarray, shape (k,) of ``_abi.EXACT_DTYPE``
        Deterministic (term) or certainty-equivalent (savings) PV totals, in the
        order of ``names``.
    names : tuple of str
        PV names: ``_abi.PV_NAMES`` (term) or ``_abi.SAV_PV_NAMES`` (savings).
    cashflows : ndarray, shape (10, n_months) of ``_abi.EXACT_DTYPE`` or None
        Term: exact monthly portfolio cashflows, lines ``_abi.CF_NAMES``.
    scenario_totals : ndarray, shape (n_scenarios, 13) of ``_abi.EXACT_DTYPE`` or None
        Savings with scenarios: exact per-scenario PV totals.
    engine_seconds : float
        Engine time spent (summed over merged partials).
    """

    kind: str
    product: str
    n_model_points: int
    policy_count: np.ndarray
    id_checksum: int
    totals: np.ndarray
    names: tuple[str, ...]
    cashflows: np.ndarray | None = None
    scenario_totals: np.ndarray | None = None
    engine_seconds: float = field(default=0.0, compare=False)

    @property
    def n_policies(self) -> float:
        """Sum of ``policy_count``, correctly rounded."""
        return float(default_engine().exact_round(self.policy_count.reshape(1))[0])


def _exact_sum(values: np.ndarray) -> np.ndarray:
    return default_engine().exact_add(np.asarray(values, dtype=np.float64))


def value_chunk(policies: Policies, aset: Any, product: str, scenarios: Any = None, *,
                threads: int = 1, lines: tuple[str, ...] | None = None) -> Partial:
    """Value one chunk of a portfolio into a :class:`Partial`.

    Parameters
    ----------
    policies : Policies
        The chunk's policies (e.g. ``Dataset.read_chunk(chunk_id)``).
    aset : AssumptionSet
    product : str
    scenarios : ScenarioSpec, ScenarioSet or None
        Savings products need them for their per-scenario totals; term products do
        not (their scenarios are applied by :func:`finish`).
    lines : tuple of str, optional
        Term products: the cashflow lines (``_abi.CF_NAMES``) to accumulate; the
        others are exact zeros. None: every line. :func:`finish` needs only
        ``valuation.TERM_PV_LINES``, which is what ``lc.run`` computes with scenarios.

    Raises
    ------
    DataError
        A policy the product cannot value (file, row, column, value).
    """
    engine = default_engine()
    basis = aset.basis(product)
    count = _exact_sum(policies.frame["policy_count"].to_numpy())
    checksum = id_checksum(policies.frame["policy_id"])
    if isinstance(basis, ProductBasis):
        from livecalc_lab.portfolio import value_term_portfolio

        val = value_term_portfolio(engine, aset, basis, policies, threads=threads,
                                   cashflows=True if lines is None else tuple(lines))
        return Partial("term", product, len(policies), count, checksum, val.totals_exact, _abi.PV_NAMES,
                       cashflows=val.cashflows_exact, engine_seconds=val.engine_seconds)
    from livecalc_lab.savings_valuation import _check, engine_basis, engine_columns

    frame = basis.policy_spec_columns(policies.frame, policies.source)
    n_months = _check(frame, basis, policies.source)
    eb, cols = engine_basis(basis), engine_columns(frame, basis)
    zcb = engine.discount_factors(basis, n_months + 1)
    ce = scen.certainty_equivalent(zcb, n_months, engine=engine)
    out = engine.value_savings(eb, cols, ce.fund_return, ce.disc_factor[:, :n_months], threads=threads)
    part = Partial("savings", product, len(policies), count, checksum, out.scenario_totals_exact[0],
                   _abi.SAV_PV_NAMES, engine_seconds=out.engine_seconds)
    if scenarios is not None:
        from livecalc_lab.valuation import resolve_scenarios

        sset = resolve_scenarios(scenarios, basis, n_months, need_fund=True)
        disc = zcb[:n_months] if sset.disc_factor is None else sset.disc_factor[:, :n_months]
        st = engine.value_savings(eb, cols, sset.fund_return[:, :n_months], disc, threads=threads)
        part.scenario_totals = st.scenario_totals_exact
        part.engine_seconds += st.engine_seconds
    return part


def _pad(acc: np.ndarray, n_months: int) -> np.ndarray:
    """Extend (lines, t) accumulators with exact zeros to n_months."""
    if acc.shape[1] == n_months:
        return acc
    out = np.zeros((acc.shape[0], n_months), dtype=_abi.EXACT_DTYPE)
    out[:, : acc.shape[1]] = acc
    return out


def merge(parts: list[Partial]) -> Partial:
    """Merge partials exactly; the result does not depend on their order.

    Raises
    ------
    LivecalcError
        Partials of different kinds, products or scenario counts.
    """
    if not parts:
        raise LivecalcError("nothing to merge: no partial results")
    first = parts[0]
    for p in parts[1:]:
        if (p.kind, p.product, p.names) != (first.kind, first.product, first.names):
            raise LivecalcError(f"cannot merge a {p.kind} partial of {p.product!r} into one of {first.product!r}")
        if (p.scenario_totals is None) != (first.scenario_totals is None) or (
                p.scenario_totals is not None and p.scenario_totals.shape != first.scenario_totals.shape):
            raise LivecalcError("cannot merge partials valued under different scenario sets")
    engine = default_engine()
    cashflows = None
    if first.cashflows is not None:
        n_months = max(p.cashflows.shape[1] for p in parts)
        cashflows = engine.exact_merge([_pad(p.cashflows, n_months) for p in parts])
    return Partial(
        kind=first.kind,
        product=first.product,
        n_model_points=sum(p.n_model_points for p in parts),
        policy_count=engine.exact_merge([p.policy_count.reshape(1) for p in parts])[0],
        id_checksum=sum(p.id_checksum for p in parts) & 0xFFFFFFFFFFFFFFFF,
        totals=engine.exact_merge([p.totals for p in parts]),
        names=first.names,
        cashflows=cashflows,
        scenario_totals=(engine.exact_merge([p.scenario_totals for p in parts])
                         if first.scenario_totals is not None else None),
        engine_seconds=sum(p.engine_seconds for p in parts),
    )


def finish(partial: Partial, aset: Any, scenarios: Any = None, *, source: str = "", data_version: str | None = None,
           started: float | None = None, assumptions_version: str | None = None) -> ValuationResult:
    """The :class:`ValuationResult` of a (merged) partial: what ``lc.run`` gives for the same policies.

    Term products: per-scenario totals are the exact portfolio cashflows, rounded,
    discounted with each scenario (and the CE scenario), as ``lc.run`` does.
    Savings: the exact per-scenario totals, rounded.
    """
    from livecalc_lab.valuation import _attach_distribution, _ce_set, resolve_scenarios

    t0 = time.perf_counter()
    engine = default_engine()
    basis = aset.basis(partial.product)
    totals = engine.exact_round(partial.totals)
    result = ValuationResult(
        product=partial.product,
        n_model_points=partial.n_model_points,
        n_policies=partial.n_policies,
        totals={n: float(totals[k]) for k, n in enumerate(partial.names)},
        per_policy=None,
        assumptions_version=assumptions_version or aset.version,
        engine_version=engine.version,
        source=source,
        elapsed_seconds=0.0,
        engine_seconds=partial.engine_seconds,
        data_version=data_version,
    )
    if scenarios is not None:
        if partial.kind == "term":
            from livecalc_lab.valuation import TERM_PV_LINES, TERM_PV_NAMES

            cf_all = engine.exact_round(partial.cashflows)
            n_months = cf_all.shape[1]
            cf = np.stack([cf_all[_abi.CF_NAMES.index(k)] for k in TERM_PV_LINES])
            sset = resolve_scenarios(scenarios, basis, n_months)
            v = engine.discount_factors(basis, n_months)
            D = sset.disc_factor
            disc = np.broadcast_to(v, (sset.n, n_months)) if D is None else D[:, :n_months]
            per_scen = engine.exact_round(engine.discount_totals(cf, disc))
            ce_disc = v if D is None else _ce_set(sset, basis, n_months).disc_factor[0, :n_months]
            ce = engine.exact_round(engine.discount_totals(cf, ce_disc))[0]
            _attach_distribution(result, sset, per_scen, ce, TERM_PV_NAMES)
        else:
            if partial.scenario_totals is None:
                raise LivecalcError("the partial results were valued without scenarios")
            st = engine.exact_round(partial.scenario_totals)
            names = partial.names
            gmxb = st[:, names.index("pv_gmdb")] + st[:, names.index("pv_gmab")]
            sset = scenarios if isinstance(scenarios, scen.ScenarioSet) else None
            if sset is None:  # the ids and provenance of a spec's scenarios, without regenerating them
                spec = scenarios
                sset = scen.ScenarioSet(ids=np.arange(1, spec.n + 1), n_months=0,
                                        disc_factor=np.ones((spec.n, 1)), spec=spec, source="hull_white",
                                        version=spec.version)
            _attach_distribution(result, sset, st, totals, names, guarantee_cost=math.fsum(gmxb) / len(gmxb))
    result.engine_seconds += time.perf_counter() - t0
    result.elapsed_seconds = time.perf_counter() - (started if started is not None else t0)
    return result
