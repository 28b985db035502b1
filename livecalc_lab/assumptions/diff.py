"""What changed between two assumption sets: parameters, and tables cell by cell.

>>> import livecalc_lab as lc
>>> base = lc.demo_assumptions()
>>> mort = base.tables["mortality"].frame
>>> edited = base.with_changes(
...     {"products.basic_term_s.lapse.multiplier": 0.8},
...     tables={"mortality": mort.with_columns(mort["5"].scatter(12, 0.0006))})
>>> d = lc.assumptions.diff(base, edited)
>>> [(p.path, p.old, p.new) for p in d.parameters]
[('products.basic_term_s.lapse.multiplier', 1.0, 0.8)]
>>> t = d.tables[0]
>>> t.name, t.n_cells, t.cells[0].key, t.cells[0].column, t.cells[0].new
('mortality', 1, {'Age': 30}, '5', 0.0006)

Rows are matched by the table's key columns (attained age and any sex/smoker
columns of a mortality table, the year of a curve, entry age and term of a
premium table, the policy year of a lapse table, the duration of a
surrender-charge table, the spec id of a product-spec table), so an inserted
row shows as one added row, not as every later row changed. Cells compare as the
version hashes them (``0.0`` and ``-0.0`` differ), so two sets differ in
:func:`diff` exactly when their versions differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from livecalc_lab.assumptions.assumption_set import _format_value

__all__ = ["diff", "AssumptionsDiff", "TableChange", "CellChange", "ParameterChange", "FIRST_CELLS"]

FIRST_CELLS = 5  # cells listed per table; every changed cell is counted


@dataclass(frozen=True)
class ParameterChange:
    """One manifest value that changed, appeared or disappeared.

    Attributes
    ----------
    path : str
        Dotted manifest path, list items as ``[i]``: ``products.basic_term_s.lapse.multiplier``,
        ``products.basic_term_s.commission.rates_by_policy_year[0]``, ``tables.mortality.description``.
    old, new : Any
        The values (None for a value that was added or removed).
    kind : {"changed", "added", "removed"}
    """

    path: str
    old: Any
    new: Any
    kind: str = "changed"


@dataclass(frozen=True)
class CellChange:
    """One table cell whose value changed.

    Attributes
    ----------
    key : dict
        The row's key columns and values, e.g. ``{"Age": 30}`` (``{"row": i}`` when
        the table has no key columns).
    row : int
        1-based data row in the new table.
    column : str
    old, new : Any
    rel_change : float or None
        ``|new - old| / |old|`` for numbers (``inf`` when ``old`` is 0), None for text.
    """

    key: dict[str, Any]
    row: int
    column: str
    old: Any
    new: Any
    rel_change: float | None


@dataclass(frozen=True)
class TableChange:
    """How one table changed.

    Attributes
    ----------
    name : str
    kind : {"changed", "added", "removed"}
    n_cells : int
        Cells that changed in rows and columns both tables have.
    max_rel_change : float or None
        The largest :attr:`CellChange.rel_change` (None when no number changed).
    cells : tuple of CellChange
        The first :data:`FIRST_CELLS` changed cells, in row order.
    rows_added, rows_removed : int
    columns_added, columns_removed : tuple of str
    key_columns : tuple of str
        The columns rows were matched by (empty: by position).
    reordered : bool
        The rows both tables have are in another order.
    """

    name: str
    kind: str
    n_cells: int = 0
    max_rel_change: float | None = None
    cells: tuple[CellChange, ...] = ()
    rows_added: int = 0
    rows_removed: int = 0
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    key_columns: tuple[str, ...] = field(default=(), repr=False)
    reordered: bool = False


class AssumptionsDiff:
    """The changes from one set (``old``) to another (``new``); true when there are any.

    Attributes
    ----------
    old_version, new_version : str
    parameters : tuple of ParameterChange
        Manifest changes outside added or removed tables, in manifest order.
    tables : tuple of TableChange
        Tables that changed, were added or removed, in name order.
    """

    def __init__(self, old_version: str, new_version: str, parameters: list[ParameterChange],
                 tables: list[TableChange]):
        self.old_version = old_version
        self.new_version = new_version
        self.parameters = tuple(parameters)
        self.tables = tuple(tables)

    def __bool__(self) -> bool:
        return bool(self.parameters or self.tables)

    def __repr__(self) -> str:
        return (f"AssumptionsDiff({self.old_version[:15]}... -> {self.new_version[:15]}..., "
                f"{len(self.parameters)} parameter(s), {len(self.tables)} table(s))")

    def __str__(self) -> str:
        lines = [f"{self.old_version[:15]}... -> {self.new_version[:15]}..."]
        if not self:
            return lines[0] + ": no changes"
        if self.parameters:
            lines.append(f"parameters: {len(self.parameters)} change(s)")
            for p in self.parameters:
                lines.append(f"  {p.path}: " + {"added": f"added {p.new!r}", "removed": f"removed (was {p.old!r})"}
                             .get(p.kind, f"{p.old!r} -> {p.new!r}"))
        if self.tables:
            lines.append(f"tables: {len(self.tables)} change(s)")
            for t in self.tables:
                lines.append(f"  {t.name}: {_table_line(t)}")
                for c in t.cells:
                    key = ", ".join(f"{k}={v}" for k, v in c.key.items())
                    sign = "-" if c.rel_change is not None and c.new < c.old else "+"
                    rel = "" if c.rel_change is None else f" ({sign}{_percent(c.rel_change)})"
                    lines.append(f"    {key}, column {c.column!r}: {c.old!r} -> {c.new!r}{rel}")
                if t.n_cells > len(t.cells):
                    lines.append(f"    ... {t.n_cells - len(t.cells):,} more cell(s)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (camelCase, as the widgets and the service use); ``inf`` written as ``"inf"``."""

        def num(x: float | None) -> Any:
            return "inf" if x is not None and math.isinf(x) else x

        return {
            "oldVersion": self.old_version,
            "newVersion": self.new_version,
            "parameters": [{"path": p.path, "old": p.old, "new": p.new, "kind": p.kind} for p in self.parameters],
            "tables": [{
                "name": t.name, "kind": t.kind, "nCells": t.n_cells, "maxRelChange": num(t.max_rel_change),
                "rowsAdded": t.rows_added, "rowsRemoved": t.rows_removed, "columnsAdded": list(t.columns_added),
                "columnsRemoved": list(t.columns_removed), "keyColumns": list(t.key_columns), "reordered": t.reordered,
                "cells": [{"key": c.key, "row": c.row, "column": c.column, "old": c.old, "new": c.new,
                           "relChange": num(c.rel_change)} for c in t.cells],
            } for t in self.tables],
        }


