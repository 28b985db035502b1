"""How the widgets write numbers: amounts as 1.21M, shares as 2.0%, counts as 10K.

Formatting happens in the kernel, once, so every widget (and every front end)
shows the same text; the front ends receive the text beside the raw value.
"""

from __future__ import annotations

import math

__all__ = ["amount", "count", "percent", "signed_percent", "seconds"]

_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def amount(x: float | None, digits: int = 3) -> str:
    """A money amount with ``digits`` significant digits and a K/M/B/T suffix: ``1.21M``, ``-845K``, ``12.5``.

    None and NaN give an em dash.
    """
    if x is None or not math.isfinite(x):
        return "—" if x is None or math.isnan(x) else ("∞" if x > 0 else "-∞")
    for div, unit in _UNITS:
        if abs(x) >= div * 0.9995:
            return _significant(x / div, digits) + unit
    return _significant(x, digits)


def _significant(v: float, digits: int) -> str:
    if v == 0:
        return "0"
    v = float(f"{v:.{digits}g}")  # round first: 0.99996 is 1.00, not 1.000
    decimals = max(digits - 1 - int(math.floor(math.log10(abs(v)))), 0)
    return f"{v:.{decimals}f}"


def count(n: float) -> str:
    """A count of things: ``10K``, ``2M``, ``1.34M``, ``950``."""
    if n < 1000:
        return f"{n:,.0f}"
    text = amount(float(n), 3)
    return text.replace(".00", "").replace(".0K", "K").replace(".0M", "M") if "." in text else text


def percent(share: float, decimals: int = 1) -> str:
    """A share as a percentage: ``0.0198`` → ``2.0%``."""
    return "—" if not math.isfinite(share) else f"{100 * share:.{decimals}f}%"


def signed_percent(share: float, decimals: int = 1) -> str:
    """A change as a signed percentage: ``+1.2%``, ``-0.4%``, ``±0.0%``."""
    if not math.isfinite(share):
        return "—"
    text = f"{100 * abs(share):.{decimals}f}%"
    if float(text[:-1]) == 0:
        return "±" + text
    return ("+" if share > 0 else "-") + text


def seconds(s: float | None) -> str:
    """A duration: ``0.12 s``, ``12 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if s is None or not math.isfinite(s):
        return "—"
    if s < 10:
        return f"{s:.2f} s" if s < 1 else f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"
