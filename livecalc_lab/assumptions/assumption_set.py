"""Assumption sets: tables and product parameters, loaded strictly and versioned by content.

An assumption set is a folder holding CSV tables and a manifest ``assumptions.json``::

    {
      "format": "livecalc-assumptions/1",
      "name": "...",
      "tables": {
        "mortality": {"file": "mort_table.csv", "type": "select_ultimate",
                      "basis": "annual", "age_column": "Age"},
        "discount":  {"file": "disc_rate_ann.csv", "type": "zero_spot", "basis": "annual",
                      "year_column": "year", "rate_column": "zero_spot"},
        "premium_rates": {"file": "premium_table.csv", "type": "premium_rate",
                          "basis": "monthly", "key_columns": ["age_at_entry", "policy_term"],
                          "rate_column": "premium_rate"}
      },
      "products": {
        "basic_term_s": {
          "model": "level_term", "in_force": false,
          "mortality": {"table": "mortality", "multiplier": 1.0},
          "lapse": {"basis": "annual", "formula": "linear", "initial": 0.10,
                    "slope": -0.02, "floor": 0.02, "multiplier": 1.0},
          "discount": {"table": "discount"},
          "premium": {"basis": "equivalence", "loading": 0.5, "round_decimals": 2},
          "commission": {"rates_by_policy_year": [1.0]},
          "expenses": {"acquisition": 300.0, "maintenance_ann": 60.0, "inflation_ann": 0.01}
        }
      }
    }

Table types
-----------
``select_ultimate``
    Annual ``qx`` by attained age (one row per integer age, consecutive) and policy
    year: columns ``"0"``, ``"1"``, ... ``"k"``; the last column is the ultimate rate,
    used from policy year k on. A table with one rate column is an ultimate table;
    ``"rate_column": "qx"`` names it when it is not ``"0"``. At each attained age the
    rates must not decrease with the policy year (the select effect: lives recently
    underwritten die less than those selected long ago, so ``q[x, 0] <= q[x, 1] <= ...
    <= q[x, k]``). Rates are *not* required to rise with age: real tables dip after
    infancy and around the early twenties (the bundled US SSA 2019 table does both).
``zero_spot``
    Annual effective zero-spot rate per projection year 0, 1, ... (consecutive);
    month ``t`` uses year ``t // 12``.
``premium_rate``
    Monthly premium per unit of sum assured keyed by ``age_at_entry`` and
    ``policy_term`` (years).
``lapse``
    Annual lapse rate by policy year (columns ``policy_year``, ``lapse_rate``);
    policy years past the last row use the last rate. Referenced from a product as
    ``"lapse": {"basis": "annual", "table": "<name>"}``.
``product_spec``, ``surrender_charge``
    Tables of the savings product (model ``"savings"``), described in
    :mod:`livecalc_lab.assumptions.savings` with the product's manifest entry.

A table's ``"file"`` is relative to the folder, or ``"livecalc_lab:<path>"`` for a
table shipped inside the package (e.g. ``livecalc_lab:demo/tables/us_ssa_2019_male_qx.csv``).

Monotonicity is the one shape rule beyond consecutive ages and years: it holds
for every bundled table, and it is checked by :func:`parse_table`, so files,
in-memory edits, workbooks and the service's request bodies obey the same rules.

Lapse formula ``linear``: ``lapse(year) = max(initial + slope * year, floor)`` with
``year`` the policy year (0 in the first year), an annual rate (lifelib BasicTerm:
``max(0.1 - 0.02 * duration, 0.02)``).

Multipliers apply to annual rates and the result is capped at 1.

The version of a set is the SHA-256 of one canonical serialisation
(:func:`canonical_version`), so two folders with the same content have the same
version whatever their whitespace, key order or float spelling.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from livecalc_lab._parse import ragged_row, strict_cast
from livecalc_lab.errors import AssumptionError, plain

if TYPE_CHECKING:  # pragma: no cover
    from livecalc_lab.assumptions.savings import SavingsBasis

__all__ = [
    "AssumptionSet",
    "ProductBasis",
    "canonical_version",
    "load_assumptions",
    "parse_table",
    "table_as_text",
    "demo_assumptions",
]

MANIFEST = "assumptions.json"
FORMAT = "livecalc-assumptions/1"
TABLE_TYPES = ("select_ultimate", "zero_spot", "premium_rate", "lapse", "product_spec", "surrender_charge")
PRODUCT_MODELS = ("level_term", "endowment", "whole_life", "savings")
PACKAGE_PREFIX = "livecalc_lab:"  # a table file shipped in the package, e.g. "livecalc_lab:demo/tables/x.csv"
TERM_MODELS = ("level_term", "endowment", "whole_life")  # valued by the engine's level-term kernel


@dataclass(frozen=True)
class Table:
    """One table of an assumption set: its manifest entry and its typed columns.

    ``frame`` holds the table with numeric columns as ``Float64`` (rates) or
    ``Int64`` (ages, years, terms), in file order.
    """

    name: str
    spec: dict[str, Any]
    frame: pl.DataFrame
    path: str


class _TablesSpan:
    """What a basis's mortality table and discount curve cover (shared by every product basis)."""

    mort_min_age: int
    mort_qx: np.ndarray
    disc_zero_ann: np.ndarray

    @property
    def mort_max_age(self) -> int:
        """Highest attained age in the mortality table (``mort_min_age - 1`` without one)."""
        return self.mort_min_age + self.mort_qx.shape[0] - 1

    @property
    def max_months(self) -> int:
        """Number of projection months the discount curve covers (12 per year)."""
        return 12 * len(self.disc_zero_ann)


