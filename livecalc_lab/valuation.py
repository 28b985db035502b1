"""Deterministic valuation of a portfolio: ``lc.run``.

The flow is one way: policies are read strictly and checked against the product,
the WASM engine values them, and the totals are exact sums (so they do not depend
on threads, batches or row order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.assumptions import AssumptionSet, demo_assumptions, load_assumptions
from livecalc_lab.engine import _abi, default_engine
from livecalc_lab.model.policies import Policies, attach_premium_rates, check_policies, demo_policies_path, read_policies

__all__ = ["ValuationResult", "run", "resolve_assumptions"]

DEFAULT_PRODUCT = "basic_term_s"


@dataclass
class ValuationResult:
    """The value of a portfolio under one product and assumption set.

    Attributes
    ----------
    product : str
        Product name in the assumption set.
    n_model_points : int
        Rows valued (always equal to rows read).
    n_policies : float
        Sum of ``policy_count``.
    totals : dict[str, float]
        ``pv_premiums``, ``pv_claims``, ``pv_expenses``, ``pv_commissions``,
        ``pv_net_cf``: present values at t = 0 of the whole portfolio, each the
        correctly rounded exact sum of the per-policy values.
    per_policy : polars.DataFrame
        ``policy_id``, ``premium_pp`` (monthly premium per policy) and the five PVs
        per row (for ``policy_count`` policies), in input row order.
    cashflows : polars.DataFrame or None
        With ``cashflows=True``: by month ``t``, the portfolio's ``pols_if``,
        ``pols_death``, ``pols_lapse``, ``pols_maturity``, ``pols_new_biz``,
        ``premiums``, ``claims``, ``expenses``, ``commissions``, ``net_cf`` and
        ``disc_factor``.
    assumptions_version, engine_version : str
        Content hashes of the assumption set and the engine module.
    source : str
        Where the policies came from.
    data_version : str or None
        Content version of the policy data (see :attr:`livecalc_lab.data.Dataset.version`).
    elapsed_seconds, engine_seconds : float
        Wall time of the whole run and of the engine calls.
    """

    product: str
    n_model_points: int
    n_policies: float
    totals: dict[str, float]
    per_policy: pl.DataFrame
    assumptions_version: str
    engine_version: str
    source: str
    elapsed_seconds: float
    engine_seconds: float
    cashflows: pl.DataFrame | None = field(default=None, repr=False)
    data_version: str | None = None

    @property
    def pv_net_cf(self) -> float:
        """Present value of net cashflows of the portfolio (higher is better)."""
        return self.totals["pv_net_cf"]

    def to_dict(self) -> dict[str, Any]:
        """The totals and provenance as plain JSON-ready values (the CLI's ``--json``)."""
        return {
            "product": self.product,
            "n_model_points": self.n_model_points,
            "n_policies": self.n_policies,
            **self.totals,
            "assumptions_version": self.assumptions_version,
            "engine_version": self.engine_version,
            "source": self.source,
            "data_version": self.data_version,
            "elapsed_seconds": self.elapsed_seconds,
            "engine_seconds": self.engine_seconds,
        }


def resolve_assumptions(assumptions: Any) -> AssumptionSet:
    """``None`` → the bundled set; a path → :func:`load_assumptions`; an AssumptionSet as is."""
    if assumptions is None:
        return demo_assumptions()
    if isinstance(assumptions, AssumptionSet):
        return assumptions
    if isinstance(assumptions, (str, Path)):
        return load_assumptions(assumptions)
    raise TypeError(f"assumptions must be None, a folder path or an AssumptionSet, not {type(assumptions).__name__}")


def run(
    policies: Any = None,
    assumptions: Any = None,
    product: str = DEFAULT_PRODUCT,
    *,
    threads: int = 1,
    cashflows: bool = False,
) -> ValuationResult:
    """Value a portfolio with the WASM engine.

    Parameters
    ----------
    policies : str, pathlib.Path, PolicySource, Dataset, polars.DataFrame, pandas.DataFrame or None
        Model points with the lifelib columns (see :mod:`livecalc_lab.model.policies`):
        a CSV/Parquet file or folder, any URI :func:`livecalc_lab.open_dataset`
        understands (``azure://``, ``abfss://``, ``postgresql://``, ``sqlite:///``),
        a PolicySource or Dataset (with its filter and read options), or a frame;
        None values the bundled lifelib portfolio for ``product``.
    assumptions : str, pathlib.Path, AssumptionSet or None
        An assumption-set folder or object; None uses the bundled lifelib set.
    product : str
        Product in the assumption set: ``"basic_term_s"`` (new business, lifelib
        BasicTerm_S) or ``"basic_term_se"`` (in force by ``duration_mth``, lifelib
        BasicTerm_SE) in the bundled set.
    threads : int
        Engine threads; results are bit-identical for any value.
    cashflows : bool
        Also project the portfolio's monthly cashflows (exact sums by month).

    Returns
    -------
    ValuationResult

    Raises
    ------
    DataError
        Malformed policies or a policy the product cannot value (file, row, column, value).
    AssumptionError
        Unknown product or malformed assumptions.
    EngineError
        The engine failed (trap, timeout, memory limit).

    Examples
    --------
    >>> import livecalc_lab as lc
    >>> round(lc.run().pv_net_cf, 4)
    14489630.5346
    """
    t0 = time.perf_counter()
    aset = resolve_assumptions(assumptions)
    basis = aset.basis(product)
    pols: Policies = read_policies(demo_policies_path(product) if policies is None else policies)
    check_policies(pols, basis)
    frame = attach_premium_rates(pols, basis)
    engine = default_engine()
    val = engine.value_term(basis, frame, threads=threads, cashflows=cashflows)
    per_policy = pl.DataFrame(
        {"policy_id": pols.frame["policy_id"], "premium_pp": val.premium_pp}
        | {name: val.pv[k] for k, name in enumerate(_abi.PV_NAMES)}
    )
    cf = None
    if cashflows:
        n_months = val.cashflows.shape[1]
        cf = pl.DataFrame(
            {"t": np.arange(n_months, dtype=np.int32)}
            | {name: val.cashflows[k] for k, name in enumerate(_abi.CF_NAMES)}
            | {"disc_factor": engine.discount_factors(basis, n_months)}
        )
    if per_policy.height != len(pols):  # never lose a row
        raise AssertionError("engine returned a different number of policies than were read")
    return ValuationResult(
        product=product,
        n_model_points=len(pols),
        n_policies=pols.n_policies,
        totals={name: float(val.totals[k]) for k, name in enumerate(_abi.PV_NAMES)},
        per_policy=per_policy,
        assumptions_version=aset.version,
        engine_version=engine.version,
        source=pols.source,
        data_version=pols.version,
        elapsed_seconds=time.perf_counter() - t0,
        engine_seconds=val.engine_seconds,
        cashflows=cf,
    )
