"""The savings product's assumption format: its tables, its manifest entry, and strict errors.

Every test that edits a set works on a copy of ``tests/data/lifelib-savings/ex2`` in ``tmp_path``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import livecalc_lab as lc
from livecalc_lab.assumptions import SavingsBasis, load_assumptions
from livecalc_lab.model import reference_savings as rs

EX2 = Path(__file__).resolve().parent.parent / "data" / "lifelib-savings" / "ex2"
EX4 = EX2.parent / "ex4"


@pytest.fixture
def ex2_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ex2"
    shutil.copytree(EX2, folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    return folder


def edit_manifest(folder: Path, change) -> None:
    path = folder / "assumptions.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def set_cell(path: Path, row: int, column: str, text: str) -> None:
    """Overwrite the cell of data row ``row`` (1 = first after the header)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index(column)
    cells = lines[row].split(",")
    cells[col] = text
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def sim(manifest: dict[str, Any], k: int = 5) -> dict[str, Any]:
    return manifest["products"][f"ex2_sim{k}"]


# --------------------------------------------------------------------------------------
# What the bundled configurations resolve to
# --------------------------------------------------------------------------------------


def test_ex2_switches():
    aset = load_assumptions(EX2)
    assert aset.products == [f"ex2_sim{k}" for k in range(1, 6)]
    b = {k: aset.basis(f"ex2_sim{k}") for k in range(1, 6)}
    assert all(isinstance(x, SavingsBasis) and x.model == "savings" for x in b.values())
    assert [x.maint_fee_rate_mth for x in b.values()] == [0.0] + [0.01 / 12] * 4
    assert [x.has_mortality for x in b.values()] == [False, False, True, True, True]
    assert [bool(x.lapse_ann.any()) for x in b.values()] == [False, False, False, True, True]
    assert [x.lapse_dynamic for x in b.values()] == [False] * 4 + [True]
    s5 = b[5]
    assert (s5.lapse_dyn_c0, s5.lapse_dyn_c1, s5.lapse_dyn_min, s5.lapse_dyn_max) == (0.0, 1.0, 0.0, np.inf)
    # max(0.1 - 0.01 * year, 0.02): lifelib's base lapse, bit for bit
    assert s5.lapse_ann[:10].tolist() == [max(0.1 - 0.01 * y, 0.02) for y in range(10)]
    assert s5.mort_outside_table == "zero" and s5.whole_life_last_age == 120
    assert s5.spec_ids == ("A", "B", "C", "D") and s5.spec_is_wl.tolist() == [False, False, True, True]
    assert s5.spec_single_premium.tolist() == [True, True, False, False]
    assert s5.spec_load_prem_rate.tolist() == [0.0, 0.0, 0.1, 0.05]
    # intended lookup: charge only where has_surr_charge (B: type_1, D: type_3)
    assert not s5.spec_surr_charge[[0, 2]].any()
    assert s5.spec_surr_charge[1, :3].tolist() == [0.1, 0.09000000000000001, 0.08000000000000002]
    assert s5.spec_surr_charge[3, :2].tolist() == [0.05, 0.04]
    assert b[1].whole_life_last_age == 120  # from whole_life_last_age: no table in sim 1


def test_ex4_lookups():
    aset = load_assumptions(EX4)
    intended, numpy_lookup = aset.basis("savings_ex4"), aset.basis("savings_ex4_numpy_lookup")
    assert intended.surr_charge_lookup == "intended" and numpy_lookup.surr_charge_lookup == "lifelib_numpy"
    # lifelib's NumPy lookup: specs without an id read type_3 of the previous row (row 0: the last cell).
    assert numpy_lookup.spec_surr_charge[0, :3].tolist() == [0.0, 0.05, 0.04]
    np.testing.assert_array_equal(numpy_lookup.spec_surr_charge[[1, 3]], intended.spec_surr_charge[[1, 3]])
    assert not intended.has_mortality and intended.whole_life_last_age == -1