@dataclass(frozen=True)
class ProductBasis(_TablesSpan):
    """Everything the projection of one product needs, as plain arrays.

    Built by :meth:`AssumptionSet.basis`; consumed identically by the WASM engine
    host and by the readable reference model, so both value the same numbers.

    Attributes
    ----------
    product : str
        Product name in the assumption set, e.g. ``"basic_term_s"``.
    model : str
        Projection model: ``"level_term"``, ``"endowment"`` (the sum assured is also
        paid to the survivors at maturity) or ``"whole_life"`` (an endowment at the
        mortality table's last age: ``policy_term`` is replaced by
        ``mort_max_age - age_at_entry``).
    in_force : bool
        False: every policy is new business issued at t = 0 (``duration_mth`` must be 0).
        True: ``duration_mth`` months in force at t = 0; <= 0 means issued at
        t = -duration_mth (lifelib BasicTerm_SE).
    mort_qx : ndarray, shape (n_ages, n_select) float64
        Annual ``qx`` after the multiplier, capped at 1; row i is age
        ``mort_min_age + i``, column j policy year j (last column ultimate).
    mort_min_age : int
        Age of row 0 of ``mort_qx``.
    lapse_ann : ndarray, shape (n_years,) float64
        Annual lapse rate by policy year 0..n_years-1 after the multiplier, capped
        at 1; later years use the last value.
    disc_zero_ann : ndarray, shape (n_years,) float64
        Annual effective zero-spot rate for projection years 0..n_years-1.
    premium_basis : str
        ``"equivalence"`` (level monthly premium = (1 + loading) x PV(claims) / PV(pols_if)
        at issue) or ``"table"`` (premium rate per unit sum assured from a table).
    premium_loading : float
        Loading on the equivalence premium (0.5 means 50%).
    premium_round_decimals : int
        Premium per policy rounded half-to-even on its exact binary value to this many
        decimals, as Python's ``round(x, d)``; -1 means no rounding.
    premium_table : polars.DataFrame or None
        Columns ``age_at_entry`` (Int64), ``policy_term`` (Int64), ``premium_rate``
        (Float64, monthly per unit sum assured) for the table basis.
    commission_rates : ndarray, shape (n,) float64
        Commission as a share of premium by policy year; 0 from year n on.
    acquisition : float
        Acquisition expense per policy, charged in the month of issue (if t >= 0).
    maintenance_ann : float
        Maintenance expense per policy per year, charged monthly as ``maintenance_ann / 12``.
    inflation_ann : float
        Annual expense inflation; month t's expenses are scaled by ``(1 + inflation_ann) ** (t / 12)``.
    maturity_benefit : float
        Share of the sum assured paid to the policies in force at maturity: 0 for
        level term, 1 (by default) for endowment and whole life.
    mort_keys : tuple of str
        The mortality table's dimensions besides age and policy year (``"sex"``,
        ``"smoker"``), or ``()`` for a table that applies to everyone (unisex).
    mort_cells : dict
        With dimensions: the ``mort_qx`` array of each cell, keyed by the tuple of
        its values (``("M", "S")``); ``mort_qx`` is then the first cell's.
    """

    product: str
    model: str
    in_force: bool
    mort_qx: np.ndarray
    mort_min_age: int
    lapse_ann: np.ndarray
    disc_zero_ann: np.ndarray
    premium_basis: str
    premium_loading: float
    premium_round_decimals: int
    premium_table: pl.DataFrame | None
    commission_rates: np.ndarray
    acquisition: float
    maintenance_ann: float
    inflation_ann: float
    maturity_benefit: float = 0.0
    mort_keys: tuple[str, ...] = ()
    mort_cells: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    assumptions_version: str = field(default="")

    def for_cell(self, key: tuple[str, ...]) -> ProductBasis:
        """The basis of one mortality cell (e.g. ``("F", "N")`` for ``mort_keys == ("sex", "smoker")``).

        Raises
        ------
        KeyError
            No such cell in the table.
        """
        if not self.mort_keys:
            return self
        return replace(self, mort_qx=self.mort_cells[tuple(key)], mort_keys=(), mort_cells={})

    @property
    def whole_life(self) -> bool:
        """Whether policies run to the mortality table's last age (their ``policy_term`` is ignored)."""
        return self.model == "whole_life"



