"""What a valuation result holds, as labelled rows and tables: one source for its reports and exports.

:func:`inputs` and :func:`timings` are the provenance every report, Excel metadata
sheet and Parquet file carries; :func:`statistics_table` is the statistics table
they all show; :func:`tables` names the frames a result holds.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

__all__ = ["Entry", "TABLES", "inputs", "timings", "statistics_table", "tables", "default_table", "is_preview"]

TABLES = ("statistics", "per_policy", "per_scenario", "cashflows", "comparison")
"""Names of the tables a result may hold, in the order exports write them."""

Entry = tuple[str, str, Any]
"""``(key, label, value)``: a metadata key, its label in reports, and the value (str, int, float or None)."""


def is_preview(result: Any) -> bool:
    """Whether ``result`` is a :class:`~livecalc_lab.preview.PreviewResult` (estimated from a sample)."""
    return hasattr(result, "sample_size") and hasattr(result, "ci95")


def inputs(result: Any, extra: dict[str, Any] | None = None) -> list[Entry]:
    """The inputs of a result and their versions.

    Dataset label and content version, sizes, assumption-set version, scenario
    spec and seed (and the scenarios' version), the preview's sample, engine
    module hash, engine ABI version and package version, then ``extra``
    (e.g. a job's id and backend) as given.

    Returns
    -------
    list of (key, label, value)
        Values are str, int, float or None (unknown); the scenario spec is
        canonical JSON text (keys sorted).
    """
    rows: list[Entry] = [
        ("product", "Product", result.product),
        ("source", "Dataset", result.source),
        ("data_version", "Dataset content version", result.data_version),
        ("n_model_points", "Model points (rows)", int(result.n_model_points)),
        ("n_policies", "Policies (sum of policy_count)", float(result.n_policies)),
        ("assumptions_version", "Assumption-set version", result.assumptions_version),
    ]
    spec = result.scenario_spec
    if spec:
        rows += [
            ("scenario_spec", "Scenario spec", json.dumps(spec, sort_keys=True, separators=(", ", ": "))),
            ("scenario_seed", "Scenario seed", spec.get("seed")),
            ("scenarios", "Scenarios", result.statistics.n if result.statistics is not None else spec.get("n")),
            ("scenarios_version", "Scenarios version", result.scenarios_version),
        ]
    else:
        rows.append(("scenario_spec", "Scenario spec", "none (deterministic valuation)"))
    if is_preview(result):
        rows += [
            ("sample_size", "Preview sample size", int(result.sample_size)),
            ("total_rows", "Dataset rows", int(result.total_rows)),
            ("sample_seed", "Sample seed", int(result.sample_seed)),
        ]
    rows += [
        ("engine_version", "Engine (engine.wasm)", result.engine_version),
        ("abi_version", "Engine ABI version", int(result.abi_version)),
        ("package_version", "livecalc-lab version", result.package_version),
    ]
    for key, value in (extra or {}).items():
        rows.append((str(key), str(key).replace("_", " ").capitalize(), value))
    return rows


def timings(result: Any) -> list[Entry]:
    """The run's recorded timings (seconds); never re-measured."""
    return [
        ("elapsed_seconds", "Elapsed (s)", float(result.elapsed_seconds)),
        ("engine_seconds", "Engine (s)", float(result.engine_seconds)),
    ]


def statistics_table(result: Any) -> pl.DataFrame:
    """``statistic`` (str), ``value`` (float64): the portfolio's PV totals, then the distribution.

    Rows: every entry of ``result.totals`` (deterministic PVs, or means over
    scenarios); with scenarios, :meth:`ValuationResult.summary` (``n``, ``mean``,
    ``std``, ``min``, ``max``, percentiles, CTEs, ``pv_net_cf_ce``, ``tvog``,
    ``guarantee_cost``); for a preview, ``ci95_low``, ``ci95_high`` and
    ``std_error`` of the estimated ``pv_net_cf``.
    """
    names = list(result.totals)
    values: list[float | None] = [float(v) for v in result.totals.values()]
    if result.statistics is not None:
        summary = result.summary()
        names += summary["statistic"].to_list()
        values += summary["value"].to_list()
    if is_preview(result):
        names += ["ci95_low", "ci95_high", "std_error"]
        values += [float(result.ci95[0]), float(result.ci95[1]), float(result.std_error)]
    return pl.DataFrame({"statistic": names, "value": values}, schema={"statistic": pl.String, "value": pl.Float64})


def tables(result: Any) -> dict[str, pl.DataFrame]:
    """The tables ``result`` holds, by name, in :data:`TABLES` order (absent ones left out)."""
    out = {"statistics": statistics_table(result)}
    for name in ("per_policy", "per_scenario", "cashflows"):
        frame = getattr(result, name)
        if frame is not None:
            out[name] = frame
    if result.comparison is not None:
        out["comparison"] = result.comparison.table
    return out


def default_table(result: Any) -> str:
    """The table a single-table export writes by default: per-policy, else per-scenario, else statistics."""
    for name in ("per_policy", "per_scenario"):
        if getattr(result, name) is not None:
            return name
    return "statistics"
