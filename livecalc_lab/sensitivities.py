"""Sensitivities: a base valuation and shocked ones in one call, as a table of changes.

A shock is written ``name=factor`` (or built with :class:`Shock`):

==============  ==================================================================
``mortality``   multiply annual ``qx`` (capped at 1)
``lapse``       multiply annual lapse rates (capped at 1)
``expenses``    multiply acquisition and maintenance expenses
``interest``    add to every annual zero-spot rate (``interest=0.01`` is +100 bp)
``sigma``       multiply the Hull–White short-rate volatility (``sigma=1.2``: +20%)
``fund_sigma``  multiply the fund volatility
==============  ==================================================================

Work that a shock does not change is shared: the policies are read and checked
once, and the scenarios are generated once for every shock that leaves the
curve and the scenario spec alone.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.errors import AssumptionError, plain
from livecalc_lab.model.scenarios import ScenarioSpec

__all__ = ["Shock", "parse_shock", "sensitivities", "SHOCK_KINDS"]

SHOCK_KINDS = ("mortality", "lapse", "expenses", "interest", "sigma", "fund_sigma")
SCENARIO_SHOCKS = ("sigma", "fund_sigma")


@dataclass(frozen=True)
class Shock:
    """One shock: ``kind`` (see the module table) and ``value`` (a factor, or a shift for ``interest``)."""

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in SHOCK_KINDS:
            raise AssumptionError(f"unknown shock {self.kind!r}; known: {', '.join(SHOCK_KINDS)}")
        if not math.isfinite(self.value) or (self.kind != "interest" and self.value < 0):
            raise AssumptionError(f"shock {self.kind}: {plain(self.value)!r} is not a valid "
                                  f"{'shift' if self.kind == 'interest' else 'non-negative factor'}")

    @property
    def label(self) -> str:
        """``"mortality=1.1"``."""
        return f"{self.kind}={self.value:g}"


def parse_shock(text: str | Shock) -> Shock:
    """``"mortality=1.1"`` → ``Shock("mortality", 1.1)``.

    Raises
    ------
    AssumptionError
        Not ``name=number``, an unknown name, or a negative factor.
    """
    if isinstance(text, Shock):
        return text
    name, sep, value = str(text).partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not math.isfinite(number):
        raise AssumptionError(f"shock {text!r} is not name=number (e.g. mortality=1.1, interest=0.01)")
    return Shock(name.strip(), number)


def shocked_basis(basis: Any, shock: Shock) -> Any:
    """The product basis with ``shock`` applied (scenario shocks leave it unchanged)."""
    if shock.kind == "mortality":
        if getattr(basis, "mort_qx", None) is None:
            return basis
        return replace(basis, mort_qx=np.minimum(basis.mort_qx * shock.value, 1.0))
    if shock.kind == "lapse":
        if getattr(basis, "lapse_ann", None) is None:
            return basis
        return replace(basis, lapse_ann=np.minimum(basis.lapse_ann * shock.value, 1.0))
    if shock.kind == "expenses":
        return replace(basis, acquisition=basis.acquisition * shock.value,
                       maintenance_ann=basis.maintenance_ann * shock.value)
    if shock.kind == "interest":
        return replace(basis, disc_zero_ann=basis.disc_zero_ann + shock.value)
    return basis


def shocked_spec(spec: Any, shock: Shock) -> Any:
    """The scenario spec with a volatility shock applied."""
    if shock.kind not in SCENARIO_SHOCKS or not isinstance(spec, ScenarioSpec):
        return spec
    return replace(spec, **{shock.kind: getattr(spec, shock.kind) * shock.value})


def shocked_version(version: str, shock: Shock) -> str:
    """Version of a shocked assumption set: sha256 of the base version and the shock label."""
    return "sha256:" + hashlib.sha256(f"{version}\nshock {shock.label}".encode()).hexdigest()


def sensitivities(policies: Any = None, assumptions: Any = None, product: str = "basic_term_s", *,
                  shocks: list[str | Shock], scenarios: Any = None, threads: int = 1) -> pl.DataFrame:
    """Value a base and shocked assumption sets; return each statistic's change.

    Parameters
    ----------
    policies, assumptions, product, scenarios, threads
        As for :func:`livecalc_lab.run`.
    shocks : list of str or Shock
        E.g. ``["mortality=1.1", "lapse=0.8", "sigma=1.2"]``. ``sigma`` and
        ``fund_sigma`` need ``scenarios`` given as a spec (``lc.hull_white(...)``).

    Returns
    -------
    polars.DataFrame
        One row per (shock, statistic): ``shock``, ``statistic``, ``base``,
        ``shocked``, ``change`` (shocked − base) and ``change_pct`` (relative, in
        %; null when the base is 0). Statistics: ``pv_net_cf`` and, with
        scenarios, the summary of the per-scenario ``pv_net_cf`` plus ``tvog``.

    Raises
    ------
    AssumptionError
        A malformed shock, or a volatility shock without a scenario spec.
    """
    from livecalc_lab import valuation

    parsed = [parse_shock(s) for s in shocks]
    if not parsed:
        raise AssumptionError("sensitivities need at least one shock")
    for s in parsed:
        if s.kind in SCENARIO_SHOCKS and not isinstance(scenarios, ScenarioSpec):
            raise AssumptionError(f"shock {s.label} needs scenarios given as a spec (lc.hull_white(...))")
    session = valuation.Session(policies, assumptions, product, threads=threads)
    base = session.value(scenarios=scenarios)
    rows = []
    base_stats = _statistics(base)
    for s in parsed:
        res = session.value(basis=shocked_basis(session.basis, s), scenarios=shocked_spec(scenarios, s),
                            assumptions_version=shocked_version(session.aset.version, s),
                            reuse_scenarios=s.kind not in SCENARIO_SHOCKS + ("interest",))
        for stat, value in _statistics(res).items():
            b = base_stats[stat]
            rows.append({"shock": s.label, "statistic": stat, "base": b, "shocked": value, "change": value - b,
                         "change_pct": (value - b) / abs(b) * 100.0 if b else None})
    return pl.DataFrame(rows, schema={"shock": pl.String, "statistic": pl.String, "base": pl.Float64,
                                      "shocked": pl.Float64, "change": pl.Float64, "change_pct": pl.Float64})


def _statistics(result: Any) -> dict[str, float]:
    frame = result.summary()
    return {s: v for s, v in zip(frame["statistic"].to_list(), frame["value"].to_list()) if s != "n"}