class AssumptionSet:
    """An immutable, content-versioned set of assumption tables and product parameters.

    Create one with :func:`load_assumptions` (a folder) or :func:`demo_assumptions`.

    Attributes
    ----------
    manifest : dict
        The parsed ``assumptions.json``.
    tables : dict[str, Table]
        Tables by name, parsed strictly.
    version : str
        ``"sha256:<hex>"`` of the canonical serialisation.
    path : pathlib.Path or None
        The folder it was read from or saved to.
    parent_version : str or None
        The version this set was derived from by :meth:`with_changes`.
    ref : str or None
        ``assumptions://NAME:sha256:...`` when the set was read from a store
        (:class:`livecalc_lab.assumptions.Store`): always the concrete version,
        never ``latest`` or ``draft``.
    store : str or None
        The store it was read from (a folder, ``azure://container/prefix`` or a service URL).
    """

    def __init__(self, manifest: dict[str, Any], tables: dict[str, Table], path: Path | None = None):
        self.manifest = manifest
        self.tables = tables
        self.path = path
        self.parent_version: str | None = None
        self.ref: str | None = None
        self.store: str | None = None
        self.version = canonical_version(manifest, {n: t.frame for n, t in tables.items()})
        self._check_products()

    def __repr__(self) -> str:
        return (
            f"AssumptionSet({self.manifest.get('name', '')!r}, products={self.products}, "
            f"version={self.version[:19]}...)"
        )

    def with_changes(self, parameters: dict[str, Any] | None = None,
                     tables: dict[str, pl.DataFrame] | None = None) -> AssumptionSet:
        """A new set with some parameters and tables replaced; this one is unchanged.

        Parameters
        ----------
        parameters : dict, optional
            Dotted manifest paths to new values, e.g.
            ``{"products.basic_term_s.lapse.multiplier": 0.8,
            "products.basic_term_s.expenses.maintenance_ann": 65.0}``. The path must
            exist already and a number stays a number (a string a string): a typo is an
            error, not a new key. Units and bases are those of the manifest entry
            (module docstring).
        tables : dict of str to polars.DataFrame, optional
            Whole replacement tables by name, with the same columns as the table they
            replace (as in :attr:`tables`); they are checked cell by cell exactly as a
            file would be (:func:`parse_table`).

        Returns
        -------
        AssumptionSet
            With a new :attr:`version` (the content hash) and ``parent_version`` set
            to this set's version. ``path`` is None: the set lives in memory until
            :meth:`save`.

        Raises
        ------
        AssumptionError
            An unknown parameter path or table, a value of the wrong type, a table cell
            that is malformed or out of range (message names table, row, column and
            value), or a product whose parameters are then out of range.
        """
        manifest = json.loads(json.dumps(self.manifest))
        for key, value in (parameters or {}).items():
            _set_path(manifest, key, value)
        new_tables = dict(self.tables)
        for name, frame in (tables or {}).items():
            if name not in self.tables:
                raise AssumptionError(f"unknown table {name!r}: the set has {', '.join(sorted(self.tables))}")
            old = self.tables[name]
            if list(frame.columns) != list(old.frame.columns):
                raise AssumptionError(f"table {name!r} (edited): columns {list(frame.columns)} differ from "
                                      f"{list(old.frame.columns)}")
            spec = old.spec
            if isinstance(spec["file"], str) and spec["file"].startswith(PACKAGE_PREFIX):
                spec = manifest["tables"][name]  # an edited packaged table is saved with the set
                spec["file"] = f"{name}.csv"
            new_tables[name] = parse_table(name, spec, table_as_text(frame), f"table {name!r} (edited)")
        out = AssumptionSet(manifest, new_tables)
        out.parent_version = self.version
        return out

    def save(self, folder: str | Path) -> Path:
        """Write the set as a folder :func:`load_assumptions` reads back with the same version.

        Each table goes to its manifest ``file`` name inside ``folder`` (a table
        shipped in the package keeps its ``livecalc_lab:`` reference while it is
        unchanged). Files are written to a temporary folder beside ``folder`` and
        renamed into place, so a failed save leaves nothing behind.

        Parameters
        ----------
        folder : str or pathlib.Path
            A folder that does not exist yet, or an empty one.

        Returns
        -------
        pathlib.Path
            ``folder``.

        Raises
        ------
        AssumptionError
            ``folder`` exists and is not empty, or a table's file name points outside it.
        """
        from livecalc_lab.assumptions.serial import set_files, write_folder

        dest = Path(folder)
        if not write_folder(dest, set_files(self, packaged_copies=False)):
            raise AssumptionError(f"{dest}: exists and is not an empty folder; assumption sets are never overwritten")
        self.path = dest
        return dest

    @property
    def products(self) -> list[str]:
        """Names of the products this set defines."""
        return sorted(self.manifest.get("products", {}))

    def _where(self, *keys: str) -> str:
        base = str(self.path / MANIFEST) if self.path else MANIFEST
        return base + (" " + ".".join(keys) if keys else "")

    def _product_spec(self, product: str) -> dict[str, Any]:
        products = self.manifest.get("products", {})
        if product not in products:
            raise AssumptionError(
                f"unknown product {product!r}: assumption set {self.manifest.get('name', '')!r} "
                f"defines {', '.join(sorted(products)) or 'no products'}"
            )
        return products[product]

    def _check_products(self) -> None:
        for name in self.products:
            self.basis(name)

    def basis(self, product: str) -> ProductBasis | SavingsBasis:
        """Resolve ``product`` into the arrays the projection uses.

        A ``"savings"`` product gives a :class:`~livecalc_lab.assumptions.savings.SavingsBasis`
        (format in :mod:`livecalc_lab.assumptions.savings`); the other models a :class:`ProductBasis`.

        Raises
        ------
        AssumptionError
            Unknown product, a reference to a missing table, a table of the wrong
            type, or a parameter missing or out of range.
        """
        spec = self._product_spec(product)
        w = lambda *k: self._where("products", product, *k)  # noqa: E731
        model = _get(spec, "model", str, w("model"))
        if model not in PRODUCT_MODELS:
            raise AssumptionError(f"{w('model')}: unknown model {model!r}; known: {', '.join(PRODUCT_MODELS)}")
        if model == "savings":
            from livecalc_lab.assumptions.savings import build_savings_basis

            return build_savings_basis(self, product, spec)

        mort_spec = _get(spec, "mortality", dict, w("mortality"))
        mort = self._table(mort_spec.get("table"), "select_ultimate", w("mortality", "table"))
        mult = _number(mort_spec.get("multiplier", 1.0), w("mortality", "multiplier"), lo=0.0)
        mkeys = tuple(mort.spec.get("key_columns", []))
        ages = mort.frame[mort.spec["age_column"]].to_numpy()
        rates_frame = mort.frame.drop([mort.spec["age_column"], *mkeys])
        qx_all = np.minimum(rates_frame.to_numpy().astype(np.float64) * mult, 1.0)
        cells: dict[tuple[str, ...], np.ndarray] = {}
        if mkeys:
            labels = list(mort.frame.select(mkeys).iter_rows())
            for key in dict.fromkeys(labels):
                idx = [i for i, lab in enumerate(labels) if lab == key]
                cells[tuple(key)] = np.ascontiguousarray(qx_all[idx])
            qx = next(iter(cells.values()))
            ages = ages[: qx.shape[0]]
        else:
            qx = qx_all

        lapse = _get(spec, "lapse", dict, w("lapse"))
        lapse_ann = self._lapse(lapse, w("lapse"))

        disc = self._table(_get(spec, "discount", dict, w("discount")).get("table"), "zero_spot", w("discount", "table"))
        disc_zero = disc.frame[disc.spec["rate_column"]].to_numpy().astype(np.float64)

        prem = _get(spec, "premium", dict, w("premium"))
        prem_basis = _get(prem, "basis", str, w("premium", "basis"))
        table = None
        loading = 0.0
        if prem_basis == "equivalence":
            loading = _number(prem.get("loading", 0.0), w("premium", "loading"), lo=-1.0)
        elif prem_basis == "table":
            t = self._table(prem.get("table"), "premium_rate", w("premium", "table"))
            keys = t.spec["key_columns"]
            table = t.frame.select(
                pl.col(keys[0]).alias("age_at_entry"),
                pl.col(keys[1]).alias("policy_term"),
                pl.col(t.spec["rate_column"]).alias("premium_rate"),
            )
        else:
            raise AssumptionError(f"{w('premium', 'basis')}: {prem_basis!r} is not 'equivalence' or 'table'")
        rd = prem.get("round_decimals", -1)
        if not isinstance(rd, int) or isinstance(rd, bool) or not -1 <= rd <= 10:
            raise AssumptionError(f"{w('premium', 'round_decimals')}: {rd!r} is not an integer from -1 to 10")

        comm = _get(spec, "commission", dict, w("commission"))
        rates = comm.get("rates_by_policy_year", [])
        if not isinstance(rates, list):
            raise AssumptionError(f"{w('commission', 'rates_by_policy_year')}: expected a list, got {rates!r}")
        comm_rates = np.array(
            [_number(r, w("commission", f"rates_by_policy_year[{i}]"), lo=0.0) for i, r in enumerate(rates)],
            dtype=np.float64,
        )
        exp = _get(spec, "expenses", dict, w("expenses"))
        in_force = spec.get("in_force", False)
        if not isinstance(in_force, bool):
            raise AssumptionError(f"{w('in_force')}: {in_force!r} is not true or false")
        return ProductBasis(
            product=product,
            model=model,
            in_force=in_force,
            mort_qx=np.ascontiguousarray(qx),
            mort_min_age=int(ages[0]),
            lapse_ann=lapse_ann,
            disc_zero_ann=np.ascontiguousarray(disc_zero),
            premium_basis=prem_basis,
            premium_loading=loading,
            premium_round_decimals=rd,
            premium_table=table,
            commission_rates=comm_rates,
            acquisition=_number(exp.get("acquisition", 0.0), w("expenses", "acquisition"), lo=0.0),
            maintenance_ann=_number(exp.get("maintenance_ann", 0.0), w("expenses", "maintenance_ann"), lo=0.0),
            inflation_ann=_number(exp.get("inflation_ann", 0.0), w("expenses", "inflation_ann"), lo=-0.99),
            maturity_benefit=_number(
                spec.get("maturity_benefit", 0.0 if model == "level_term" else 1.0), w("maturity_benefit"), lo=0.0
            ),
            mort_keys=mkeys,
            mort_cells=cells,
            assumptions_version=self.version,
        )

    def _table(self, name: Any, kind: str, where: str) -> Table:
        if not isinstance(name, str) or name not in self.tables:
            raise AssumptionError(f"{where}: no table named {name!r}; tables: {', '.join(sorted(self.tables))}")
        t = self.tables[name]
        if t.spec["type"] != kind:
            raise AssumptionError(f"{where}: table {name!r} is of type {t.spec['type']!r}, expected {kind!r}")
        return t

    def _lapse(self, spec: dict[str, Any], where: str) -> np.ndarray:
        if spec.get("basis", "annual") != "annual":
            raise AssumptionError(f"{where}.basis: only annual lapse rates are supported, got {spec.get('basis')!r}")
        mult = _number(spec.get("multiplier", 1.0), where + ".multiplier", lo=0.0)
        if "table" in spec:
            t = self._table(spec["table"], "lapse", where + ".table")
            rates = t.frame["lapse_rate"].to_numpy().astype(np.float64)
        elif spec.get("formula") == "linear":
            initial = _number(spec.get("initial"), where + ".initial", lo=0.0, hi=1.0)
            slope = _number(spec.get("slope", 0.0), where + ".slope")
            floor = _number(spec.get("floor", 0.0), where + ".floor", lo=0.0, hi=1.0)
            # Expanded to 200 policy years; later years use the last (flat) value.
            years = np.arange(200, dtype=np.float64)
            rates = np.maximum(initial + slope * years, floor)
        else:
            raise AssumptionError(f"{where}: give either a 'table' or \"formula\": \"linear\", got {spec!r}")
        if np.any(rates < 0) or np.any(rates > 1):
            bad = int(np.flatnonzero((rates < 0) | (rates > 1))[0])
            raise AssumptionError(f"{where}: lapse rate {plain(rates[bad])!r} in policy year {bad} is outside [0, 1]")
        return np.ascontiguousarray(np.minimum(rates * mult, 1.0))


