"""Time value of options and guarantees (TVOG), under both names in use.

Two quantities go by "TVOG"; LiveCalc Lab reports both and names them apart
(DESIGN.md §3):

``tvog``
    PV of net cashflows on the deterministic certainty-equivalent (CE)
    scenario minus the mean PV over the stochastic scenarios::

        TVOG = pv_net_cf(CE) - mean_s pv_net_cf(s)

    ``pv_net_cf`` is a profit, so options and guarantees that bite in bad
    scenarios make the stochastic mean lower than the CE value and TVOG
    positive. It captures every asymmetry between the two valuations:
    guarantees, dynamic lapse, any path dependence.

``guarantee_cost``
    The mean over stochastic scenarios of the PV of benefits paid above the
    account value: for the savings product, death benefits
    ``max(av, guaranteed minimum) - av`` and maturity benefits
    ``max(av, maturity guarantee) - av``, discounted per scenario. This is the
    quantity lifelib's savings notebooks call "TVOG". It is a cost, positive
    when the guarantee is ever in the money, and ignores effects such as
    dynamic lapse that are not a guarantee payout.

Both means are ``math.fsum(values) / n`` like
:func:`~livecalc_lab.stats.summary.summarise`, so
``tvog(ce, x) == ce - summarise(x).mean`` bit for bit.

>>> tvog(100.0, [90.0, 100.0, 104.0])
2.0
>>> guarantee_cost([0.0, 12.0, 3.0])
5.0
"""

from __future__ import annotations

import math
from typing import Any

from livecalc_lab.errors import StatsError
from livecalc_lab.stats._exact import clean, fsum

__all__ = ["guarantee_cost", "tvog"]


def tvog(pv_ce: float, per_scenario: Any) -> float:
    """TVOG as PV on the certainty-equivalent scenario minus the mean stochastic PV.

    Parameters
    ----------
    pv_ce : float
        ``pv_net_cf`` of the portfolio on the certainty-equivalent scenario.
    per_scenario : array_like, shape (n_scenarios,), float64
        ``pv_net_cf`` per stochastic scenario (the CE scenario excluded).

    Returns
    -------
    float
        ``pv_ce - math.fsum(per_scenario) / n_scenarios``.

    Raises
    ------
    StatsError
        If ``per_scenario`` is empty, not 1-D or not finite, or ``pv_ce`` is
        not finite.

    See Also
    --------
    guarantee_cost : the mean guarantee payout, lifelib's "TVOG".

    Examples
    --------
    >>> tvog(1_000.0, [950.0, 1_010.0, 960.0, 1_000.0])
    20.0
    """
    ce = float(pv_ce)
    if not math.isfinite(ce):
        raise StatsError(f"pv_ce {ce!r} is not finite")
    x = clean(per_scenario, what="per_scenario")
    return ce - fsum(x) / x.size


def guarantee_cost(per_scenario: Any) -> float:
    """Mean guarantee cost: mean over scenarios of the PV of benefits paid above the account value.

    This is what lifelib's savings notebooks report as "TVOG".

    Parameters
    ----------
    per_scenario : array_like, shape (n_scenarios,), float64
        Per stochastic scenario, the PV of death and maturity benefits in
        excess of the account value (normally >= 0; not checked, since a PV
        built as a difference of two PVs may round to a tiny negative).

    Returns
    -------
    float
        ``math.fsum(per_scenario) / n_scenarios``.

    Raises
    ------
    StatsError
        If ``per_scenario`` is empty, not 1-D or not finite.

    See Also
    --------
    tvog : certainty-equivalent PV minus the mean stochastic PV.

    Examples
    --------
    >>> guarantee_cost([0.0, 0.0, 30.0, 10.0])
    10.0
    """
    x = clean(per_scenario, what="per_scenario")
    return fsum(x) / x.size
