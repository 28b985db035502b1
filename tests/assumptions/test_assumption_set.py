"""Assumption sets: loading the bundled set, content versioning, strict errors, multipliers.

Every test that edits a set works on a copy of the bundled folder in ``tmp_path``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import livecalc_lab as lc

VERSION_RE = re.compile(r"sha256:[0-9a-f]{64}")
# Frozen: the bundled lifelib set's version. It changes only when its content does.
BUNDLED_VERSION = "sha256:49c51e155786bdb9a4a14ff588a2cf8daf902ed4430cfc8df8d5c749c6482657"
REL_TOTAL = 1e-9


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled assumption folder."""
    folder = tmp_path / "assumptions"
    shutil.copytree(Path(lc.demo_assumptions().path), folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "assumptions.json").read_text(encoding="utf-8"))


def write_manifest(folder: Path, manifest: dict[str, Any], **dump_kwargs: Any) -> None:
    (folder / "assumptions.json").write_text(json.dumps(manifest, **dump_kwargs), encoding="utf-8")


def set_cell(path: Path, row: int, column: str, text: str) -> None:
    """Overwrite the cell of data row ``row`` (1 = first after the header) with ``text`` as written."""
    lines = path.read_text(encoding="utf-8").splitlines()
    col = lines[0].split(",").index(column)
    cells = lines[row].split(",")
    cells[col] = text
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def reversed_keys(obj: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(obj, dict):
        return {k: reversed_keys(obj[k]) for k in reversed(list(obj))}
    if isinstance(obj, list):
        return [reversed_keys(v) for v in obj]
    return obj


# --------------------------------------------------------------------------------------
# The bundled set
# --------------------------------------------------------------------------------------


def test_bundled_set_loads_with_both_products():
    aset = lc.demo_assumptions()
    assert aset.products == ["basic_term_s", "basic_term_se", "savings_dynamic", "savings_ex4"]
    s, se = aset.basis("basic_term_s"), aset.basis("basic_term_se")
    assert (s.in_force, se.in_force) == (False, True)
    assert (s.premium_basis, se.premium_basis) == ("equivalence", "table")
    assert (s.mort_min_age, s.mort_max_age) == (18, 120)
    assert s.mort_qx.shape[1] == 6  # policy years 0..4 select, 5 ultimate


def test_bundled_lapse_is_lifelib_linear():
    lapse = lc.demo_assumptions().basis("basic_term_s").lapse_ann
    years = np.arange(len(lapse), dtype=np.float64)
    # lifelib's max(0.1 - 0.02 * duration, 0.02), in the same float64 arithmetic (0.1 - 0.04 != 0.06).
    np.testing.assert_array_equal(lapse, np.maximum(0.1 - 0.02 * years, 0.02))
    np.testing.assert_allclose(lapse[:6], [0.1, 0.08, 0.06, 0.04, 0.02, 0.02], rtol=1e-15)


def test_version_is_stable():
    a, b = lc.demo_assumptions(), lc.demo_assumptions()
    assert VERSION_RE.fullmatch(a.version)
    assert a.version == b.version == BUNDLED_VERSION
    assert a.basis("basic_term_s").assumptions_version == a.version


def test_copy_has_the_same_version(demo_copy):
    assert lc.load_assumptions(demo_copy).version == BUNDLED_VERSION
    assert lc.load_assumptions(demo_copy / "assumptions.json").version == BUNDLED_VERSION


# --------------------------------------------------------------------------------------
# Version: content, not spelling
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dump_kwargs",
    [{"indent": 4}, {"indent": None, "separators": (",", ":")}, {"indent": "\t", "ensure_ascii": False}],
    ids=["indent4", "compact", "tabs"],
)
@pytest.mark.parametrize("reorder", [False, True], ids=["same-order", "reversed-keys"])
def test_version_ignores_manifest_formatting(demo_copy, dump_kwargs, reorder):
    manifest = read_manifest(demo_copy)
    write_manifest(demo_copy, reversed_keys(manifest) if reorder else manifest, **dump_kwargs)
    assert lc.load_assumptions(demo_copy).version == BUNDLED_VERSION


def test_version_ignores_float_spelling_in_manifest(demo_copy):
    text = (demo_copy / "assumptions.json").read_text(encoding="utf-8")
    assert '"initial": 0.10' in text
    (demo_copy / "assumptions.json").write_text(text.replace('"initial": 0.10', '"initial": 1e-1'), encoding="utf-8")
    assert lc.load_assumptions(demo_copy).version == BUNDLED_VERSION


def test_version_ignores_int_vs_float_spelling_in_manifest(demo_copy):
    text = (demo_copy / "assumptions.json").read_text(encoding="utf-8")
    assert '"acquisition": 300.0' in text
    (demo_copy / "assumptions.json").write_text(text.replace('"acquisition": 300.0', '"acquisition": 300'), encoding="utf-8")
    assert lc.load_assumptions(demo_copy).version == BUNDLED_VERSION