def test_basis_arrays_are_read_only():
    b = load_assumptions(EX2).basis("ex2_sim5")
    with pytest.raises(ValueError):
        b.mort_qx[0, 0] = 0.5


def test_policy_spec_columns_resolve_whole_life():
    b = load_assumptions(EX2).basis("ex2_sim3")
    f = pl.DataFrame({"spec_id": ["C", "A"], "age_at_entry": [50, 50], "policy_term": [10, 10]})
    out = b.policy_spec_columns(f)
    assert out["policy_term"].to_list() == [70, 10]  # whole life: 120 - 50
    assert out["premium_type"].to_list() == ["LEVEL", "SINGLE"] and out["is_wl"].to_list() == [True, False]
    assert out["load_prem_rate"].to_list() == [0.1, 0.0] and out["spec_index"].to_list() == [2, 0]


def test_version_is_content_addressed(ex2_copy):
    assert load_assumptions(ex2_copy).version == load_assumptions(EX2).version
    set_cell(ex2_copy / "product_spec.csv", 1, "load_prem_rate", "0.01")
    assert load_assumptions(ex2_copy).version != load_assumptions(EX2).version


# --------------------------------------------------------------------------------------
# Strict errors: file, row, column, value
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "row", "text", "message"),
    [
        ("premium_type", 2, "MONTHLY", r"product_spec.csv row 2 column 'premium_type': 'MONTHLY' is not SINGLE or"),
        ("is_wl", 3, "yes", r"product_spec.csv row 3 column 'is_wl': 'yes' is not True or False"),
        ("spec_id", 4, "A", r"product_spec.csv row 4 column 'spec_id': 'A' appears more than once"),
        ("load_prem_rate", 1, "1.5", r"product_spec.csv row 1 column 'load_prem_rate': 1.5 is outside \[0.0, 1.0\]"),
        ("load_prem_rate", 1, "0.1x", r"product_spec.csv row 1 column 'load_prem_rate': '0.1x' is not a number"),
        ("surr_charge_id", 2, "", r"product_spec.csv row 2 column 'surr_charge_id': empty, but has_surr_charge is"),
    ],
)
def test_product_spec_table_errors(ex2_copy, column, row, text, message):
    set_cell(ex2_copy / "product_spec.csv", row, column, text)
    with pytest.raises(lc.AssumptionError, match=message):
        load_assumptions(ex2_copy)


@pytest.mark.parametrize(
    ("column", "row", "text", "message"),
    [
        ("type_2", 3, "1.2", r"surr_charge_table.csv row 3 column 'type_2': 1.2 is outside \[0.0, 1.0\]"),
        ("duration", 1, "1", r"surr_charge_table.csv row 2 column 'duration': 1 does not follow 1"),
        ("type_1", 5, "", r"surr_charge_table.csv row 5 column 'type_1': value is empty"),
    ],
)
def test_surrender_charge_table_errors(ex2_copy, column, row, text, message):
    set_cell(ex2_copy / "surr_charge_table.csv", row, column, text)
    with pytest.raises(lc.AssumptionError, match=message):
        load_assumptions(ex2_copy)


