"""The in-browser preview's payload: the preview's sample and basis, sent once to a Web Worker.

``engine.wasm`` imports nothing, so the same module runs in the browser. The
preview panel can therefore recompute :func:`lc.preview <livecalc_lab.preview>`
in a Web Worker (``livecalc_lab/engine/js/preview_worker.mjs``) after each
assumption edit, without a kernel round trip. The kernel sends, once, the
payload :func:`preview_payload` builds: the sample's policy columns, the
product's tables *before* their multipliers, the scalars, the scenario spec,
``N`` and ``n``. The worker then gives the same numbers as ``lc.preview`` on the
correspondingly edited assumptions (:func:`apply_changes`), bit for bit.

Payload layout
--------------
``preview_payload(...)`` returns ``(meta, buffers)``:

``meta`` (JSON-able dict)
    ``format`` (``"livecalc-preview-payload/1"``), ``abi_version``,
    ``engine_version``, ``product``, ``model``, ``sample_size`` (n),
    ``total_rows`` (N), ``sample_seed``, ``source``, ``data_version``,
    ``assumptions_version``, ``n_months`` (projection months of the sample),
    ``z95``, ``statistics`` (``percentiles`` and ``cte`` levels as decimal text:
    :data:`livecalc_lab.stats.PERCENTILES`, :data:`~livecalc_lab.stats.CTE_LEVELS`),
    ``basis`` (``mort_min_age``, ``mort_n_ages``, ``mort_n_select``,
    ``premium_basis``, ``in_force``, ``whole_life``), ``scenarios``
    (:meth:`ScenarioSpec.to_dict` with ``seed`` as decimal text, or None for a
    deterministic preview), ``parameters`` (the editable parameters: see
    :data:`PARAMETERS`; each ``{"value", "min", "max", "kind", "path"}`` with the
    payload's value), ``kernel_only`` (keys an editor may offer that need the
    kernel, with the reason), ``limits`` (``max_scenario_bytes``), ``arrays`` and
    ``buffers`` (below).
``buffers`` (dict of name to numpy array, in the order of ``meta["buffers"]``)
    Every array is C-contiguous and little-endian. ``meta["arrays"][name]`` gives
    its ``dtype`` (``"<f8"`` float64 or ``"<i4"`` int32), ``shape`` and ``parts``:
    the buffer names that hold it, concatenated in order. An array of at most
    :data:`MAX_BUFFER_BYTES` (2 MiB) travels as one buffer of its own name; a
    larger one as ``name/0``, ``name/1``, ... of at most 2 MiB each (a sample of
    10,000 policies needs no split). The arrays:

    ==================  =======  =====================  ==============================================
    name                dtype    shape                  meaning
    ==================  =======  =====================  ==============================================
    age_at_entry        <i4      (n,)                   years
    policy_term         <i4      (n,)                   years (whole life: mort_max_age - age_at_entry)
    duration_mth        <i4      (n,)                   months in force at t = 0
    policy_count        <f8      (n,)
    sum_assured         <f8      (n,)
    premium_rate        <f8      (n,)                   monthly per unit sum assured (table premiums only)
    mort_table_qx       <f8      (n_ages, n_select)     annual qx before the mortality multiplier
    lapse_rates         <f8      (n_years,)             annual lapse by policy year before the multiplier
    disc_zero_ann       <f8      (n_years,)             annual zero-spot rate by projection year
    ==================  =======  =====================  ==============================================

An anywidget sends it as ``widget.send({"type": "preview-payload", "meta": meta},
buffers=list(buffers.values()))``; the front end passes ``meta`` and the
DataViews it receives to the worker's ``load`` message (``preview_worker.mjs``),
which calls ``assemblePayload(meta, buffers)`` in
``livecalc_lab/engine/js/preview.mjs``. :func:`save_payload` writes the same to
a folder (``meta.json`` and one ``.bin`` file per buffer).

The worker itself
-----------------
``preview_worker.mjs`` imports its sibling modules by relative URL. A page that
serves ``livecalc_lab/engine/js/`` starts it with ``new Worker(url, {type:
"module"})``. A widget, whose front end has no URL for them, receives their
sources (:func:`worker_modules`, about 60 kB) and ``engine.wasm``'s bytes once,
and starts the worker from ``blob:`` URLs, dependencies first::

    const urls = {};
    for (const [name, source] of Object.entries(modules)) {  // worker_modules() order
      let text = source;
      for (const [dep, url] of Object.entries(urls)) text = text.replaceAll(`"./${dep}"`, `"${url}"`);
      urls[name] = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
    }
    const worker = new Worker(urls["preview_worker.mjs"], { type: "module" });

Term products only (level term, endowment, whole life): their cashflows do not
depend on the scenario, so an edit costs one projection of the sample (P × T
work) plus the scenario discounting (S × T). Savings products are
path dependent (account values credited at each scenario's returns, guarantees,
dynamic lapse): every edit would be P × S × T work, 10,000 × 1,000 × 241 lanes,
seconds even in the engine, and several hundred MB of scenario returns to ship;
their preview stays in the kernel (:class:`KernelOnlyError`). So does the
preview of a sample whose ``product`` column names other products, or of a
product whose mortality table is by ``sex``/``smoker`` cell: the payload carries
one basis, and ``lc.preview`` values such rows with their own.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from livecalc_lab.errors import AssumptionError

__all__ = ["PAYLOAD_FORMAT", "MAX_BUFFER_BYTES", "PARAMETERS", "Parameter", "KernelOnlyError", "preview_payload",
           "apply_changes", "payload_arrays", "save_payload", "worker_modules"]

PAYLOAD_FORMAT = "livecalc-preview-payload/1"
MAX_BUFFER_BYTES = 2 << 20  # largest binary buffer of one message (DESIGN.md §7: never a message over a few MiB)
MAX_SCENARIO_BYTES = 64 << 20  # discount factors the browser preview generates at most (scenarios x months x 8)
WORKER_MODULES = ("_numpy.mjs", "stats.mjs", "host.mjs", "preview.mjs", "preview_worker.mjs")


class KernelOnlyError(AssumptionError):
    """A preview that the browser cannot compute: it stays in the kernel (``lc.preview``).

    The message says why (a path-dependent product, mortality by cell, a sample
    mixing products, scenarios read from a file).
    """


@dataclass(frozen=True)
class Parameter:
    """One parameter the browser preview can edit.

    Attributes
    ----------
    path : tuple of str
        Where it lives: a key path in the product's manifest entry
        (``("mortality", "multiplier")``), ``("scenarios", field)`` for a
        :class:`~livecalc_lab.model.scenarios.ScenarioSpec` field, or
        ``("discount", "shift")``: an amount added to every annual zero-spot rate
        of the product's discount table (the ``interest`` sensitivity).
    kind : str
        ``"number"`` (finite float), ``"integer"`` or ``"list"`` (of numbers).
    min, max : float or int or None
        Inclusive bounds, those :meth:`AssumptionSet.basis` and ``ScenarioSpec`` enforce.
    """

    path: tuple[str, ...]
    kind: str = "number"
    min: float | int | None = None
    max: float | int | None = None


PARAMETERS: dict[str, Parameter] = {
    "mortality.multiplier": Parameter(("mortality", "multiplier"), min=0.0),
    "lapse.multiplier": Parameter(("lapse", "multiplier"), min=0.0),
    "lapse.initial": Parameter(("lapse", "initial"), min=0.0, max=1.0),
    "lapse.slope": Parameter(("lapse", "slope")),
    "lapse.floor": Parameter(("lapse", "floor"), min=0.0, max=1.0),
    "expenses.acquisition": Parameter(("expenses", "acquisition"), min=0.0),
    "expenses.maintenance_ann": Parameter(("expenses", "maintenance_ann"), min=0.0),
    "expenses.inflation_ann": Parameter(("expenses", "inflation_ann"), min=-0.99),
    "premium.loading": Parameter(("premium", "loading"), min=-1.0),
    "premium.round_decimals": Parameter(("premium", "round_decimals"), "integer", -1, 10),
    "commission.rates_by_policy_year": Parameter(("commission", "rates_by_policy_year"), "list", min=0.0),
    "maturity_benefit": Parameter(("maturity_benefit",), min=0.0),
    "discount.shift": Parameter(("discount", "shift")),
    "scenarios.a": Parameter(("scenarios", "a"), min=1e-4),
    "scenarios.sigma": Parameter(("scenarios", "sigma"), min=0.0),
    "scenarios.fund_sigma": Parameter(("scenarios", "fund_sigma"), min=0.0),
    "scenarios.fund_excess": Parameter(("scenarios", "fund_excess")),
    "scenarios.n": Parameter(("scenarios", "n"), "integer", 1, 2**32 - 1),
    "scenarios.seed": Parameter(("scenarios", "seed"), "integer", 0, 2**64 - 1),
}
"""Parameters the browser preview can edit, by key (the keys of an edit's ``changes``).

A payload lists those that apply to its product (``meta["parameters"]``): the
lapse formula's ``initial``, ``slope`` and ``floor`` only for a ``linear``
formula, ``premium.loading`` only for equivalence premiums, ``scenarios.*`` only
with a scenario spec.
"""

KERNEL_ONLY = {
    "sample.n": "a new sample is drawn from the dataset in the kernel",
    "sample.seed": "a new sample is drawn from the dataset in the kernel",
    "product": "another product's basis and policy checks come from the kernel",
    "mortality.table": "tables are read and checked in the kernel",
    "lapse.table": "tables are read and checked in the kernel",
    "discount.table": "tables are read and checked in the kernel",
    "premium.basis": "premium rates are attached to the policies in the kernel",
    "premium.table": "premium rates are attached to the policies in the kernel",
    "scenarios.file": "scenarios read from files stay in the kernel",
}
"""Edits an assumptions editor may offer that the browser preview sends back to the kernel, with the reason."""


def _product_spec(aset: Any, product: str) -> dict[str, Any]:
    aset.basis(product)  # raises AssumptionError naming the products when unknown
    return aset.manifest["products"][product]


def _applies(key: str, spec: dict[str, Any], basis: Any, scenarios: Any) -> bool:
    """Whether parameter ``key`` exists for this product basis and scenario spec."""
    if key.startswith("scenarios."):
        return scenarios is not None
    if key in ("lapse.initial", "lapse.slope", "lapse.floor"):
        return spec["lapse"].get("formula") == "linear" and "table" not in spec["lapse"]
    if key == "premium.loading":
        return basis.premium_basis == "equivalence"
    return True


def _value(key: str, spec: dict[str, Any], basis: Any, scenarios: Any) -> Any:
    """The payload's (unedited) value of parameter ``key``."""
    p = PARAMETERS[key]
    if p.path[0] == "scenarios":
        v = getattr(scenarios, p.path[1])
        return str(v) if key == "scenarios.seed" else v
    return {
        "mortality.multiplier": lambda: float(spec["mortality"].get("multiplier", 1.0)),
        "lapse.multiplier": lambda: float(spec["lapse"].get("multiplier", 1.0)),
        "lapse.initial": lambda: float(spec["lapse"]["initial"]),
        "lapse.slope": lambda: float(spec["lapse"].get("slope", 0.0)),
        "lapse.floor": lambda: float(spec["lapse"].get("floor", 0.0)),
        "expenses.acquisition": lambda: basis.acquisition,
        "expenses.maintenance_ann": lambda: basis.maintenance_ann,
        "expenses.inflation_ann": lambda: basis.inflation_ann,
        "premium.loading": lambda: basis.premium_loading,
        "premium.round_decimals": lambda: basis.premium_round_decimals,
        "commission.rates_by_policy_year": lambda: [float(r) for r in basis.commission_rates],
        "maturity_benefit": lambda: basis.maturity_benefit,
        "discount.shift": lambda: 0.0,
    }[key]()


def apply_changes(assumptions: Any, scenarios: Any, product: str,
                  changes: dict[str, Any]) -> tuple[Any, Any]:
    """The assumption set and scenario spec after an edit: the kernel's side of the browser preview.

    ``lc.preview(dataset, *apply_changes(aset, spec, product, changes), product)``
    gives the numbers the browser preview computes for the same ``changes``.

    Parameters
    ----------
    assumptions : str, pathlib.Path, AssumptionSet or None
        As :func:`livecalc_lab.run` (None: the bundled set).
    scenarios : ScenarioSpec or None
    product : str
    changes : dict
        Parameter key (:data:`PARAMETERS`) to its new value: absolute values, all
        relative to ``assumptions`` and ``scenarios`` (e.g. ``{"mortality.multiplier":
        1.1, "scenarios.sigma": 0.012}``). The AssumptionsEditor's field ids
        (``"products.<product>.mortality.multiplier"``) are read as the same keys.

    Returns
    -------
    (AssumptionSet, ScenarioSpec or None)
        A new, re-versioned assumption set (manifest values set; ``discount.shift``
        added to every rate of the product's discount table) and the spec with the
        ``scenarios.*`` fields replaced.

    Raises
    ------
    AssumptionError
        An unknown key (listing the known ones), a ``scenarios.*`` key without a
        spec, or a value the assumption set or the spec refuses (naming it).
    """
    from livecalc_lab.assumptions import AssumptionSet
    from livecalc_lab.model.scenarios import ScenarioSpec
    from livecalc_lab.valuation import resolve_assumptions

    aset = resolve_assumptions(assumptions)
    prefix = f"products.{product}."
    changes = {k.removeprefix(prefix): v for k, v in changes.items()}
    unknown = sorted(set(changes) - set(PARAMETERS))
    if unknown:
        raise AssumptionError(f"unknown preview parameter(s) {', '.join(unknown)}; known: {', '.join(PARAMETERS)}")
    manifest = copy.deepcopy(aset.manifest)
    tables = dict(aset.tables)
    spec = _product_spec(aset, product)
    scen_fields: dict[str, Any] = {}
    for key, value in changes.items():
        path = PARAMETERS[key].path
        if path[0] == "scenarios":
            if not isinstance(scenarios, ScenarioSpec):
                raise AssumptionError(f"preview parameter {key} needs scenarios given as a spec (lc.hull_white(...))")
            scen_fields[path[1]] = int(value) if key == "scenarios.seed" and isinstance(value, str) else value
        elif key == "discount.shift":
            name = spec["discount"]["table"]
            table = tables[name]
            col = table.spec["rate_column"]
            tables[name] = dataclasses.replace(table, frame=table.frame.with_columns(pl.col(col) + float(value)))
        else:
            node = manifest["products"][product]
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = list(value) if isinstance(value, (list, tuple)) else value
    new_set = AssumptionSet(manifest, tables, aset.path) if len(scen_fields) < len(changes) else aset
    return new_set, (dataclasses.replace(scenarios, **scen_fields) if scen_fields else scenarios)


def _split(name: str, arr: np.ndarray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    data = np.ascontiguousarray(arr)
    if data.dtype.byteorder == ">" or (data.dtype.byteorder == "=" and not np.little_endian):
        data = data.astype(data.dtype.newbyteorder("<"))
    flat = data.reshape(-1)
    per = max(1, MAX_BUFFER_BYTES // flat.itemsize)
    if flat.nbytes <= MAX_BUFFER_BYTES:
        parts = {name: flat}
    else:
        parts = {f"{name}/{i}": flat[lo : lo + per] for i, lo in enumerate(range(0, flat.size, per))}
    spec = {"dtype": flat.dtype.str, "shape": list(data.shape), "parts": list(parts)}
    return spec, parts


def preview_payload(dataset: Any, assumptions: Any = None, scenarios: Any = None, product: str = "basic_term_s",
                    n: int = 10_000, sample_seed: int = 42) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The payload of the in-browser preview: ``lc.preview``'s sample, basis and spec (module docstring).

    Parameters
    ----------
    dataset, assumptions, scenarios, product, n, sample_seed
        As :func:`livecalc_lab.preview`; ``scenarios`` is a
        :class:`~livecalc_lab.model.scenarios.ScenarioSpec` or None (deterministic).

    Returns
    -------
    meta : dict
        JSON-able metadata (layout in the module docstring).
    buffers : dict of str to numpy.ndarray
        Little-endian, C-contiguous, each at most ``MAX_BUFFER_BYTES``, in the order
        of ``meta["buffers"]``.

    Raises
    ------
    KernelOnlyError
        A savings (path-dependent) product, a mortality table by sex/smoker cell,
        a sample whose ``product`` column names another product, scenarios given
        as a set (e.g. read from files), or an empty sample.
    DataError, AssumptionError
        As :func:`livecalc_lab.preview` (a policy the basis cannot value, a bad
        assumption set).

    Examples
    --------
    >>> import livecalc_lab as lc
    >>> from livecalc_lab.model.policies import demo_policies_path
    >>> meta, buffers = preview_payload(demo_policies_path(), scenarios=lc.hull_white(n=10), n=100)
    >>> meta["sample_size"], meta["total_rows"], buffers["policy_count"].dtype.str
    (100, 10000, '<f8')
    """
    from livecalc_lab.assumptions import ProductBasis
    from livecalc_lab.engine import _abi, default_engine
    from livecalc_lab.engine.host import _months_needed, _policy_columns
    from livecalc_lab.model.policies import attach_premium_rates, check_policies
    from livecalc_lab.model.scenarios import ScenarioSpec
    from livecalc_lab.preview import Z95, draw_sample
    from livecalc_lab.stats import CTE_LEVELS, PERCENTILES

    if scenarios is not None and not isinstance(scenarios, ScenarioSpec):
        raise KernelOnlyError(f"scenarios {type(scenarios).__name__}: the browser preview generates Hull-White "
                              "scenarios from a spec (lc.hull_white(...)); scenarios read from files stay in the "
                              "kernel")
    drawn = draw_sample(dataset, assumptions, product, n, sample_seed)
    aset, basis = drawn.assumptions, drawn.basis
    if not isinstance(basis, ProductBasis):
        raise KernelOnlyError(f"product {product!r} is path dependent (savings): every edit would revalue every "
                              "(policy, scenario) lane, P x S x T work, so its preview runs in the kernel")
    if basis.mort_keys:
        raise KernelOnlyError(f"product {product!r} has mortality by {', '.join(basis.mort_keys)}: "
                              "its preview runs in the kernel")
    if "product" in drawn.sample.columns:
        others = sorted(set(drawn.sample["product"].drop_nulls().to_list()) - {product})
        if others:
            raise KernelOnlyError(f"{drawn.dataset.label}: the sample mixes products (column 'product' names "
                                  f"{', '.join(map(repr, others))} beside {product!r}): the payload carries one "
                                  "product's basis, so its preview runs in the kernel")
    if drawn.sample.height == 0:
        raise KernelOnlyError(f"{drawn.dataset.label}: the sample is empty; there is nothing to preview")
    pols = drawn.term_policies()
    check_policies(pols, basis)
    cols = _policy_columns(attach_premium_rates(pols, basis), basis)
    spec = _product_spec(aset, product)
    # The tables before their multipliers: the same set with multipliers 1 (rates lie in [0, 1]).
    raw = apply_changes(aset, None, product, {"mortality.multiplier": 1.0, "lapse.multiplier": 1.0})[0].basis(product)
    params = {key: p for key, p in PARAMETERS.items() if _applies(key, spec, basis, scenarios)}
    values = {key: _value(key, spec, basis, scenarios) for key in params}
    _check_reproduces(raw, basis, values)
    arrays = {name: cols[name] for name in ("age_at_entry", "policy_term", "duration_mth", "policy_count",
                                            "sum_assured", "premium_rate") if name in cols}
    arrays |= {"mort_table_qx": raw.mort_qx, "lapse_rates": raw.lapse_ann, "disc_zero_ann": basis.disc_zero_ann}
    layout: dict[str, Any] = {}
    buffers: dict[str, np.ndarray] = {}
    for name, arr in arrays.items():
        layout[name], parts = _split(name, arr)
        buffers |= parts
    meta = {
        "format": PAYLOAD_FORMAT,
        "abi_version": _abi.ABI_VERSION,
        "engine_version": default_engine().version,
        "product": product,
        "model": basis.model,
        "sample_size": drawn.sample.height,
        "total_rows": drawn.total_rows,
        "sample_seed": sample_seed,
        "source": drawn.dataset.label,
        "data_version": drawn.dataset.version,
        "assumptions_version": aset.version,
        "n_months": _months_needed(cols, basis),
        "z95": Z95,
        "statistics": {"percentiles": [str(p) for p in PERCENTILES], "cte": [str(a) for a in CTE_LEVELS]},
        "basis": {"mort_min_age": basis.mort_min_age, "mort_n_ages": int(basis.mort_qx.shape[0]),
                  "mort_n_select": int(basis.mort_qx.shape[1]), "premium_basis": basis.premium_basis,
                  "in_force": basis.in_force, "whole_life": basis.whole_life},
        "scenarios": None if scenarios is None else scenarios.to_dict() | {"seed": str(scenarios.seed)},
        "parameters": {key: {"value": values[key], "min": p.min, "max": p.max, "kind": p.kind,
                             "path": list(p.path)} for key, p in params.items()},
        "kernel_only": dict(KERNEL_ONLY),
        "limits": {"max_scenario_bytes": MAX_SCENARIO_BYTES},
        "arrays": layout,
        "buffers": list(buffers),
    }
    if "scenarios.seed" in meta["parameters"]:  # 2**64 - 1 is beyond JSON's exact integers: send text
        meta["parameters"]["scenarios.seed"]["max"] = str(PARAMETERS["scenarios.seed"].max)
    return meta, buffers


def _check_reproduces(raw: Any, basis: Any, values: dict[str, Any]) -> None:
    """The raw tables and the multipliers give the basis's rates bit for bit, as the browser computes them."""
    qx = np.minimum(raw.mort_qx * values["mortality.multiplier"], 1.0)
    lapse = np.minimum(raw.lapse_ann * values["lapse.multiplier"], 1.0)
    ok = np.array_equal(qx, basis.mort_qx) and np.array_equal(lapse, basis.lapse_ann)
    if ok and "lapse.initial" in values:
        years = np.arange(raw.lapse_ann.size, dtype=np.float64)
        rates = np.maximum(values["lapse.initial"] + values["lapse.slope"] * years, values["lapse.floor"])
        ok = np.array_equal(rates, raw.lapse_ann)
    if not ok:
        raise KernelOnlyError(f"product {basis.product!r}: its rates cannot be rebuilt from the tables and "
                              "multipliers (a rate above 1 before its multiplier?); its preview runs in the kernel")


def payload_arrays(meta: dict[str, Any], buffers: dict[str, Any] | list[Any]) -> dict[str, np.ndarray]:
    """The payload's arrays from ``meta`` and its buffers (by name, or a list in ``meta["buffers"]`` order).

    The inverse of the split in :func:`preview_payload`, as ``assemblePayload`` does in
    JavaScript: each array is its parts concatenated, read with ``meta["arrays"][name]["dtype"]``
    and reshaped to ``shape``.

    Raises
    ------
    ValueError
        Not a preview payload, a missing buffer or a size that does not match the shape.
    """
    if meta.get("format") != PAYLOAD_FORMAT:
        raise ValueError(f"not a preview payload: format {meta.get('format')!r}, expected {PAYLOAD_FORMAT!r}")
    by_name = dict(zip(meta["buffers"], buffers)) if isinstance(buffers, list) else buffers
    out = {}
    for name, spec in meta["arrays"].items():
        missing = [p for p in spec["parts"] if p not in by_name]
        if missing:
            raise ValueError(f"payload array {name}: buffer(s) {', '.join(missing)} missing")
        raw = b"".join(bytes(memoryview(by_name[p]).cast("B")) for p in spec["parts"])
        dtype = np.dtype(spec["dtype"])
        count = math.prod(spec["shape"])
        if len(raw) != count * dtype.itemsize:
            raise ValueError(f"payload array {name}: buffers hold {len(raw)} bytes, shape {spec['shape']} "
                             f"needs {count * dtype.itemsize}")
        out[name] = np.frombuffer(raw, dtype=dtype).reshape(spec["shape"])
    return out


def save_payload(meta: dict[str, Any], buffers: dict[str, np.ndarray], folder: str | Path) -> Path:
    """Write a payload to ``folder``: ``meta.json`` and ``buffer-<i>.bin`` for the i-th buffer of ``meta["buffers"]``.

    For pages that fetch the payload (benchmarks, tests) instead of receiving it
    in a widget message. Returns the folder.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(meta["buffers"]):
        (out / f"buffer-{i}.bin").write_bytes(np.ascontiguousarray(buffers[name]).tobytes())
    (out / "meta.json").write_text(json.dumps(meta))
    return out


def worker_modules() -> dict[str, str]:
    """The preview worker's ES modules (``livecalc_lab/engine/js/``), file name to source text.

    Dependencies first: each module imports only modules before it, as ``"./<name>"``,
    so a front end can turn them into ``blob:`` URLs in this order (module docstring)
    and start the worker from the last, ``preview_worker.mjs``.
    """
    from livecalc_lab.engine import ENGINE_PATH

    folder = ENGINE_PATH.parent / "js"
    return {name: (folder / name).read_text(encoding="utf-8") for name in WORKER_MODULES}