def test_version_ignores_float_spelling_in_tables(demo_copy):
    """0.1, 1e-1 and 0.10 are one number; so is a 17-digit rate and its shortest repr."""
    versions = set()
    for spelling in ("0.1", "1e-1", "0.10", "1.0E-1", " 0.1"):
        set_cell(demo_copy / "disc_rate_ann.csv", 1, "zero_spot", spelling)
        versions.add(lc.load_assumptions(demo_copy).version)
    assert len(versions) == 1
    assert versions != {BUNDLED_VERSION}


def test_version_ignores_shortest_respelling_of_every_rate(demo_copy):
    path = demo_copy / "mort_table.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        age, *rates = line.split(",")
        out.append(",".join([age] + [repr(float(r)) for r in rates]))
    assert out != lines  # the file really is spelled differently
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    assert lc.load_assumptions(demo_copy).version == BUNDLED_VERSION


def test_version_changes_with_a_table_value(demo_copy):
    path = demo_copy / "mort_table.csv"
    qx = float(path.read_text().splitlines()[30].split(",")[3])
    set_cell(path, 30, "2", repr(float(np.nextafter(qx, 1.0))))  # one ulp
    assert lc.load_assumptions(demo_copy).version != BUNDLED_VERSION


@pytest.mark.parametrize(
    "edit",
    [
        ("basic_term_s", "premium", "loading", 0.51),
        ("basic_term_se", "expenses", "maintenance_ann", 61.0),
        ("basic_term_s", "lapse", "floor", 0.021),
        ("basic_term_se", "mortality", "multiplier", 1.05),
    ],
    ids=lambda e: ".".join(map(str, e[:3])),
)
def test_version_changes_with_a_parameter(demo_copy, edit):
    product, section, key, value = edit
    manifest = read_manifest(demo_copy)
    manifest["products"][product][section][key] = value
    write_manifest(demo_copy, manifest, indent=2)
    assert lc.load_assumptions(demo_copy).version != BUNDLED_VERSION


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


def test_missing_manifest(tmp_path):
    with pytest.raises(lc.AssumptionError, match=rf"{re.escape(str(tmp_path))}: not an assumption set \(no assumptions.json\)"):
        lc.load_assumptions(tmp_path)


def test_bad_json_gives_line_and_column(demo_copy):
    text = (demo_copy / "assumptions.json").read_text(encoding="utf-8")
    lines = text.splitlines()
    line_no = next(i for i, ln in enumerate(lines) if '"name"' in ln)
    lines[line_no] = lines[line_no].rstrip(",")  # drop a comma: error at the start of the next key
    (demo_copy / "assumptions.json").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(lc.AssumptionError, match=rf"assumptions.json: invalid JSON at line {line_no + 2} column 3"):
        lc.load_assumptions(demo_copy)


