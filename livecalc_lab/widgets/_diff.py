"""What changed between two assumption sets: parameters and table cells (the editor's diff box).

One small function, :func:`diff_sets`, so that the versioned store's own diff
(``livecalc_lab.assumptions.diff``, when it exists) can replace it in one place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["diff_sets", "flatten"]


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a manifest by dotted path (lists count as leaves): ``{"products.x.lapse.multiplier": 1.0}``."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out |= flatten(v, f"{prefix}{k}.")
        return out
    return {prefix[:-1]: node}


def diff_sets(saved: Any, current: Any) -> dict[str, Any]:
    """The parameters and table cells of ``current`` that differ from ``saved``.

    Parameters
    ----------
    saved, current : AssumptionSet

    Returns
    -------
    dict
        ``parameters``: ``[[path, saved value, current value], ...]`` (paths in
        either manifest, missing values as None); ``tables``: ``[[name, cells
        changed, cells], ...]`` for tables whose content differs (a change of
        shape or columns counts every cell); ``cells``: ``{name: [[row, column
        name], ...]}`` of the changed cells of same-shaped tables.
    """
    a, b = flatten(saved.manifest), flatten(current.manifest)
    params = [[k, a.get(k), b.get(k)] for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    tables, cells = [], {}
    for name in sorted(set(saved.tables) | set(current.tables)):
        fa = saved.tables[name].frame if name in saved.tables else None
        fb = current.tables[name].frame if name in current.tables else None
        if fa is not None and fb is not None and fa.columns == fb.columns and fa.shape == fb.shape:
            where: list[list[Any]] = []
            for col in fa.columns:
                x, y = fa[col].to_numpy(), fb[col].to_numpy()
                rows = np.flatnonzero(x != y) if x.dtype.kind in "fiu" and y.dtype.kind in "fiu" else \
                    [i for i, (p, q) in enumerate(zip(x, y)) if p != q]
                where += [[int(r), col] for r in rows]
            if where:
                tables.append([name, len(where), fb.shape[0] * fb.shape[1]])
                cells[name] = where
        elif fa is None or fb is None or not fa.equals(fb):
            n = (fb if fb is not None else fa).shape
            tables.append([name, n[0] * n[1], n[0] * n[1]])
    return {"parameters": params, "tables": tables, "cells": cells}