def _percent(x: float) -> str:
    return "from zero" if math.isinf(x) else f"{x:.2%}"


def _table_line(t: TableChange) -> str:
    if t.kind != "changed":
        return t.kind
    parts = []
    if t.n_cells:
        rel = "" if t.max_rel_change is None else f", max relative change {_percent(t.max_rel_change)}"
        parts.append(f"{t.n_cells:,} cell(s) changed{rel}")
    for n, what in ((t.rows_added, "row(s) added"), (t.rows_removed, "row(s) removed")):
        if n:
            parts.append(f"{n:,} {what}")
    for cols, what in ((t.columns_added, "column(s) added"), (t.columns_removed, "column(s) removed")):
        if cols:
            parts.append(f"{what}: {', '.join(cols)}")
    if t.reordered:
        parts.append("rows reordered")
    return "; ".join(parts) or "column types changed"


def diff(old: Any, new: Any) -> AssumptionsDiff:
    """The changes from ``old`` to ``new``.

    Parameters
    ----------
    old, new : AssumptionSet, str or pathlib.Path
        Sets, folders, or references ``assumptions://NAME:VERSION`` (``:latest``, ``:draft``).

    Returns
    -------
    AssumptionsDiff
        Empty (false) exactly when the two versions are equal.

    Raises
    ------
    AssumptionError
        A folder or reference that does not give a valid set.
    """
    from livecalc_lab.assumptions.store import as_assumption_set

    a, b = as_assumption_set(old), as_assumption_set(new)
    params: list[ParameterChange] = []
    ta, tb = a.manifest.get("tables", {}), b.manifest.get("tables", {})
    both = [n for n in ta if n in tb]
    _walk({k: v for k, v in a.manifest.items() if k != "tables"},
          {k: v for k, v in b.manifest.items() if k != "tables"}, "", params)
    for name in both:
        _walk(ta[name], tb[name], f"tables.{name}", params)
    tables = [TableChange(n, "removed") for n in ta if n not in tb] + [TableChange(n, "added") for n in tb if n not in ta]
    for name in both:
        change = _table_change(name, a.tables[name], b.tables[name])
        if change is not None:
            tables.append(change)
    return AssumptionsDiff(a.version, b.version, params, sorted(tables, key=lambda t: t.name))


