"""Error messages quote values as the user wrote them: numpy scalars as plain numbers, not their numpy 2 repr."""

from __future__ import annotations

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab.errors import plain


def test_plain_unwraps_numpy_scalars_only():
    assert [repr(plain(v)) for v in (np.float64(1.1), np.int64(5), np.str_("M"), np.bool_(True))] == \
        ["1.1", "5", "'M'", "True"]
    arr = np.array([1.0, 2.0])
    assert plain(arr) is arr and plain("1.1") == "1.1" and plain(None) is None


def test_stats_and_shock_messages_quote_numpy_values_plainly():
    from livecalc_lab.sensitivities import Shock
    from livecalc_lab.stats import Moments, tvog
    from livecalc_lab.stats._exact import cte_fraction, percentile_fraction

    cases = [
        (lambda: percentile_fraction(np.float64(100.5)), r"percentile 100\.5 is outside"),
        (lambda: cte_fraction(np.int64(100)), r"CTE level 100 is outside"),
        (lambda: percentile_fraction(np.float64("nan")), r"percentile nan is not finite"),
        (lambda: tvog(np.float64("inf"), [1.0]), r"pv_ce inf is not finite"),
        (lambda: Moments(count=2, mean=1.0, m2=np.float64(-0.5), min=0.0, max=2.0), r"m2 -0\.5 is negative"),
        (lambda: Shock("mortality", np.float64(-0.5)), r"shock mortality: -0\.5 is not a valid"),
    ]
    for call, message in cases:
        with pytest.raises(lc.LivecalcError, match=message) as info:
            call()
        assert "np." not in str(info.value)