def test_wrong_format_tag(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["format"] = "livecalc-assumptions/99"
    write_manifest(demo_copy, manifest)
    with pytest.raises(lc.AssumptionError, match=r"'format' must be 'livecalc-assumptions/1'"):
        lc.load_assumptions(demo_copy)


def test_unknown_table_type(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["tables"]["mortality"]["type"] = "select_ultimte"
    write_manifest(demo_copy, manifest)
    with pytest.raises(lc.AssumptionError, match=r"tables.mortality.type: unknown table type 'select_ultimte'; known: "):
        lc.load_assumptions(demo_copy)


def test_missing_table_file(demo_copy):
    (demo_copy / "disc_rate_ann.csv").unlink()
    with pytest.raises(lc.AssumptionError, match=r"tables.discount: file '.*disc_rate_ann.csv' does not exist"):
        lc.load_assumptions(demo_copy)


@pytest.mark.parametrize(
    "file, row, column, text, fragment",
    [
        ("mort_table.csv", 3, "2", "0.000,3", None),  # a stray comma: the row gains a column
        ("mort_table.csv", 3, "2", "3e-4x", "'3e-4x' is not a number"),
        ("mort_table.csv", 7, "Age", "24.0", "'24.0' is not an integer"),
        ("disc_rate_ann.csv", 5, "zero_spot", "1,5%", None),
        ("disc_rate_ann.csv", 5, "zero_spot", "", "value is empty"),
        ("premium_table.csv", 2, "premium_rate", "n/a", "'n/a' is not a number"),
        ("premium_table.csv", 2, "premium_rate", "nan", "'nan' is not a finite number"),
    ],
    ids=["stray-comma", "qx-text", "age-decimal", "percent", "empty", "premium-na", "premium-nan"],
)
def test_malformed_number_names_file_row_column_value(demo_copy, file, row, column, text, fragment):
    set_cell(demo_copy / file, row, column, text)
    with pytest.raises(lc.AssumptionError) as info:
        lc.load_assumptions(demo_copy)
    msg = str(info.value)
    if fragment is None:  # the cell's comma splits the row: the message quotes the row as written
        assert f"{file} row {row}: " in msg
        assert text in msg and "fields but the header has" in msg
    else:
        assert f"{file} row {row} column '{column}': {fragment}" in msg


@pytest.mark.parametrize(
    "file, column, text",
    [("mort_table.csv", "3", "1.5"), ("premium_table.csv", "premium_rate", "2"), ("mort_table.csv", "0", "-0.001")],
    ids=["qx>1", "premium>1", "qx<0"],
)
def test_rate_outside_0_1(demo_copy, file, column, text):
    set_cell(demo_copy / file, 4, column, text)
    with pytest.raises(lc.AssumptionError, match=rf"{file} row 4 column '{column}': {float(text)!r} is outside \[0.0, 1.0\]"):
        lc.load_assumptions(demo_copy)


def test_select_rates_must_not_decrease_with_the_policy_year(demo_copy):
    set_cell(demo_copy / "mort_table.csv", 7, "4", "0.0002")  # age 24: below its column '3'
    with pytest.raises(lc.AssumptionError, match=r"mort_table.csv row 7 column '4': 0.0002 is below .* in column '3' "
                                              r"\(at one attained age, rates must not decrease with the policy year\)"):
        lc.load_assumptions(demo_copy)


def test_ultimate_rates_may_fall_with_age():
    ssa = lc.demo_assumptions().tables["us_ssa_2019_male"].frame["qx"]
    assert (ssa.diff().drop_nulls() < 0).any()  # infant and early-adult dips: allowed, real tables have them


def test_ages_must_be_consecutive(demo_copy):
    set_cell(demo_copy / "mort_table.csv", 10, "Age", "99")
    with pytest.raises(lc.AssumptionError, match=r"mort_table.csv row 10 column 'Age': 99 does not follow 26"):
        lc.load_assumptions(demo_copy)


def test_product_referring_to_a_missing_table(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["products"]["basic_term_se"]["premium"]["table"] = "premium_rates_2024"
    write_manifest(demo_copy, manifest)
    with pytest.raises(lc.AssumptionError, match=r"products.basic_term_se.premium.table: no table named 'premium_rates_2024'"):
        lc.load_assumptions(demo_copy)


def test_unknown_product_lists_known_products():
    with pytest.raises(lc.AssumptionError) as info:
        lc.demo_assumptions().basis("term_life")
    assert "unknown product 'term_life'" in str(info.value)
    assert "basic_term_s, basic_term_se" in str(info.value)
    with pytest.raises(lc.AssumptionError, match="basic_term_s, basic_term_se"):
        lc.run(product="term_life")


def test_negative_multiplier_is_refused(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["products"]["basic_term_s"]["mortality"]["multiplier"] = -1
    write_manifest(demo_copy, manifest)
    with pytest.raises(lc.AssumptionError, match=r"products.basic_term_s.mortality.multiplier: -1 is outside"):
        lc.load_assumptions(demo_copy)


# --------------------------------------------------------------------------------------
# Multipliers: applied to annual rates, capped at 1
# --------------------------------------------------------------------------------------


def test_lapse_multiplier_is_capped_at_one(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["products"]["basic_term_s"]["lapse"]["multiplier"] = 15.0  # 0.10 x 15 = 1.5
    write_manifest(demo_copy, manifest)
    basis = lc.load_assumptions(demo_copy).basis("basic_term_s")
    assert basis.lapse_ann.max() <= 1.0
    assert basis.lapse_ann[0] == 1.0
    assert basis.lapse_ann[-1] == pytest.approx(0.02 * 15.0, rel=1e-15)  # uncapped below 1
    result = lc.run(assumptions=demo_copy)
    assert np.isfinite(list(result.totals.values())).all()


def test_a_lapse_rate_outside_0_1_is_quoted_as_a_plain_number():
    base = lc.demo_assumptions()
    with pytest.raises(lc.AssumptionError, match=r"lapse: lapse rate 1\.1 in policy year 2 is outside \[0, 1\]$"):
        base.with_changes({"products.basic_term_s.lapse.initial": 0.5, "products.basic_term_s.lapse.slope": 0.3})
    with pytest.raises(lc.AssumptionError, match=r"mortality\.multiplier: -1\.0 is outside \[0\.0, None\]$"):
        base.with_changes({"products.basic_term_s.mortality.multiplier": np.float64(-1.0)})


def test_mortality_multiplier_is_capped_at_one(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["products"]["basic_term_s"]["mortality"]["multiplier"] = 1000.0
    write_manifest(demo_copy, manifest)
    basis = lc.load_assumptions(demo_copy).basis("basic_term_s")
    assert basis.mort_qx.max() == 1.0
    base = lc.demo_assumptions().basis("basic_term_s").mort_qx
    np.testing.assert_array_equal(basis.mort_qx, np.minimum(base * 1000.0, 1.0))


def test_mortality_multiplier_raises_claims(demo_copy):
    manifest = read_manifest(demo_copy)
    manifest["products"]["basic_term_s"]["mortality"]["multiplier"] = 1.1
    write_manifest(demo_copy, manifest)
    base = lc.run()
    heavier = lc.run(assumptions=demo_copy)
    assert heavier.assumptions_version != base.assumptions_version
    assert heavier.totals["pv_claims"] > base.totals["pv_claims"] * (1 + 100 * REL_TOTAL)
    # The equivalence premium is repriced from the heavier claims, so premiums rise too.
    assert heavier.totals["pv_premiums"] > base.totals["pv_premiums"]


def test_multiplier_one_changes_nothing_but_spelling(demo_copy):
    """'multiplier': 1.0 is the default; the bundled set spells it out."""
    manifest = read_manifest(demo_copy)
    manifest["products"]["basic_term_s"]["mortality"]["multiplier"] = 1.0
    write_manifest(demo_copy, manifest)
    assert lc.run(assumptions=demo_copy).totals == lc.run().totals


# --- editing in memory and saving -------------------------------------------------------------

def test_with_changes_gives_a_new_version_and_keeps_the_original():
    base = lc.demo_assumptions()
    edited = base.with_changes({"products.basic_term_s.lapse.multiplier": 0.8})
    assert edited.version != base.version and edited.parent_version == base.version
    assert base.manifest["products"]["basic_term_s"]["lapse"]["multiplier"] == 1.0
    assert edited.basis("basic_term_s").lapse_ann[0] == pytest.approx(0.8 * base.basis("basic_term_s").lapse_ann[0])
    back = edited.with_changes({"products.basic_term_s.lapse.multiplier": 1.0})
    assert back.version == base.version


def test_with_changes_equals_the_same_edit_made_on_disk(demo_copy):
    m = read_manifest(demo_copy)
    m["products"]["basic_term_s"]["expenses"]["maintenance_ann"] = 65.0
    write_manifest(demo_copy, m)
    set_cell(demo_copy / "mort_table.csv", 12, "2", "0.0004")
    base = lc.demo_assumptions()
    frame = base.tables["mortality"].frame
    frame = frame.with_columns(frame["2"].scatter(11, 0.0004))
    edited = base.with_changes({"products.basic_term_s.expenses.maintenance_ann": 65}, tables={"mortality": frame})
    assert edited.version == lc.load_assumptions(demo_copy).version


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"parameters": {"products.basic_term_s.lapse.multipler": 0.8}},
     "unknown parameter 'products.basic_term_s.lapse.multipler'; products.basic_term_s.lapse has basis, floor, "
     "formula, initial, multiplier, slope"),
    ({"parameters": {"products.basic_term_s.lapse.multiplier": "0.8"}},
     "parameter 'products.basic_term_s.lapse.multiplier': '0.8' is not a value like 1.0"),
    ({"parameters": {"products.basic_term_s.lapse.multiplier": -1.0}},
     "products.basic_term_s.lapse.multiplier: -1.0 is outside [0.0, None]"),
    ({"tables": {"nonesuch": None}}, "unknown table 'nonesuch'"),
])
def test_with_changes_refuses_bad_edits(kwargs, message):
    with pytest.raises(lc.AssumptionError, match=re.escape(message)):
        lc.demo_assumptions().with_changes(**kwargs)


def test_with_changes_checks_every_table_cell():
    base = lc.demo_assumptions()
    frame = base.tables["mortality"].frame
    bad = frame.with_columns(frame["2"].scatter(12, 1.2))
    with pytest.raises(lc.AssumptionError, match=re.escape("table 'mortality' (edited) row 13 column '2': 1.2 is outside [0.0, 1.0]")):
        base.with_changes(tables={"mortality": bad})


def test_save_round_trips_the_version_including_an_edited_packaged_table(tmp_path):
    base = lc.demo_assumptions()
    ssa = base.tables["us_ssa_2019_male"].frame
    edited = base.with_changes(tables={"us_ssa_2019_male": ssa.with_columns(ssa["qx"] * 0.9)})
    for aset, name in ((base, "a"), (edited, "b")):
        folder = aset.save(tmp_path / name)
        assert lc.load_assumptions(folder).version == aset.version and aset.path == folder
    assert (tmp_path / "b" / "us_ssa_2019_male.csv").is_file() and not (tmp_path / "a" / "us_ssa_2019_male.csv").exists()
    with pytest.raises(lc.AssumptionError, match="never overwritten"):
        base.save(tmp_path / "a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary folder left behind