def _same(x: Any, y: Any) -> bool:
    """Equal as the version hashes them (numbers as floats in the manifest: 300 == 300.0)."""
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
    if num(x) and num(y):
        return repr(float(x)) == repr(float(y))
    return type(x) is type(y) and x == y


def _walk(a: Any, b: Any, path: str, out: list[ParameterChange]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in [*a, *(k for k in b if k not in a)]:
            p = f"{path}.{k}" if path else str(k)
            if k not in b:
                out.append(ParameterChange(p, a[k], None, "removed"))
            elif k not in a:
                out.append(ParameterChange(p, None, b[k], "added"))
            else:
                _walk(a[k], b[k], p, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{path}[{i}]", out)
    elif not _same(a, b):
        out.append(ParameterChange(path, a, b))


def _key_columns(spec: dict[str, Any]) -> list[str]:
    """The columns that identify a row of a table of this type (module docstring)."""
    kind = spec.get("type")
    if kind == "select_ultimate":
        return [*spec.get("key_columns", []), spec.get("age_column", "age")]
    if kind == "zero_spot":
        return [spec.get("year_column", "year")]
    if kind == "premium_rate":
        return list(spec.get("key_columns", ["age_at_entry", "policy_term"]))
    if kind == "lapse":
        return ["policy_year"]
    if kind == "surrender_charge":
        return [spec.get("duration_column", "duration")]
    if kind == "product_spec":
        return ["spec_id"]
    return []


def _rows(frame: pl.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], tuple[int, dict[str, Any]]]:
    out = {}
    for i, row in enumerate(frame.iter_rows(named=True)):
        out[tuple(row[k] for k in keys) if keys else (i + 1,)] = (i + 1, row)
    return out


def _rel(old: Any, new: Any) -> float | None:
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
    if not (num(old) and num(new)):
        return None
    if old == 0:
        return 0.0 if new == 0 else math.inf
    return abs(new - old) / abs(old)


def _table_change(name: str, ta: Any, tb: Any) -> TableChange | None:
    fa, fb = ta.frame, tb.frame
    keys = _key_columns(tb.spec) if ta.spec.get("type") == tb.spec.get("type") else []
    if not all(k in fa.columns and k in fb.columns for k in keys) or \
            any(f.select(keys).is_duplicated().any() for f in (fa, fb) if keys):
        keys = []
    ra, rb = _rows(fa, keys), _rows(fb, keys)
    value_cols = [c for c in fb.columns if c in fa.columns and c not in keys]
    cells: list[CellChange] = []
    n, max_rel = 0, None
    for key, (row, new_row) in rb.items():
        if key not in ra:
            continue
        old_row = ra[key][1]
        for c in value_cols:
            old, new = old_row[c], new_row[c]
            if _format_value(old) == _format_value(new) and type(old) is type(new):
                continue
            n += 1
            rel = _rel(old, new)
            if rel is not None:
                max_rel = rel if max_rel is None else max(max_rel, rel)
            if len(cells) < FIRST_CELLS:
                key_dict = dict(zip(keys, key)) if keys else {"row": row}
                cells.append(CellChange(key_dict, row, c, old, new, rel))
    added = sum(1 for k in rb if k not in ra)
    removed = sum(1 for k in ra if k not in rb)
    cols_added = tuple(c for c in fb.columns if c not in fa.columns)
    cols_removed = tuple(c for c in fa.columns if c not in fb.columns)
    reordered = [k for k in ra if k in rb] != [k for k in rb if k in ra]
    if not (n or added or removed or cols_added or cols_removed or reordered) and list(fa.columns) == list(fb.columns) \
            and fa.dtypes == fb.dtypes:
        return None
    return TableChange(name, "changed", n, max_rel, tuple(cells), added, removed, cols_added, cols_removed, tuple(keys),
                       reordered)