def test_unknown_surrender_charge_column(ex2_copy):
    set_cell(ex2_copy / "product_spec.csv", 2, "surr_charge_id", "type_9")
    with pytest.raises(lc.AssumptionError, match=r"spec 'B' names surrender charge 'type_9', which is not a column"):
        load_assumptions(ex2_copy)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: sim(m).update(lapse_rate=0.1), r"ex2_sim5: unknown key 'lapse_rate'"),
        (lambda m: sim(m).pop("fees"), r"ex2_sim5.fees: missing"),
        (lambda m: sim(m)["mortality"].update(outside_table="skip"), r"outside_table: 'skip' is not 'zero' or 'error'"),
        (lambda m: sim(m)["mortality"].update(multiplier=-1), r"mortality.multiplier: -1 is outside"),
        (lambda m: sim(m)["mortality"].update(table="discount"), r"table 'discount' is of type 'zero_spot'"),
        (lambda m: sim(m)["lapse"]["dynamic"].update(min=2.0, max=1.0), r"dynamic: min 2.0 is above max 1.0"),
        (lambda m: sim(m)["lapse"]["dynamic"].update(c2=1.0), r"dynamic: unknown key 'c2'"),
        (lambda m: sim(m)["lapse"].update(initial=1.5), r"lapse.initial: 1.5 is outside"),
        (lambda m: sim(m)["surrender_charge"].update(lookup="bogus"), r"lookup: 'bogus' is not one of intended"),
        (lambda m: sim(m).update(surrender_charge=None), r"surrender_charge: null, but spec 'B' .* has a surrender"),
        (lambda m: sim(m)["fees"].update(coi_rate="0.1"), r"fees.coi_rate: '0.1' is not a finite number"),
        (lambda m: sim(m, 1).pop("whole_life_last_age"), r"ex2_sim1: spec 'C' is whole life, but the product has no"),
        (lambda m: sim(m).update(whole_life_last_age=115), r"whole_life_last_age: 115 disagrees with the mortality"),
        (lambda m: sim(m).update(in_force="yes"), r"in_force: 'yes' is not true or false"),
    ],
    ids=[
        "unknown-key", "missing-key", "outside-table", "multiplier", "wrong-table-type", "dynamic-bounds",
        "dynamic-key", "lapse-initial", "lookup", "null-charge", "coi-text", "whole-life-no-age",
        "whole-life-disagrees", "in-force",
    ],
)  # fmt: skip
def test_product_errors(ex2_copy, change, message):
    edit_manifest(ex2_copy, change)
    with pytest.raises(lc.AssumptionError, match=message):
        load_assumptions(ex2_copy)


def test_package_table_paths_stay_inside_the_package(ex2_copy):
    edit_manifest(ex2_copy, lambda m: m["tables"]["mortality"].update(file="livecalc_lab:../pyproject.toml"))
    with pytest.raises(lc.AssumptionError, match=r"is not a path inside the livecalc_lab package"):
        load_assumptions(ex2_copy)


def test_named_rate_column_must_be_the_only_one(ex2_copy):
    edit_manifest(ex2_copy, lambda m: m["tables"]["mortality"].update(rate_column="q"))
    with pytest.raises(lc.AssumptionError, match=r"expected the one rate column 'q' besides 'age'; got \['qx'\]"):
        load_assumptions(ex2_copy)


def test_outside_table_error_mode(ex2_copy):
    """``"outside_table": "error"``: a policy exposed at an age the table lacks is a DataError."""
    edit_manifest(ex2_copy, lambda m: sim(m)["mortality"].update(outside_table="error"))
    basis = load_assumptions(ex2_copy).basis("ex2_sim5")
    pols = pl.DataFrame(
        {"policy_id": [1, 2], "spec_id": ["A", "A"], "age_at_entry": [70, 115], "policy_term": [10, 10],
         "policy_count": [1.0, 1.0], "sum_assured": [1.0, 1.0], "duration_mth": [0, 0],
         "premium_pp": [1.0, 1.0], "av_pp_init": [0.0, 0.0]}
    )  # fmt: skip
    r = np.zeros((1, 121))
    v = rs.disc_factors(121, basis)
    with pytest.raises(lc.DataError, match=r"row 2 columns 'age_at_entry', 'policy_term': attained ages 115..124"):
        rs.value(pols, basis, r, v)
    rs.value(pols.head(1), basis, r, v)  # ages 70..79 are in the table


def test_docstring_examples():
    import doctest

    import livecalc_lab.assumptions.savings as module

    result = doctest.testmod(module, verbose=False)
    assert result.attempted > 0 and result.failed == 0