def _set_path(manifest: dict[str, Any], key: str, value: Any) -> None:
    """Set the manifest entry at dotted path ``key`` (which must exist) to ``value`` of the same kind."""
    *parents, last = key.split(".")
    node: Any = manifest
    for i, part in enumerate(parents):
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise AssumptionError(f"unknown parameter {key!r}: {'.'.join(parents[: i + 1])!r} is not a section")
    if last not in node:
        raise AssumptionError(f"unknown parameter {key!r}; {'.'.join(parents) or 'the manifest'} has "
                              f"{', '.join(sorted(node))}")
    old = node[last]
    is_num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
    if is_num(old) != is_num(value) or isinstance(old, str) != isinstance(value, str) or isinstance(old, (dict, list)):
        raise AssumptionError(f"parameter {key!r}: {value!r} is not a value like {old!r}")
    node[last] = value


def _get(d: dict[str, Any], key: str, typ: type, where: str) -> Any:
    if key not in d:
        raise AssumptionError(f"{where}: missing")
    v = d[key]
    if not isinstance(v, typ):
        raise AssumptionError(f"{where}: expected {typ.__name__}, got {v!r}")
    return v


def _number(v: Any, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
        raise AssumptionError(f"{where}: {v!r} is not a finite number")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise AssumptionError(f"{where}: {plain(v)!r} is outside [{lo}, {hi}]")
    return float(v)


def _check_spec(name: str, spec: Any, where: str) -> None:
    if not isinstance(spec, dict) or "file" not in spec or "type" not in spec:
        raise AssumptionError(f"{where}: needs 'file' and 'type'")
    kind = spec["type"]
    if kind not in TABLE_TYPES:
        raise AssumptionError(f"{where}.type: unknown table type {kind!r}; known: {', '.join(TABLE_TYPES)}")
    if spec.get("basis", "annual") not in ("annual", "monthly"):
        raise AssumptionError(f"{where}.basis: {spec.get('basis')!r} is not 'annual' or 'monthly'")


def _read_table(folder: Path, name: str, spec: dict[str, Any]) -> Table:
    where = f"{folder / MANIFEST} tables.{name}"
    _check_spec(name, spec, where)
    path = _table_file(folder, spec["file"], where)
    if not path.is_file():
        raise AssumptionError(f"{where}: file {str(path)!r} does not exist")
    try:
        raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except Exception as exc:  # polars raises several types for malformed CSV
        ragged = ragged_row(path)
        raise AssumptionError(f"{path} {ragged}" if ragged else f"{path}: cannot be read as CSV: {exc}") from None
    return parse_table(name, spec, raw, str(path), where)


def parse_table(name: str, spec: dict[str, Any], raw: pl.DataFrame, file: str, where: str | None = None) -> Table:
    """Check and type one table given as text cells, exactly as :func:`load_assumptions` does.

    Parameters
    ----------
    name : str
        The table's name in the manifest.
    spec : dict
        Its manifest entry (``type``, ``basis``, column names; see the module docstring).
    raw : polars.DataFrame
        The table as read, every column ``String`` (one row per data row, header = column names).
    file : str
        What messages call the table (a file path, or e.g. ``"table 'mortality' (edited)"``).
    where : str, optional
        What messages call the manifest entry (default ``"<file> tables.<name>"``).

    Returns
    -------
    Table

    Raises
    ------
    AssumptionError
        A missing column, a malformed number, a rate outside its range, ages or years
        that are not consecutive, a duplicate key; the message names ``file``, the
        1-based data row, the column and the value.
    """
    where = where or f"{file} tables.{name}"
    _check_spec(name, spec, where)
    kind = spec["type"]

    def need(col: str) -> pl.Series:
        if col not in raw.columns:
            raise AssumptionError(f"{file}: missing column {col!r} (columns: {', '.join(raw.columns)})")
        return raw[col]

    def num(col: str, dtype: pl.DataType = pl.Float64) -> pl.Series:
        return strict_cast(need(col), dtype, where=file, error=AssumptionError)

    def consecutive(s: pl.Series) -> None:
        d = s.diff().drop_nulls()
        bad = (d != 1).arg_true()
        if len(bad):
            r = int(bad[0]) + 1
            raise AssumptionError(
                f"{file} row {r + 1} column {s.name!r}: {s[r]} does not follow {s[r - 1]} (values must be consecutive)"
            )

    def rates(s: pl.Series, lo: float, hi: float) -> None:
        bad = ((s < lo) | (s > hi)).arg_true()
        if len(bad):
            r = int(bad[0])
            raise AssumptionError(f"{file} row {r + 1} column {s.name!r}: {s[r]!r} is outside [{lo}, {hi}]")

    if kind == "select_ultimate":
        age_col = spec.get("age_column", "age")
        keys = spec.get("key_columns", [])
        if not isinstance(keys, list) or not set(keys) <= {"sex", "smoker"}:
            raise AssumptionError(f"{where}.key_columns: {keys!r} is not a list of 'sex' and/or 'smoker'")
        ages = num(age_col, pl.Int64)
        key_series = []
        for k in keys:
            ks = need(k).cast(pl.String).str.strip_chars()
            empty = (ks.is_null() | (ks == "")).arg_true()
            if len(empty):
                raise AssumptionError(f"{file} row {int(empty[0]) + 1} column {k!r}: value is empty")
            key_series.append(ks.rename(k))
        if keys:
            # each cell (sex, smoker) is a block of consecutive ages, all cells over the same ages
            cell = pl.DataFrame(key_series).select(pl.concat_str(keys, separator="\x1f").alias("cell"))["cell"]
            first_ages = None
            for value in cell.unique(maintain_order=True).to_list():
                idx = (cell == value).arg_true()
                block = ages.gather(idx)
                if int(idx[-1]) - int(idx[0]) + 1 != len(idx):
                    raise AssumptionError(f"{file} row {int(idx[0]) + 1}: the rows of cell {value.replace(chr(31), '/')!r} "
                                          "must be contiguous")
                consecutive(block)
                if first_ages is None:
                    first_ages = block
                elif not block.equals(first_ages):
                    raise AssumptionError(f"{file}: cell {value.replace(chr(31), '/')!r} covers ages {block[0]}..{block[-1]}, "
                                          f"the first cell {first_ages[0]}..{first_ages[-1]}: every cell needs the same ages")
        else:
            consecutive(ages)
        rate_cols = [c for c in raw.columns if c != age_col and c not in keys]
        named = spec.get("rate_column")  # an ultimate table with one named rate column, e.g. "qx"
        if named is not None and rate_cols != [named]:
            raise AssumptionError(f"{file}: expected the one rate column {named!r} besides {age_col!r}; got {rate_cols}")
        if named is None and (rate_cols != [str(i) for i in range(len(rate_cols))] or not rate_cols):
            raise AssumptionError(
                f"{file}: rate columns must be '0', '1', ... (policy years, last = ultimate); got {rate_cols}"
            )
        cols = key_series + [ages] + [num(c) for c in rate_cols]
        for c in cols[len(keys) + 1:]:
            rates(c, 0.0, 1.0)
        select = cols[len(keys) + 1:]
        for before, after in zip(select, select[1:]):  # the select effect (module docstring)
            bad = (after < before).arg_true()
            if len(bad):
                r = int(bad[0])
                raise AssumptionError(
                    f"{file} row {r + 1} column {after.name!r}: {after[r]!r} is below {before[r]!r} in column "
                    f"{before.name!r} (at one attained age, rates must not decrease with the policy year)"
                )
    elif kind == "zero_spot":
        years = num(spec.get("year_column", "year"), pl.Int64)
        consecutive(years)
        if years[0] != 0:
            raise AssumptionError(f"{file} row 1 column {years.name!r}: the curve must start at year 0, got {years[0]}")
        r = num(spec.get("rate_column", "zero_spot"))
        rates(r, -0.5, 1.0)
        cols = [years, r]
    elif kind == "premium_rate":
        keys = spec.get("key_columns", ["age_at_entry", "policy_term"])
        cols = [num(keys[0], pl.Int64), num(keys[1], pl.Int64), num(spec.get("rate_column", "premium_rate"))]
        rates(cols[2], 0.0, 1.0)
        dup = pl.DataFrame(cols[:2]).is_duplicated().arg_true()
        if len(dup):
            r = int(dup[0])
            raise AssumptionError(f"{file} row {r + 1}: duplicate key ({cols[0][r]}, {cols[1][r]})")
    elif kind in ("product_spec", "surrender_charge"):
        from livecalc_lab.assumptions.savings import read_table_columns

        cols = read_table_columns(kind, spec, raw, file, num, consecutive, rates)
    else:  # lapse
        years = num("policy_year", pl.Int64)
        consecutive(years)
        r = num("lapse_rate")
        rates(r, 0.0, 1.0)
        cols = [years, r]
    return Table(name=name, spec=spec, frame=pl.DataFrame(cols), path=file)


def table_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every cell of ``frame`` as the text :func:`parse_table` reads (floats as shortest round-trip ``repr``)."""
    return pl.DataFrame({c: [None if v is None else _format_value(v) for v in frame[c].to_list()] for c in frame.columns},
                        schema={c: pl.String for c in frame.columns})


def _table_file(folder: Path, file: Any, where: str) -> Path:
    """The path of a table: relative to the set's folder, or ``livecalc_lab:<path>`` inside the package."""
    if not isinstance(file, str):
        raise AssumptionError(f"{where}.file: expected a file name, got {file!r}")
    if not file.startswith(PACKAGE_PREFIX):
        return folder / file
    rel = file[len(PACKAGE_PREFIX) :]
    if not rel or rel.startswith("/") or ".." in Path(rel).parts:
        raise AssumptionError(f"{where}.file: {file!r} is not a path inside the livecalc_lab package")
    return Path(str(resources.files("livecalc_lab"))) / rel


def load_assumptions(path: str | Path) -> AssumptionSet:
    """Load an assumption set from a folder holding ``assumptions.json`` and its CSV tables.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder, or the manifest file itself.

    Returns
    -------
    AssumptionSet

    Raises
    ------
    AssumptionError
        Missing or malformed manifest, a missing table file, a malformed value in a
        table (message names the file, row, column and value), a rate outside [0, 1],
        or a product whose parameters are missing or out of range.
    """
    p = Path(path)
    folder = p.parent if p.is_file() else p
    mf = folder / MANIFEST
    if not mf.is_file():
        raise AssumptionError(f"{folder}: not an assumption set (no {MANIFEST})")
    try:
        manifest = json.loads(mf.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AssumptionError(f"{mf}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise AssumptionError(f"{mf}: 'format' must be {FORMAT!r}")
    tables_spec = manifest.get("tables", {})
    if not isinstance(tables_spec, dict):
        raise AssumptionError(f"{mf} tables: expected an object")
    tables = {name: _read_table(folder, name, spec) for name, spec in tables_spec.items()}
    return AssumptionSet(manifest, tables, folder)


def demo_assumptions() -> AssumptionSet:
    """The bundled lifelib BasicTerm assumption set (products ``basic_term_s`` and ``basic_term_se``).

    Source: lifelib ``basiclife`` sample data, MIT licence (``livecalc_lab/demo/LICENSE-lifelib.txt``).
    """
    return load_assumptions(Path(str(resources.files("livecalc_lab") / "demo" / "assumptions")))


def _format_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if v == v else "nan"
    return str(v)


def _canonical_numbers(value: Any) -> Any:
    """Every JSON number as a float, so ``300``, ``300.0`` and ``3e2`` serialise alike."""
    if isinstance(value, dict):
        return {k: _canonical_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical_numbers(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def canonical_version(manifest: dict[str, Any], tables: dict[str, pl.DataFrame]) -> str:
    """SHA-256 of the canonical serialisation of an assumption set.

    The serialisation is: the manifest as JSON with keys sorted, no whitespace,
    ASCII escapes and every number written as a float (``300`` and ``300.0`` alike), then for each table in name order a line ``table <name>`` and
    the table as CSV: header, then one line per row with integers in decimal and
    floats as Python's shortest round-trip ``repr`` (so ``0.10``, ``1e-1`` and
    ``0.1`` hash alike), fields joined by ``,``, lines ended by ``\\n``.

    Parameters
    ----------
    manifest : dict
        The parsed manifest.
    tables : dict[str, polars.DataFrame]
        Typed tables by name (as held in :attr:`AssumptionSet.tables`).

    Returns
    -------
    str
        ``"sha256:"`` followed by 64 hex digits.
    """
    h = hashlib.sha256()
    h.update(json.dumps(_canonical_numbers(manifest), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode())
    h.update(b"\n")
    for name in sorted(tables):
        df = tables[name]
        h.update(f"table {name}\n".encode())
        h.update((",".join(df.columns) + "\n").encode())
        for row in df.iter_rows():
            h.update((",".join(_format_value(v) for v in row) + "\n").encode())
    return "sha256:" + h.hexdigest()
