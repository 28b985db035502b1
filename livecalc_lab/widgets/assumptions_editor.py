"""AssumptionsEditor: edit an assumption set and its scenario spec, see the diff, save a new version.

::

    editor = AssumptionsEditor(lc.demo_assumptions(), lc.hull_white(n=1000), product="basic_term_s")
    editor.edit("products.basic_term_s.lapse.multiplier", "0.8")   # what typing in the field does
    editor.assumptions            # the edited AssumptionSet (a new content version)
    editor.scenarios              # the edited ScenarioSpec
    editor.save_version()         # writes it as a folder; it becomes the saved version

What can be edited is read from the product's manifest entry: every number in
it (loadings, expense amounts, inflation, lapse and mortality parameters and
multipliers, …) is a field with its unit, keyed by its dotted manifest path
(``products.<product>.expenses.acquisition``); the scenario spec adds
Hull–White ``a`` and ``sigma``, the fund's volatility and excess return, the
scenario count and the seed. Tables the product uses (mortality, a lapse table)
are edited cell by cell in a grid.

Every value is parsed strictly and then checked by
:meth:`AssumptionSet.with_changes` (or :class:`ScenarioSpec`): an invalid
value is shown beside its field and never reaches :attr:`assumptions` — so it
never reaches a preview. Each valid change replaces :attr:`assumptions` (or
:attr:`scenarios`), which the workbench observes to request a preview.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import traitlets

from livecalc_lab.errors import AssumptionError
from livecalc_lab.widgets import _transport
from livecalc_lab.widgets._assets import esm
from livecalc_lab.widgets._base import LivecalcWidget
from livecalc_lab.widgets._diff import diff_sets

__all__ = ["AssumptionsEditor", "Field", "parameter_fields", "SCENARIO_FIELDS", "parse_value"]

# Units of the manifest's parameters by name (module docstring of livecalc_lab.assumptions.assumption_set).
UNITS = {
    "multiplier": "× table rates", "initial": "annual rate", "slope": "per policy year", "floor": "annual rate",
    "loading": "share of premium", "round_decimals": "decimals", "acquisition": "per policy",
    "maintenance_ann": "per policy per year", "inflation_ann": "per year", "rate": "share of premium",
    "maint_fee_rate_mth": "of account value per month", "coi_rate": "share", "maturity_benefit": "× sum assured",
    "whole_life_last_age": "age", "c0": "lapse factor", "c1": "per unit CSV / SA", "min": "lapse factor",
    "max": "lapse factor",
}
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INT = re.compile(r"^[+-]?\d+$")
TABLE_TYPES = ("select_ultimate", "lapse")  # the tables edited in the grid


@dataclass(frozen=True)
class Field:
    """One editable value.

    Attributes
    ----------
    id : str
        Dotted manifest path (``products.basic_term_s.lapse.multiplier``) or ``scenarios.<name>``.
    group : str
        Heading it is shown under (``lapse``, ``expenses``, ``scenarios``, …).
    label : str
    unit : str
    kind : {"float", "int"}
    """

    id: str
    group: str
    label: str
    unit: str
    kind: str


SCENARIO_FIELDS = (
    Field("scenarios.a", "scenarios (Hull–White)", "a, mean reversion", "per year", "float"),
    Field("scenarios.sigma", "scenarios (Hull–White)", "σ, short-rate volatility", "per √year", "float"),
    Field("scenarios.fund_sigma", "scenarios (Hull–White)", "fund volatility", "per √year", "float"),
    Field("scenarios.fund_excess", "scenarios (Hull–White)", "fund excess return", "per year", "float"),
    Field("scenarios.n", "scenarios (Hull–White)", "scenario count", "scenarios", "int"),
    Field("scenarios.seed", "scenarios (Hull–White)", "seed", "", "int"),
)


def parameter_fields(aset: Any, product: str) -> list[Field]:
    """The numbers of ``product``'s manifest entry as fields (lists and text are not edited here).

    Raises
    ------
    AssumptionError
        Unknown product.
    """
    spec = aset._product_spec(product)
    out: list[Field] = []

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for key, value in node.items():
            if key == "description":
                continue
            if isinstance(value, dict):
                walk(value, [*path, key])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                group = path[0] if path else "product"
                label = " ".join([*path[1:], key]) if path else key
                out.append(Field(".".join(["products", product, *path, key]), group, label.replace("_", " "),
                                 UNITS.get(key, ""), "int" if isinstance(value, int) else "float"))

    walk(spec, [])
    return out


def parse_value(text: Any, kind: str) -> float | int:
    """A field's text as a number: strict decimal (``1.25``, ``-3e-2``), integers for ``kind="int"``.

    Raises
    ------
    ValueError
        Empty text, anything else than a plain number, NaN or infinity.
    """
    s = str(text).strip()
    if kind == "int":
        if not _INT.match(s):
            raise ValueError(f"{text!r} is not a whole number")
        return int(s)
    if not _FLOAT.match(s) or not math.isfinite(float(s)):
        raise ValueError(f"{text!r} is not a number")
    return float(s)


def _text(v: Any) -> str:
    return repr(v) if isinstance(v, float) else str(v)


class AssumptionsEditor(LivecalcWidget):
    """Edit an assumption set (parameters and tables) and a scenario spec in place.

    Parameters
    ----------
    assumptions : AssumptionSet, str or None
        The saved version edits start from (None: the bundled set).
    scenarios : ScenarioSpec or None
        None: no scenario fields (deterministic previews).
    product : str
        Whose parameters are shown.

    Attributes
    ----------
    assumptions : AssumptionSet
        The current, valid edit (observable: ``editor.observe(f, "assumptions")``).
    scenarios : ScenarioSpec or None
        Likewise for the scenario spec.
    saved : AssumptionSet
        The version edits are compared with (the last one saved).
    errors : dict
        Field id (or ``table:<name>:<row>:<column>``) to the message of its invalid value.
    seq : int
        Number of the latest edit from the front end (the page numbers edits in the order typed).
    link : str
        Id of the page-level channel the front end also sends its field values on, to a browser
        preview of the same workbench (empty: none).
    """

    _esm = esm("assumptions_editor")

    fields = traitlets.List().tag(sync=True)
    errors = traitlets.Dict().tag(sync=True)
    tables = traitlets.List().tag(sync=True)
    diff = traitlets.Dict().tag(sync=True)
    version = traitlets.Unicode("").tag(sync=True)
    link = traitlets.Unicode("").tag(sync=True)
    assumptions = traitlets.Any()
    scenarios = traitlets.Any(None, allow_none=True)

    def __init__(self, assumptions: Any = None, scenarios: Any = None, product: str = "basic_term_s"):
        super().__init__()
        from livecalc_lab.valuation import resolve_assumptions

        self.product = product
        self.seq = 0
        self.saved = resolve_assumptions(assumptions)
        self.saved_scenarios = scenarios
        self._fields = {f.id: f for f in parameter_fields(self.saved, product)}
        if scenarios is not None:
            self._fields |= {f.id: f for f in SCENARIO_FIELDS}
        self._params: dict[str, Any] = {}
        self._scen: dict[str, Any] = {}
        self._tables: dict[str, Any] = {}
        self.assumptions = self.saved
        self.scenarios = scenarios
        self.tables = self._table_list()
        self._publish()

    # ---- the Python API (what the front end's edits call) -------------------------------------------

    def edit(self, field_id: str, text: Any) -> str | None:
        """Set field ``field_id`` from ``text`` (a string as typed, or a number).

        Returns
        -------
        str or None
            The message shown beside the field when the value is invalid (the
            current assumption set and scenario spec are then unchanged), else None.

        Raises
        ------
        KeyError
            No such field.
        """
        f = self._fields[field_id]
        try:
            value = parse_value(text, f.kind)
            if field_id.startswith("scenarios."):
                self._apply_scenarios({**self._scen, field_id.split(".", 1)[1]: value})
            else:
                self._apply({**self._params, field_id: value}, self._tables)
        except (ValueError, AssumptionError) as exc:
            self.errors = {**self.errors, field_id: _short(str(exc))}
            return self.errors[field_id]
        self.errors = {k: v for k, v in self.errors.items() if k != field_id}
        self._publish()
        return None

    def edit_cell(self, table: str, row: int, column: str, text: Any) -> str | None:
        """Set one cell of table ``table`` (0-based ``row``, column name) from ``text``; as :meth:`edit`."""
        key = f"table:{table}:{row}:{column}"
        frame = self._tables.get(table, self.saved.tables[table].frame) if table in self.saved.tables else None
        try:
            if frame is None or column not in self._editable_columns(table) or not 0 <= int(row) < frame.height:
                raise ValueError(f"table {table!r} has no editable cell at row {row}, column {column!r}")
            value = parse_value(text, "float")
            values = frame[column].to_numpy().copy()
            values[int(row)] = value
            edited = frame.with_columns(pl.Series(column, values, dtype=pl.Float64))
            self._apply(self._params, {**self._tables, table: edited})
        except (ValueError, AssumptionError) as exc:
            self.errors = {**self.errors, key: _short(str(exc))}
            return self.errors[key]
        self.errors = {k: v for k, v in self.errors.items() if k != key}
        self._publish()
        return None

    def revert(self) -> None:
        """Drop every edit: back to the saved version."""
        self._params, self._scen, self._tables = {}, {}, {}
        self.errors = {}
        self.assumptions = self.saved
        self.scenarios = self.saved_scenarios
        self._publish()

    def save_version(self, folder: str | Path | None = None) -> Path:
        """Write the current set as a new content-hashed version; it becomes :attr:`saved`.

        Parameters
        ----------
        folder : path, optional
            Where (an empty or new folder). Default: ``$LIVECALC_HOME/assumptions/<hash>``
            (see :mod:`livecalc_lab.widgets._saving`).

        Returns
        -------
        pathlib.Path
            The folder holding the saved set.
        """
        from livecalc_lab.assumptions import load_assumptions
        from livecalc_lab.widgets._saving import saved_copy

        current = self.assumptions
        if folder is not None:
            current.save(folder)
            saved = load_assumptions(folder)
        else:
            saved = saved_copy(current)
        self.saved = saved
        self.saved_scenarios = self.scenarios
        self._params, self._scen, self._tables = {}, {}, {}
        self.assumptions = saved
        self.message = f"saved {saved.version[:19]}… to {saved.path}"
        self._publish()
        return Path(saved.path)

    # ---- applying edits -----------------------------------------------------------------------------

    def _apply(self, params: dict[str, Any], tables: dict[str, Any]) -> None:
        """Build the set of these edits (raises AssumptionError, leaving everything as it was)."""
        changed_params = {k: v for k, v in params.items() if _saved_value(self.saved, k) != v}
        changed_tables = {k: v for k, v in tables.items() if not v.equals(self.saved.tables[k].frame)}
        new = self.saved.with_changes(changed_params or None, changed_tables or None) \
            if changed_params or changed_tables else self.saved
        self._params, self._tables = changed_params, changed_tables
        if new.version != self.assumptions.version:
            self.assumptions = new

    def _apply_scenarios(self, values: dict[str, Any]) -> None:
        from livecalc_lab.model.scenarios import ScenarioSpec

        base = self.saved_scenarios.to_dict()
        base.pop("format", None)
        spec = ScenarioSpec(**(base | values))
        self._scen = {k: v for k, v in values.items() if base.get(k) != v}
        if spec != self.scenarios:
            self.scenarios = spec

    # ---- what the front end shows ---------------------------------------------------------------------

    def _value(self, field_id: str, *, saved: bool) -> Any:
        if field_id.startswith("scenarios."):
            spec = self.saved_scenarios if saved else self.scenarios
            return getattr(spec, field_id.split(".", 1)[1])
        return _saved_value(self.saved if saved else self.assumptions, field_id)

    def _publish(self) -> None:
        rows = []
        for f in self._fields.values():
            current, saved = self._value(f.id, saved=False), self._value(f.id, saved=True)
            rows.append({"id": f.id, "group": f.group, "label": f.label, "unit": f.unit, "kind": f.kind,
                         "value": _text(current), "saved": _text(saved), "changed": current != saved})
        d = diff_sets(self.saved, self.assumptions)
        labels = {f.id: f"{f.group} {f.label}" for f in self._fields.values()}
        params = [[labels.get(k, k), _text(a), _text(b)] for k, a, b in d["parameters"]]
        params += [[labels[f"scenarios.{k}"], _text(getattr(self.saved_scenarios, k)), _text(v)]
                   for k, v in self._scen.items()]
        with self.hold_sync():
            self.fields = rows
            self.version = self.assumptions.version
            self.diff = {"saved_version": self.saved.version, "version": self.assumptions.version,
                         "saved_path": str(self.saved.path) if self.saved.path else "",
                         "parameters": params, "tables": d["tables"], "cells": d["cells"]}

    def _table_list(self) -> list[dict[str, Any]]:
        """The product's tables edited in the grid: name, type, shape and the multiplier field beside it."""
        spec = self.saved._product_spec(self.product)
        out = []
        for section in ("mortality", "lapse"):
            entry = spec.get(section)
            name = entry.get("table") if isinstance(entry, dict) else None
            if not isinstance(name, str) or name not in self.saved.tables:
                continue
            t = self.saved.tables[name]
            if t.spec.get("type") not in TABLE_TYPES:
                continue
            mult = f"products.{self.product}.{section}.multiplier"
            out.append({"name": name, "section": section, "type": t.spec["type"], "rows": t.frame.height,
                        "columns": list(t.frame.columns), "editable": self._editable_columns(name),
                        "multiplier": mult if mult in self._fields else ""})
        return out

    def _editable_columns(self, table: str) -> list[str]:
        t = self.saved.tables[table]
        keys = {t.spec.get("age_column"), *t.spec.get("key_columns", []), "policy_year"}
        return [c for c in t.frame.columns if c not in keys and t.frame[c].dtype.is_float()]

    def _send_table(self, name: str, transfer: str) -> None:
        """One table, current values, as a chunked transfer: labels in the meta, rates as float64 rows."""
        frame = self._tables.get(name, self.saved.tables[name].frame)
        editable = self._editable_columns(name)
        labels = [c for c in frame.columns if c not in editable]
        values = np.ascontiguousarray(frame.select(editable).to_numpy().astype("<f8"))
        meta = {"name": name, "rows": frame.height, "columns": editable, "label_columns": labels,
                "labels": [[_text(v) for v in frame[c].to_list()] for c in labels]}
        _transport.send(self, "table", values, meta, transfer=transfer)

    def _handle(self, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("type")
        seq = content.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            self.seq = max(self.seq, seq)
        if kind == "edit":
            self.edit(str(content.get("field")), content.get("text", ""))
        elif kind == "cell":
            self.edit_cell(str(content.get("table")), int(content.get("row", -1)), str(content.get("column")),
                           content.get("text", ""))
        elif kind == "need" and content.get("what") == "table":
            name = str(content.get("name"))
            if any(t["name"] == name for t in self.tables):
                self._send_table(name, str(content.get("id", "")))
        elif kind == "save":
            try:
                self.save_version()
            except Exception as exc:
                self.message = f"not saved: {exc}"
        elif kind == "revert":
            self.revert()


def _saved_value(aset: Any, path: str) -> Any:
    node: Any = aset.manifest
    for part in path.split("."):
        node = node[part]
    return node


def _short(message: str) -> str:
    """An error for display beside a field: the manifest location prefix is dropped."""
    return re.sub(r"^\S*assumptions\.json\s+", "", message)
