"""Mixed portfolios: split rows by product and mortality cell, value each group, merge exactly.

A portfolio may carry a ``product`` column naming, per row, a product of the
assumption set (the ``product=`` argument is the default when the column is
absent), and a product's mortality table may have ``sex``/``smoker`` dimensions
(each row then uses its own cell). The engine values one basis per call, so the
rows are grouped by (product, cell); per-policy results go back to their rows and
totals and cashflows are merged in exact accumulators, so the result does not
depend on how the rows were grouped or ordered.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.assumptions import ProductBasis
from livecalc_lab.engine import _abi
from livecalc_lab.engine.host import TermValuation, _months_needed, _policy_columns
from livecalc_lab.errors import DataError
from livecalc_lab.model.policies import Policies, attach_premium_rates, check_policies

__all__ = ["term_groups", "TermPortfolio", "value_term_portfolio", "subset"]


def subset(pols: Policies, idx: np.ndarray) -> Policies:
    """The rows ``idx`` (0-based, increasing) of ``pols``, keeping their source row numbers."""
    rows = pols.rows[idx] if pols.rows is not None else idx + 1
    return dataclasses.replace(pols, frame=pols.frame[idx], rows=rows)


def term_groups(pols: Policies, aset: Any, default: ProductBasis) -> list[tuple[ProductBasis, np.ndarray]]:
    """Groups of rows valued with one basis: ``[(basis, row indices), ...]`` in first-row order.

    Raises
    ------
    DataError
        A ``product`` naming no product of the assumption set (or a savings product,
        which a mixed term portfolio cannot hold, or one on another discount curve),
        or a row whose ``sex``/``smoker`` cell is missing from its mortality table;
        the message names the file, row, column and value.
    """
    frame = pols.frame
    n = frame.height
    if "product" in frame.columns:
        names = frame["product"].to_numpy()
        by_product = {name: np.flatnonzero(names == name) for name in dict.fromkeys(names.tolist())}
    else:
        by_product = {default.product: np.arange(n)}
    groups: list[tuple[ProductBasis, np.ndarray]] = []
    for name, idx in by_product.items():
        if name == default.product:
            basis = default
        else:
            if name not in aset.products:
                r = int(idx[0])
                raise DataError(f"{pols.source} row {pols.row(r):,} column 'product': {name!r} is not a product of the "
                                f"assumption set ({', '.join(aset.products)})")
            basis = aset.basis(name)
            r = int(idx[0])
            if not isinstance(basis, ProductBasis):
                raise DataError(f"{pols.source} row {pols.row(r):,} column 'product': {name!r} is a savings product; "
                                "a portfolio mixes scenario-independent products (term, endowment, whole life) only")
            if not np.array_equal(basis.disc_zero_ann, default.disc_zero_ann):
                raise DataError(f"{pols.source} row {pols.row(r):,} column 'product': {name!r} discounts on another "
                                f"curve than {default.product!r}; one portfolio is valued on one curve")
        if not basis.mort_keys:
            groups.append((basis, idx))
            continue
        missing = [k for k in basis.mort_keys if k not in frame.columns]
        if missing:
            raise DataError(f"{pols.source}: product {basis.product!r} has a mortality table by "
                            f"{', '.join(basis.mort_keys)}, but the policies have no {', '.join(map(repr, missing))} "
                            "column")
        keys = list(zip(*(frame[k].to_numpy()[idx] for k in basis.mort_keys)))
        cells: dict[tuple, list[int]] = {}
        for pos, key in zip(idx.tolist(), keys):
            cells.setdefault(tuple(key), []).append(pos)
        for key, positions in cells.items():
            if key not in basis.mort_cells:
                r = positions[0]
                col = basis.mort_keys[0] if len(key) == 1 else "/".join(basis.mort_keys)
                raise DataError(f"{pols.source} row {pols.row(r):,} column {col!r}: {'/'.join(key)!r} is not a cell of "
                                f"product {basis.product!r}'s mortality table "
                                f"({', '.join('/'.join(c) for c in basis.mort_cells)})")
            groups.append((basis.for_cell(key), np.asarray(positions)))
    return sorted(groups, key=lambda g: int(g[1][0]) if len(g[1]) else n)


def _pad(acc: np.ndarray, n_months: int) -> np.ndarray:
    out = np.zeros((acc.shape[0], n_months), dtype=_abi.EXACT_DTYPE)
    out[:, : acc.shape[1]] = acc
    return out


class TermPortfolio:
    """A (possibly mixed) term portfolio, checked and split into the groups the engine values.

    Building one runs :func:`term_groups`, :func:`check_policies` and
    :func:`attach_premium_rates` for every group, so :meth:`months` (the horizon)
    is known before anything is valued: a caller that needs the horizon to build a
    discount vector (the preview's mean scenario discount factors) values the
    portfolio in one engine pass.

    Parameters
    ----------
    aset : AssumptionSet
    basis : ProductBasis
        The default product's basis (rows without a ``product`` column use it).
    pols : Policies

    Attributes
    ----------
    groups : list of (ProductBasis, ndarray, polars.DataFrame)
        Each group's basis (of its product and mortality cell), its row indices
        (0-based, increasing) and the frame the engine values (premium rates
        attached), in first-row order.

    Raises
    ------
    DataError
        From :func:`term_groups`, :func:`check_policies` or :func:`attach_premium_rates`.
    """

    def __init__(self, aset: Any, basis: ProductBasis, pols: Policies):
        self.policies = pols
        self.groups: list[tuple[ProductBasis, np.ndarray, pl.DataFrame]] = []
        groups = term_groups(pols, aset, basis) or [(basis, np.arange(0))]  # no rows: one empty group
        for gbasis, idx in groups:
            sub = pols if len(groups) == 1 else subset(pols, idx)
            check_policies(sub, gbasis)
            self.groups.append((gbasis, idx, attach_premium_rates(sub, gbasis)))

    def months(self, *, for_premium: bool = False) -> int:
        """Projection months of the portfolio's cashflows: the longest group's (0 when empty).

        With ``for_premium``, also the months of the equivalence-premium projections
        from issue, which an ``alt_disc`` vector must cover (:meth:`Engine.value_term`).
        """
        return max((_months_needed(_policy_columns(frame, gbasis), gbasis, for_premium=for_premium)
                    for gbasis, _, frame in self.groups), default=0)

    def value(self, engine: Any, **kw: Any) -> TermValuation:
        """Value every row: one :meth:`Engine.value_term` call per group, merged exactly.

        Parameters
        ----------
        engine : Engine
        **kw
            Passed to :meth:`Engine.value_term` (``threads``, ``cashflows``,
            ``scenario_disc``, ``alt_disc``); every group discounts on the same curve
            (:func:`term_groups`), so one discount vector serves them all.

        Returns
        -------
        TermValuation
            For all rows in their order; totals, cashflows and full-path scenario
            totals merged exactly over the groups (cashflows padded with exact zeros
            to the longest group's horizon).
        """
        if len(self.groups) == 1:
            gbasis, _, frame = self.groups[0]
            return engine.value_term(gbasis, frame, **kw)
        n = len(self.policies)
        parts = [(idx, engine.value_term(gbasis, frame, **kw)) for gbasis, idx, frame in self.groups]
        pv = np.empty((_abi.N_PV, n))
        prem = np.empty(n)
        alt = np.empty((_abi.N_PV, n)) if parts[0][1].pv_alt is not None else None
        for idx, val in parts:
            pv[:, idx] = val.pv
            prem[idx] = val.premium_pp
            if alt is not None:
                alt[:, idx] = val.pv_alt
        totals = engine.exact_merge([v.totals_exact for _, v in parts])
        cf = None
        if parts[0][1].cashflows_exact is not None:
            m = max(v.cashflows_exact.shape[1] for _, v in parts)
            cf = engine.exact_merge([_pad(v.cashflows_exact, m) for _, v in parts])
        scen = None
        if parts[0][1].scenario_totals_exact is not None:
            scen = engine.exact_merge([v.scenario_totals_exact for _, v in parts])
        return TermValuation(
            pv=pv, premium_pp=prem, totals=engine.exact_round(totals), totals_exact=totals,
            cashflows=engine.exact_round(cf) if cf is not None else None, cashflows_exact=cf,
            engine_seconds=sum(v.engine_seconds for _, v in parts),
            scenario_totals=engine.exact_round(scen) if scen is not None else None, scenario_totals_exact=scen,
            pv_alt=alt,
        )


def value_term_portfolio(engine: Any, aset: Any, basis: ProductBasis, pols: Policies, **kw: Any) -> TermValuation:
    """Check and value every row of a (possibly mixed) term portfolio: ``TermPortfolio(...).value(...)``.

    Parameters
    ----------
    engine : Engine
    aset : AssumptionSet
    basis : ProductBasis
        The default product's basis (rows without a ``product`` column use it).
    pols : Policies
    **kw
        Passed to :meth:`Engine.value_term` (``threads``, ``cashflows``,
        ``scenario_disc``, ``alt_disc``).

    Returns
    -------
    TermValuation
        For all rows in their order; totals, cashflows and full-path scenario totals
        merged exactly over the groups.

    Raises
    ------
    DataError
        From :func:`term_groups` or :func:`check_policies`.
    """
    return TermPortfolio(aset, basis, pols).value(engine, **kw)
