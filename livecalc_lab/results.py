"""The result of a valuation: totals, per-policy values, the scenario distribution and provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from livecalc_lab._version import __version__
from livecalc_lab.engine._abi import ABI_VERSION
from livecalc_lab.stats import Summary

__all__ = ["ValuationResult"]


@dataclass
class ValuationResult:
    """The value of a portfolio under one assumption set (and, optionally, scenarios).

    Attributes
    ----------
    product : str
        Product name (the default for rows without a ``product`` column).
    n_model_points : int
        Rows valued (always equal to rows read).
    n_policies : float
        Sum of ``policy_count``.
    totals : dict[str, float]
        Portfolio present values at t = 0. Deterministic run: ``pv_premiums``,
        ``pv_claims``, ``pv_expenses``, ``pv_commissions``, ``pv_net_cf`` (savings
        products add their own lines), each the correctly rounded exact sum of the
        per-policy values. With scenarios: the mean over the stochastic scenarios
        of the per-scenario totals.
    per_policy : polars.DataFrame or None
        ``policy_id``, ``product``, ``premium_pp`` and the PVs of each row (for
        ``policy_count`` policies), in input row order; deterministic runs only
        (with scenarios: the mean over scenarios of savings lanes, when asked).
    assumptions_version, engine_version : str
        Content hashes of the assumption set and the engine module.
    source : str
        Where the policies came from.
    data_version : str or None
        Content version of the policy data (see :attr:`livecalc_lab.data.Dataset.version`).
    elapsed_seconds, engine_seconds : float
        Wall time of the whole run and of the engine calls.
    cashflows : polars.DataFrame or None
        By month ``t``: the portfolio's cashflow lines (certainty-equivalent /
        deterministic projection), ``disc_factor`` and ``bel`` (best-estimate
        liability at t: the PV at t of the outgo less the income from t on, i.e.
        minus the PV of future net cashflows).
    per_scenario : polars.DataFrame or None
        One row per stochastic scenario: ``scenario`` (int64) and the PV totals.
    statistics : Summary or None
        Exact summary of the per-scenario ``pv_net_cf`` (see :mod:`livecalc_lab.stats`).
    pv_net_cf_ce : float or None
        ``pv_net_cf`` under the certainty-equivalent scenario.
    tvog : float or None
        ``pv_net_cf_ce`` minus the mean ``pv_net_cf`` over stochastic scenarios.
    guarantee_cost : float or None
        Savings products: mean over scenarios of the PV of death and maturity
        benefits paid above the account value (lifelib's savings notebooks call
        this the TVOG).
    scenario_spec : dict or None
        The scenario spec (generator, parameters, count, seed) or file source.
    scenarios_version : str or None
        The scenario spec's (or file's) version.
    comparison : Comparison or None
        A preview-versus-full comparison filed with the result (see
        :func:`livecalc_lab.preview.compare`); its reports show it.
    package_version : str
        Version of ``livecalc_lab`` that produced the result.
    abi_version : int
        Engine ABI version (``engine/include/livecalc.h``) of the engine that produced it.
    """

    product: str
    n_model_points: int
    n_policies: float
    totals: dict[str, float]
    per_policy: pl.DataFrame | None
    assumptions_version: str
    engine_version: str
    source: str
    elapsed_seconds: float
    engine_seconds: float
    cashflows: pl.DataFrame | None = field(default=None, repr=False)
    per_scenario: pl.DataFrame | None = field(default=None, repr=False)
    statistics: Summary | None = None
    pv_net_cf_ce: float | None = None
    tvog: float | None = None
    guarantee_cost: float | None = None
    scenario_spec: dict[str, Any] | None = None
    scenarios_version: str | None = None
    data_version: str | None = None
    comparison: Any = field(default=None, repr=False, compare=False)
    package_version: str = field(default=__version__, repr=False)
    abi_version: int = field(default=ABI_VERSION, repr=False)

    @property
    def pv_net_cf(self) -> float:
        """Portfolio ``pv_net_cf``: deterministic, or the mean over stochastic scenarios."""
        return self.totals["pv_net_cf"]

    def summary(self) -> pl.DataFrame:
        """The statistics table (``statistic``, ``value``) of the per-scenario ``pv_net_cf``.

        Deterministic runs give one row, ``pv_net_cf``. Stochastic runs add ``tvog``,
        ``pv_net_cf_ce`` and (savings) ``guarantee_cost`` to the exact summary.
        """
        if self.statistics is None:
            return pl.DataFrame({"statistic": ["pv_net_cf"], "value": [self.pv_net_cf]})
        extra = {"pv_net_cf_ce": self.pv_net_cf_ce, "tvog": self.tvog}
        if self.guarantee_cost is not None:
            extra["guarantee_cost"] = self.guarantee_cost
        return pl.concat([
            self.statistics.to_frame(),
            pl.DataFrame({"statistic": list(extra), "value": [float(v) for v in extra.values()]}),
        ])

    def to_dict(self) -> dict[str, Any]:
        """Totals, statistics and provenance as JSON-ready values (the CLI's ``--json``)."""
        out: dict[str, Any] = {
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
        if self.statistics is not None:
            stats = self.statistics.to_dict()
            spec = self.scenario_spec or {}
            out.update({
                "scenarios": stats["n"],
                "seed": spec.get("seed"),
                "scenario_spec": spec,
                "scenarios_version": self.scenarios_version,
                "mean": stats["mean"],
                "std": stats["std"],
                "min": stats["min"],
                "max": stats["max"],
                "percentiles": stats["percentiles"],
                "cte": stats["cte"],
                "tvog": self.tvog,
                "pv_net_cf_ce": self.pv_net_cf_ce,
            })
            if self.guarantee_cost is not None:
                out["guarantee_cost"] = self.guarantee_cost
        return out

    # ---- reports and exports (livecalc_lab.report, livecalc_lab.export) ----------------------------

    def to_html(self, path: str | Path | None = None, **options: Any) -> str:
        """A self-contained HTML report (charts drawn by an inline plotly.js, no network).

        ``options`` go to :func:`livecalc_lab.report.build_report` (``comparison``,
        ``title``, ``extra``). Written atomically to ``path`` when given; returns the HTML.
        """
        from livecalc_lab.report import to_html

        return to_html(self, path, **options)

    def to_markdown(self, path: str | Path | None = None, **options: Any) -> str:
        """The report as Markdown (charts as small tables); see :meth:`to_html`."""
        from livecalc_lab.report import to_markdown

        return to_markdown(self, path, **options)

    def to_parquet(self, path: str | Path, *, table: str | None = None) -> Path:
        """Write the result to one Parquet file that :func:`livecalc_lab.load_result` reads back exactly.

        See :func:`livecalc_lab.export.to_parquet`.
        """
        from livecalc_lab.export import to_parquet

        return to_parquet(self, path, table=table)

    def save(self, path: str | Path) -> Path:
        """File the result (``to_parquet`` with its main table); ``lc.load_result(path)`` restores it."""
        return self.to_parquet(path)

    def to_csv(self, path: str | Path, *, table: str | None = None) -> Path:
        """Write one of the result's tables as CSV, text cells guarded against formula injection.

        See :func:`livecalc_lab.export.to_csv`.
        """
        from livecalc_lab.export import to_csv

        return to_csv(self, path, table=table)

    def to_excel(self, path: str | Path) -> Path:
        """Write an .xlsx workbook: metadata, statistics and each table the result holds.

        See :func:`livecalc_lab.export.to_excel`.
        """
        from livecalc_lab.export import to_excel

        return to_excel(self, path)
