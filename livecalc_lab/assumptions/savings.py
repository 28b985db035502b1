"""The savings product's assumptions: manifest format, its two table types, and :class:`SavingsBasis`.

A product of model ``"savings"`` (lifelib ``savings`` CashValue_ME_EX4 / EX2, see
``shared/data/lifelib-savings/SPEC.md``) is written in ``assumptions.json`` as::

    "savings_ex4": {
      "model": "savings",
      "in_force": true,
      "mortality": null,
      "lapse": null,
      "discount": {"table": "discount"},
      "specs": {"table": "product_spec"},
      "surrender_charge": {"table": "surrender_charge", "lookup": "intended"},
      "fees": {"maint_fee_rate_mth": 0.0, "coi_rate": 0.0},
      "expenses": {"acquisition": 5000.0, "maintenance_ann": 500.0, "inflation_ann": 0.01},
      "commission": {"rate": 0.05}
    }

Keys (all required; ``null`` switches a decrement or the surrender charge off):

``in_force``
    True: ``duration_mth`` months in force at t = 0 (<= 0: issued at ``t = -duration_mth``).
    False: every policy is new business at t = 0 (``duration_mth`` must be 0).
``mortality``
    ``null`` (no deaths) or ``{"table": <select_ultimate>, "multiplier": 1.0,
    "outside_table": "zero" | "error"}``. The annual ``qx`` of attained age ``x`` in
    policy year ``d`` is ``table[x, min(d, k)]`` times the multiplier, capped at 1.
    ``"zero"``: an age outside the table has ``qx = 0`` (lifelib EX2);
    ``"error"`` (default): a policy exposed at such an age is a ``DataError``.
``lapse``
    ``null`` (no lapses) or the base annual lapse rate by policy year, as for
    ``level_term`` (``"formula": "linear"`` with ``initial``, ``slope``, ``floor``, or a
    ``lapse`` table; ``multiplier``), plus ``"dynamic"``: ``null`` or
    ``{"c0": 0.0, "c1": 1.0, "min": 0.0, "max": null}``. With a dynamic lapse the
    annual rate is ``clamp(c0 + c1 * CSV(t) / SA, min, max) * base(policy year)``, then
    capped to [0, 1], where ``CSV(t) = (1 - surr_charge_rate(t)) * av_pp_mid_mth(t)``;
    ``null`` bounds are unbounded. lifelib EX2's dynamic lapse is ``c0 = 0, c1 = 1,
    min = 0, max = null``: lapses rise when the account value is far above the
    guarantee and fall when the guarantee is in the money.
``discount``
    ``{"table": <zero_spot>}``: annual effective rate by projection year ``t // 12``.
``specs``
    ``{"table": <product_spec>}``: the product variants a policy's ``spec_id`` names.
``surrender_charge``
    ``null`` (no charge) or ``{"table": <surrender_charge>, "lookup": "intended" |
    "lifelib_numpy"}``. ``"intended"``: the rate in policy year ``d`` is the spec's
    ``surr_charge_id`` column at row ``min(d, k)`` if ``has_surr_charge``, else 0
    (lifelib EX2). ``"lifelib_numpy"`` reproduces lifelib EX4's NumPy lookup, which
    ignores ``has_surr_charge`` and reads a shifted cell for specs without an id
    (SPEC.md section 5.4); it changes nothing while lapses are 0 and exists to check
    lifelib's debug output bit for bit.
``fees``
    ``maint_fee_rate_mth``: monthly fee as a share of the account value after premium;
    ``coi_rate``: monthly cost-of-insurance rate on ``max(SA - AV, 0)``.
``expenses``
    ``acquisition`` per new policy, in its month of issue; ``maintenance_ann`` per policy
    in force per year, charged monthly; ``inflation_ann``: month t is scaled by
    ``(1 + inflation_ann) ** (t / 12)``.
``commission``
    ``rate``: share of every premium.
``whole_life_last_age`` (optional)
    The age at which whole-life policies end when there is no mortality table.

Whole life (``is_wl`` in the spec table): ``policy_term = last_age - age_at_entry``,
``last_age`` being the first age of the mortality table (before the multiplier) whose
rates are all 1, or ``whole_life_last_age`` when the product has no mortality table.

Table types
-----------
``product_spec``
    One row per spec: ``spec_id`` (text, unique), ``premium_type`` (``SINGLE``: a single
    premium at issue; ``LEVEL``: a monthly premium until maturity), ``has_surr_charge``
    (``True``/``False``), ``surr_charge_id`` (a column of the surrender-charge table, or
    empty), ``load_prem_rate`` (share of each premium kept by the insurer, in [0, 1]),
    ``is_wl`` (``True``/``False``).
``surrender_charge``
    Rate by policy year: a duration column (``"duration_column"``, default
    ``"duration"``) 0, 1, ..., k and one column per charge type (e.g. ``type_1`` ...),
    rates in [0, 1]; policy years past k use row k.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import polars as pl

from livecalc_lab.assumptions.assumption_set import _TablesSpan
from livecalc_lab.errors import AssumptionError, DataError

if TYPE_CHECKING:  # pragma: no cover
    from livecalc_lab.assumptions.assumption_set import AssumptionSet

__all__ = ["SavingsBasis", "SAVINGS_TABLE_TYPES", "SURRENDER_LOOKUPS"]

SAVINGS_TABLE_TYPES = ("product_spec", "surrender_charge")
SURRENDER_LOOKUPS = ("intended", "lifelib_numpy")
PREMIUM_TYPES = ("SINGLE", "LEVEL")
_PRODUCT_KEYS = {
    "model", "description", "in_force", "mortality", "lapse", "discount", "specs",
    "surrender_charge", "fees", "expenses", "commission", "whole_life_last_age",
}  # fmt: skip
_REQUIRED_KEYS = (
    "in_force", "mortality", "lapse", "discount", "specs", "surrender_charge", "fees", "expenses", "commission",
)  # fmt: skip


@dataclass(frozen=True)
class SavingsBasis(_TablesSpan):
    """Everything the projection of one savings product needs, as plain arrays.

    Built by :meth:`AssumptionSet.basis` for a product of model ``"savings"``;
    consumed identically by the readable reference model
    (:mod:`livecalc_lab.model.reference_savings`) and the engine. Arrays are
    read-only.

    Attributes
    ----------
    product : str
        Product name in the assumption set, e.g. ``"savings_ex4"``.
    model : str
        ``"savings"``.
    in_force : bool
        False: every policy is new business at t = 0 (``duration_mth`` 0). True:
        ``duration_mth`` months in force at t = 0; <= 0 means issued at ``t = -duration_mth``.
    mort_qx : ndarray, shape (n_ages, n_select) float64
        Annual ``qx`` after the multiplier, capped at 1; row i is attained age
        ``mort_min_age + i``, column j policy year j (the last column from year
        ``n_select - 1`` on). Shape ``(0, 1)`` when the product has no mortality.
    mort_min_age : int
        Age of row 0 of ``mort_qx``.
    mort_outside_table : str
        ``"zero"``: ``qx = 0`` at ages outside the table; ``"error"``: such an age in a
        month with policies exposed is an error (checked before projecting).
    lapse_ann : ndarray, shape (n_years,) float64
        Base annual lapse rate by policy year 0..n_years-1 after the multiplier,
        capped at 1; later years use the last value. ``[0.0]`` without lapses.
    lapse_dynamic : bool
        Whether the lapse rate is scaled by the dynamic factor below.
    lapse_dyn_c0, lapse_dyn_c1 : float
        Dynamic factor ``clamp(c0 + c1 * CSV / SA, lapse_dyn_min, lapse_dyn_max)``.
    lapse_dyn_min, lapse_dyn_max : float
        Bounds of the factor; ``-inf`` / ``+inf`` when unbounded (``null``).
    disc_zero_ann : ndarray, shape (n_years,) float64
        Annual effective zero-spot rate for projection years 0..n_years-1.
    spec_ids : tuple of str
        The spec ids of the spec table, in table order; index ``k`` is row ``k`` of
        every ``spec_*`` array.
    spec_single_premium : ndarray, shape (n_specs,) bool
        True for ``SINGLE`` (premium at issue only), False for ``LEVEL`` (monthly).
    spec_load_prem_rate : ndarray, shape (n_specs,) float64
        Share of each premium kept by the insurer; ``1 - load`` goes into the account value.
    spec_is_wl : ndarray, shape (n_specs,) bool
        Whole life: ``policy_term = whole_life_last_age - age_at_entry``.
    spec_surr_charge : ndarray, shape (n_specs, n_sc_years) float64
        Surrender-charge rate by spec and policy year 0..n_sc_years-1 (later years use
        the last column), already resolved by ``surr_charge_lookup``.
    surr_charge_lookup : str
        ``"intended"``, ``"lifelib_numpy"`` or ``"none"`` (no surrender-charge table).
    whole_life_last_age : int
        Age at which whole-life policies mature; -1 when undefined (then no spec may be
        whole life).
    maint_fee_rate_mth : float
        Monthly fee as a share of the account value after premium.
    coi_rate : float
        Monthly cost-of-insurance rate on the net amount at risk ``max(SA - AV, 0)``.
    acquisition : float
        Acquisition expense per policy, in its month of issue (if t >= 0).
    maintenance_ann : float
        Maintenance expense per policy per year, charged monthly as ``maintenance_ann / 12``.
    inflation_ann : float
        Annual expense inflation; month t is scaled by ``(1 + inflation_ann) ** (t / 12)``.
    commission_rate : float
        Commission as a share of every premium.
    assumptions_version : str
        Version of the assumption set the basis came from.
    """

    product: str
    model: str
    in_force: bool
    mort_qx: np.ndarray
    mort_min_age: int
    mort_outside_table: str
    lapse_ann: np.ndarray
    lapse_dynamic: bool
    lapse_dyn_c0: float
    lapse_dyn_c1: float
    lapse_dyn_min: float
    lapse_dyn_max: float
    disc_zero_ann: np.ndarray
    spec_ids: tuple[str, ...]
    spec_single_premium: np.ndarray
    spec_load_prem_rate: np.ndarray
    spec_is_wl: np.ndarray
    spec_surr_charge: np.ndarray
    surr_charge_lookup: str
    whole_life_last_age: int
    maint_fee_rate_mth: float
    coi_rate: float
    acquisition: float
    maintenance_ann: float
    inflation_ann: float
    commission_rate: float
    assumptions_version: str = field(default="")

    @property
    def has_mortality(self) -> bool:
        """Whether the product has a mortality table."""
        return self.mort_qx.shape[0] > 0

    def policy_spec_columns(self, frame: pl.DataFrame, source: str = "<DataFrame>") -> pl.DataFrame:
        """``frame`` with each policy's spec fields joined on ``spec_id``.

        Parameters
        ----------
        frame : polars.DataFrame
            Policies with at least ``spec_id`` (String), ``age_at_entry`` and
            ``policy_term`` (integers), e.g. ``read_savings_policies(...).frame``.
        source : str
            Used in error messages (the file the policies came from).

        Returns
        -------
        polars.DataFrame
            The input columns in input row order, plus ``spec_index`` (Int32, row of the
            ``spec_*`` arrays), ``premium_type`` (String), ``single_premium``
            (Boolean), ``load_prem_rate`` (Float64), ``is_wl`` (Boolean). For whole-life
            policies ``policy_term`` is replaced by ``whole_life_last_age -
            age_at_entry`` (lifelib ignores the term column for them).

        Raises
        ------
        DataError
            A ``spec_id`` not in the spec table, or a whole-life policy whose entry
            age is not below ``whole_life_last_age`` (file, row, column, value).

        Examples
        --------
        >>> import polars as pl
        >>> from livecalc_lab.assumptions.savings import _example_basis
        >>> b = _example_basis()
        >>> f = pl.DataFrame({"spec_id": ["B", "A"], "age_at_entry": [30, 40], "policy_term": [10, 10]})
        >>> b.policy_spec_columns(f)["spec_index"].to_list()
        [1, 0]
        """
        index = {s: k for k, s in enumerate(self.spec_ids)}
        ids = frame["spec_id"].cast(pl.String)
        k = np.empty(frame.height, dtype=np.int32)
        for r, s in enumerate(ids.to_list()):
            if s not in index:
                raise DataError(
                    f"{source} row {r + 1:,} column 'spec_id': {s!r} is not a spec of product "
                    f"{self.product!r} (specs: {', '.join(self.spec_ids)})"
                )
            k[r] = index[s]
        is_wl = self.spec_is_wl[k]
        term = frame["policy_term"].to_numpy().astype(np.int64)
        entry = frame["age_at_entry"].to_numpy().astype(np.int64)
        if is_wl.any():
            wl_term = self.whole_life_last_age - entry
            bad = np.flatnonzero(is_wl & (wl_term < 1))
            if len(bad):
                r = int(bad[0])
                raise DataError(
                    f"{source} row {r + 1:,} column 'age_at_entry': {int(entry[r])} is not below the whole-life "
                    f"last age {self.whole_life_last_age} of product {self.product!r}"
                )
            term = np.where(is_wl, wl_term, term)
        single = self.spec_single_premium[k]
        return frame.with_columns(
            pl.Series("policy_term", term, dtype=frame.schema["policy_term"]),
            pl.Series("spec_index", k, dtype=pl.Int32),
            pl.Series("premium_type", np.where(single, "SINGLE", "LEVEL"), dtype=pl.String),
            pl.Series("single_premium", single, dtype=pl.Boolean),
            pl.Series("load_prem_rate", self.spec_load_prem_rate[k], dtype=pl.Float64),
            pl.Series("is_wl", is_wl, dtype=pl.Boolean),
        )


# --------------------------------------------------------------------------------------
# Building the basis from a manifest entry (called by AssumptionSet.basis)
# --------------------------------------------------------------------------------------


def build_savings_basis(aset: AssumptionSet, product: str, spec: dict[str, Any]) -> SavingsBasis:
    """Resolve the manifest entry ``spec`` of savings product ``product`` of ``aset``.

    Raises
    ------
    AssumptionError
        A missing or unknown key, a reference to a missing table or one of the wrong
        type, a parameter out of range, or a spec the surrender-charge table cannot serve.
    """
    from livecalc_lab.assumptions.assumption_set import _get, _number  # the one helper set

    w = lambda *k: aset._where("products", product, *k)  # noqa: E731
    _known_keys(spec, _PRODUCT_KEYS, w())
    for key in _REQUIRED_KEYS:
        if key not in spec:
            raise AssumptionError(f"{w(key)}: missing (write null to switch it off where allowed)")
    in_force = spec["in_force"]
    if not isinstance(in_force, bool):
        raise AssumptionError(f"{w('in_force')}: {in_force!r} is not true or false")

    # Mortality
    mort = spec["mortality"]
    qx = np.zeros((0, 1))
    min_age, outside, table_last_age = 0, "zero", None
    if mort is not None:
        mort = _object(mort, w("mortality"))
        _known_keys(mort, {"table", "multiplier", "outside_table", "description"}, w("mortality"))
        t = aset._table(mort.get("table"), "select_ultimate", w("mortality", "table"))
        mult = _number(mort.get("multiplier", 1.0), w("mortality", "multiplier"), lo=0.0)
        outside = mort.get("outside_table", "error")
        if outside not in ("zero", "error"):
            raise AssumptionError(f"{w('mortality', 'outside_table')}: {outside!r} is not 'zero' or 'error'")
        age_col = t.spec.get("age_column", "age")
        ages = t.frame[age_col].to_numpy()
        raw = t.frame.drop(age_col).to_numpy().astype(np.float64)
        qx = np.minimum(raw * mult, 1.0)
        min_age = int(ages[0])
        terminal = np.flatnonzero(np.all(raw == 1.0, axis=1))
        table_last_age = int(ages[terminal[0]]) if len(terminal) else None

    # Whole-life last age: the table's terminal age, else the product parameter.
    wl_param = spec.get("whole_life_last_age")
    bad_age = not isinstance(wl_param, int) or isinstance(wl_param, bool) or not 1 <= wl_param <= 200
    if wl_param is not None and bad_age:
        raise AssumptionError(f"{w('whole_life_last_age')}: {wl_param!r} is not an integer age from 1 to 200")
    if table_last_age is not None and wl_param is not None and wl_param != table_last_age:
        raise AssumptionError(
            f"{w('whole_life_last_age')}: {wl_param} disagrees with the mortality table, whose rates are all 1 "
            f"from age {table_last_age}"
        )
    last_age = table_last_age if table_last_age is not None else (wl_param if wl_param is not None else -1)

    # Lapse
    lapse = spec["lapse"]
    lapse_ann = np.zeros(1)
    dynamic = False
    c0, c1, dmin, dmax = 0.0, 1.0, -np.inf, np.inf
    if lapse is not None:
        lapse = _object(lapse, w("lapse"))
        _known_keys(
            lapse,
            {"basis", "formula", "initial", "slope", "floor", "multiplier", "table", "dynamic", "description"},
            w("lapse"),
        )
        lapse_ann = aset._lapse(lapse, w("lapse"))
        dyn = lapse.get("dynamic")
        if dyn is not None:
            dyn = _object(dyn, w("lapse", "dynamic"))
            _known_keys(dyn, {"c0", "c1", "min", "max", "description"}, w("lapse", "dynamic"))
            dynamic = True
            c0 = _number(dyn.get("c0", 0.0), w("lapse", "dynamic", "c0"))
            c1 = _number(dyn.get("c1", 1.0), w("lapse", "dynamic", "c1"))
            if dyn.get("min") is not None:
                dmin = _number(dyn["min"], w("lapse", "dynamic", "min"))
            if dyn.get("max") is not None:
                dmax = _number(dyn["max"], w("lapse", "dynamic", "max"))
            if dmin > dmax:
                raise AssumptionError(f"{w('lapse', 'dynamic')}: min {dmin!r} is above max {dmax!r}")

    disc = aset._table(_get(spec, "discount", dict, w("discount")).get("table"), "zero_spot", w("discount", "table"))
    disc_zero = disc.frame[disc.spec.get("rate_column", "zero_spot")].to_numpy().astype(np.float64)

    # Specs and surrender charges
    specs = aset._table(_get(spec, "specs", dict, w("specs")).get("table"), "product_spec", w("specs", "table"))
    sf = specs.frame
    spec_ids = tuple(sf["spec_id"].to_list())
    single = (sf["premium_type"] == "SINGLE").to_numpy()
    is_wl = sf["is_wl"].to_numpy().astype(bool)
    if is_wl.any() and last_age < 0:
        raise AssumptionError(
            f"{w()}: spec {spec_ids[int(np.flatnonzero(is_wl)[0])]!r} is whole life, but the product has no "
            "mortality table whose rates reach 1 and no 'whole_life_last_age'"
        )
    sc_spec = spec["surrender_charge"]
    if sc_spec is None:
        lookup = "none"
        with_charge = sf["has_surr_charge"].arg_true()
        if len(with_charge):
            raise AssumptionError(
                f"{w('surrender_charge')}: null, but spec {spec_ids[int(with_charge[0])]!r} of table "
                f"{specs.name!r} has a surrender charge"
            )
        surr = np.zeros((len(spec_ids), 1))
    else:
        sc_spec = _object(sc_spec, w("surrender_charge"))
        _known_keys(sc_spec, {"table", "lookup", "description"}, w("surrender_charge"))
        sct = aset._table(sc_spec.get("table"), "surrender_charge", w("surrender_charge", "table"))
        lookup = sc_spec.get("lookup", "intended")
        if lookup not in SURRENDER_LOOKUPS:
            raise AssumptionError(
                f"{w('surrender_charge', 'lookup')}: {lookup!r} is not one of {', '.join(SURRENDER_LOOKUPS)}"
            )
        dur_col = sct.spec.get("duration_column", "duration")
        types = [c for c in sct.frame.columns if c != dur_col]
        table = sct.frame.select(types).to_numpy().astype(np.float64)
        surr = np.array(
            [
                _surr_charge_by_year(lookup, table, types, has, sid, w("surrender_charge"), sf_id)
                for sf_id, has, sid in zip(spec_ids, sf["has_surr_charge"].to_list(), sf["surr_charge_id"].to_list())
            ],
            dtype=np.float64,
        ).reshape(len(spec_ids), table.shape[0])

    fees = _object(spec["fees"], w("fees"))
    _known_keys(fees, {"maint_fee_rate_mth", "coi_rate", "description"}, w("fees"))
    exp = _get(spec, "expenses", dict, w("expenses"))
    _known_keys(exp, {"acquisition", "maintenance_ann", "inflation_ann", "description"}, w("expenses"))
    comm = _get(spec, "commission", dict, w("commission"))
    _known_keys(comm, {"rate", "description"}, w("commission"))
    return SavingsBasis(
        product=product,
        model="savings",
        in_force=in_force,
        mort_qx=_frozen(qx),
        mort_min_age=min_age,
        mort_outside_table=outside,
        lapse_ann=_frozen(lapse_ann),
        lapse_dynamic=dynamic,
        lapse_dyn_c0=c0,
        lapse_dyn_c1=c1,
        lapse_dyn_min=dmin,
        lapse_dyn_max=dmax,
        disc_zero_ann=_frozen(disc_zero),
        spec_ids=spec_ids,
        spec_single_premium=_frozen(single),
        spec_load_prem_rate=_frozen(sf["load_prem_rate"].to_numpy().astype(np.float64)),
        spec_is_wl=_frozen(is_wl),
        spec_surr_charge=_frozen(surr),
        surr_charge_lookup=lookup,
        whole_life_last_age=last_age,
        maint_fee_rate_mth=_number(
            fees.get("maint_fee_rate_mth", 0.0), w("fees", "maint_fee_rate_mth"), lo=0.0, hi=1.0
        ),
        coi_rate=_number(fees.get("coi_rate", 0.0), w("fees", "coi_rate"), lo=0.0, hi=1.0),
        acquisition=_number(exp.get("acquisition", 0.0), w("expenses", "acquisition"), lo=0.0),
        maintenance_ann=_number(exp.get("maintenance_ann", 0.0), w("expenses", "maintenance_ann"), lo=0.0),
        inflation_ann=_number(exp.get("inflation_ann", 0.0), w("expenses", "inflation_ann"), lo=-0.99),
        commission_rate=_number(comm.get("rate", 0.0), w("commission", "rate"), lo=0.0),
        assumptions_version=aset.version,
    )


def _surr_charge_by_year(
    lookup: str, table: np.ndarray, types: list[str], has: bool, sid: str | None, where: str, spec_id: str
) -> np.ndarray:
    """Surrender-charge rate by policy year 0..k of one spec, shape (k + 1,) float64.

    ``"intended"``: column ``sid`` of the table if ``has``, else zeros.

    ``"lifelib_numpy"``: lifelib EX4's lookup (SPEC.md section 5.4). It ignores
    ``has``, finds ``col = searchsorted(types, sid or "NA", side="right") - 1`` and
    reads the cell ``col + row * n_types`` of the row-major table, a negative index
    counting from the end: with no id (``col = -1``) row ``r`` reads the last type of
    row ``r - 1`` (row 0 the very last cell).
    """
    n_rows, n_types = table.shape
    if lookup == "intended":
        if not has:
            return np.zeros(n_rows)
        if sid not in types:
            raise AssumptionError(
                f"{where}: spec {spec_id!r} names surrender charge {sid!r}, which is not a column of the table "
                f"(columns: {', '.join(types)})"
            )
        return table[:, types.index(sid)].copy()
    if types != sorted(types):
        raise AssumptionError(f"{where}: lookup 'lifelib_numpy' needs the charge columns in sorted order, got {types}")
    col = bisect.bisect_right(types, sid if sid is not None else "NA") - 1
    flat = table.ravel()
    return np.array([flat[col + row * n_types] for row in range(n_rows)])


def _object(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise AssumptionError(f"{where}: expected an object or null, got {v!r}")
    return v


def _known_keys(d: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise AssumptionError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(allowed))}")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


# --------------------------------------------------------------------------------------
# Table readers (called by assumption_set._read_table)
# --------------------------------------------------------------------------------------


def read_table_columns(
    kind: str,
    spec: dict[str, Any],
    raw: pl.DataFrame,
    file: str,
    num: Callable[..., pl.Series],
    consecutive: Callable[[pl.Series], None],
    rates: Callable[[pl.Series, float, float], None],
) -> list[pl.Series]:
    """Typed columns of a ``product_spec`` or ``surrender_charge`` table read as text.

    ``num``, ``consecutive`` and ``rates`` are the strict helpers of the generic
    reader (convert a column, check consecutive integers, check a rate range).

    Raises
    ------
    AssumptionError
        Missing column, malformed or out-of-range value, duplicate ``spec_id``, unknown
        ``premium_type``, a boolean other than True/False, or a spec with a surrender
        charge but no ``surr_charge_id`` (message names file, row, column and value).
    """

    def need(col: str) -> pl.Series:
        if col not in raw.columns:
            raise AssumptionError(f"{file}: missing column {col!r} (columns: {', '.join(raw.columns)})")
        return raw[col]

    def text(col: str, allow_empty: bool = False) -> pl.Series:
        s = need(col).str.strip_chars()
        empty = (s.is_null() | (s == "")).arg_true()
        if len(empty) and not allow_empty:
            raise AssumptionError(f"{file} row {int(empty[0]) + 1} column {col!r}: value is empty")
        return s.replace("", None) if allow_empty else s

    def boolean(col: str) -> pl.Series:
        s = text(col)
        low = s.str.to_lowercase()
        bad = (~low.is_in(["true", "false"])).arg_true()
        if len(bad):
            r = int(bad[0])
            raise AssumptionError(f"{file} row {r + 1} column {col!r}: {s[r]!r} is not True or False")
        return (low == "true").rename(col)

    if kind == "product_spec":
        ids = text("spec_id")
        dup = ids.is_duplicated().arg_true()
        if len(dup):
            r = int(dup[1]) if len(dup) > 1 else int(dup[0])
            raise AssumptionError(f"{file} row {r + 1} column 'spec_id': {ids[r]!r} appears more than once")
        ptype = text("premium_type")
        bad = (~ptype.is_in(PREMIUM_TYPES)).arg_true()
        if len(bad):
            r = int(bad[0])
            raise AssumptionError(
                f"{file} row {r + 1} column 'premium_type': {ptype[r]!r} is not {' or '.join(PREMIUM_TYPES)}"
            )
        has = boolean("has_surr_charge")
        sid = text("surr_charge_id", allow_empty=True)
        missing = (has & sid.is_null()).arg_true()
        if len(missing):
            r = int(missing[0])
            raise AssumptionError(
                f"{file} row {r + 1} column 'surr_charge_id': empty, but has_surr_charge is True for spec {ids[r]!r}"
            )
        load = num("load_prem_rate")
        rates(load, 0.0, 1.0)
        return [ids, ptype, has, sid, load, boolean("is_wl")]

    if kind == "surrender_charge":
        dur_col = spec.get("duration_column", "duration")
        years = num(dur_col, pl.Int64)
        consecutive(years)
        if len(years) == 0 or years[0] != 0:
            raise AssumptionError(f"{file} row 1 column {dur_col!r}: the table must start at policy year 0")
        types = [c for c in raw.columns if c != dur_col]
        if not types:
            raise AssumptionError(f"{file}: no surrender-charge columns besides {dur_col!r}")
        cols = [years]
        for c in types:
            s = num(c)
            rates(s, 0.0, 1.0)
            cols.append(s)
        return cols
    raise AssertionError(kind)  # pragma: no cover - the caller dispatches known kinds only


def _example_basis() -> SavingsBasis:
    """A tiny hand-made basis for doctests: specs A (single) and B (level), no decrements."""
    return SavingsBasis(
        product="example", model="savings", in_force=False,
        mort_qx=_frozen(np.zeros((0, 1))), mort_min_age=0, mort_outside_table="zero",
        lapse_ann=_frozen(np.zeros(1)), lapse_dynamic=False,
        lapse_dyn_c0=0.0, lapse_dyn_c1=1.0, lapse_dyn_min=-np.inf, lapse_dyn_max=np.inf,
        disc_zero_ann=_frozen(np.full(30, 0.02)), spec_ids=("A", "B"),
        spec_single_premium=_frozen(np.array([True, False])), spec_load_prem_rate=_frozen(np.array([0.0, 0.05])),
        spec_is_wl=_frozen(np.array([False, False])), spec_surr_charge=_frozen(np.zeros((2, 1))),
        surr_charge_lookup="none", whole_life_last_age=-1, maint_fee_rate_mth=0.0, coi_rate=0.0,
        acquisition=0.0, maintenance_ann=0.0, inflation_ann=0.0, commission_rate=0.0,
    )  # fmt: skip
