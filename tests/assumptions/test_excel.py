"""Excel round trip: the same version back, edits in the workbook become a child version, bad cells are refused."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl
import pytest
from store_support import edited

import livecalc_lab as lc
from livecalc_lab.assumptions import Store, export_excel, import_excel
from livecalc_lab.errors import AssumptionError


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled set as a workbook (read-only: tests that edit it work on a copy)."""
    return export_excel(lc.demo_assumptions(), tmp_path_factory.mktemp("xlsx") / "demo.xlsx")


def sheets_and_about(path: Path) -> tuple[list[str], dict[str, object]]:
    """The sheet names and the about sheet's key/value rows (the workbook closed again)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb.sheetnames, dict(wb["about"].iter_rows(min_row=2, max_col=2, values_only=True))
    finally:
        wb.close()


def edit(workbook: Path, out: Path, sheet: str, cell: str, value: object) -> Path:
    wb = openpyxl.load_workbook(workbook)
    wb[sheet][cell] = value
    wb.save(out)
    return out


def test_the_round_trip_keeps_the_version(workbook):
    back = import_excel(workbook)
    assert back.version == lc.demo_assumptions().version and back.parent_version is None
    sheets, about = sheets_and_about(workbook)
    assert sheets == ["about", "manifest", *lc.demo_assumptions().tables]
    assert about["version"] == back.version and about["format"] == "livecalc-assumptions-workbook/1"


def test_floats_that_need_17_digits_negative_zero_and_booleans_survive(tmp_path):
    base = lc.demo_assumptions()
    surr = base.tables["savings_surrender_charge"].frame
    assert surr["type_1"][1] == 0.09000000000000001  # "%.16g" would write 0.09
    disc = base.tables["discount"].frame
    aset = base.with_changes(tables={"discount": disc.with_columns(disc["zero_spot"].scatter(0, -0.0))})
    back = import_excel(export_excel(aset, tmp_path / "x.xlsx"))
    assert back.version == aset.version
    assert back.tables["savings_specs"].frame["has_surr_charge"].dtype == pl.Boolean


def test_an_edited_cell_is_a_child_version(workbook, tmp_path):
    out = edit(workbook, tmp_path / "edited.xlsx", "mortality", "G14", 0.0006)  # Age 30, ultimate column "5"
    back = import_excel(out)
    assert back.version == edited(1.0, age=30, column="5", qx=0.0006).version
    assert back.parent_version == lc.demo_assumptions().version
    d = lc.assumptions.diff(lc.demo_assumptions(), back)
    assert [(c.key, c.column, c.new) for c in d.tables[0].cells] == [({"Age": 30}, "5", 0.0006)]


def test_an_edited_parameter_keeps_its_type(workbook, tmp_path):
    wb = openpyxl.load_workbook(workbook)
    ws = wb["manifest"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "/products/basic_term_s/lapse/multiplier")
    assert row[1].value == "number"
    row[2].value = 0.8
    wb.save(tmp_path / "param.xlsx")
    assert import_excel(tmp_path / "param.xlsx").version == edited(0.8).version
    row[2].value = "eighty percent"
    wb.save(tmp_path / "bad.xlsx")
    with pytest.raises(AssumptionError, match=r"sheet 'manifest' row \d+ \(/products/basic_term_s/lapse/multiplier\): "
                                              r"'eighty percent' is not a number"):
        import_excel(tmp_path / "bad.xlsx")


@pytest.mark.parametrize(("cell", "value", "message"), [
    ("D4", 1.2, r"table 'mortality' row 3 column '2': 1.2 is outside \[0.0, 1.0\]"),
    ("D4", "abc", r"table 'mortality' row 3 column '2': 'abc' is not a number"),
    ("A4", None, r"table 'mortality' row 3 column 'Age': value is empty"),
    ("E4", 0.0001, r"table 'mortality' row 3 column '3': 0.0001 is below .* in column '2'"),
], ids=["probability-1.2", "non-numeric", "missing-age", "select-rates-decrease"])
def test_malformed_cells_are_refused_with_table_row_column_value(workbook, tmp_path, cell, value, message):
    out = edit(workbook, tmp_path / "bad.xlsx", "mortality", cell, value)
    with pytest.raises(AssumptionError, match=message):
        import_excel(out)


def test_an_edited_packaged_table_becomes_the_sets_own(workbook, tmp_path):
    out = edit(workbook, tmp_path / "ssa.xlsx", "us_ssa_2019_male", "B50", 0.003)
    back = import_excel(out)
    assert back.manifest["tables"]["us_ssa_2019_male"]["file"] == "us_ssa_2019_male.csv"
    assert lc.load_assumptions(back.save(tmp_path / "folder")).version == back.version


def test_sheets_must_match_the_manifest(workbook, tmp_path):
    wb = openpyxl.load_workbook(workbook)
    wb.create_sheet("notes")
    wb.save(tmp_path / "extra.xlsx")
    with pytest.raises(AssumptionError, match="sheet\\(s\\) 'notes' are not tables of the manifest"):
        import_excel(tmp_path / "extra.xlsx")
    del wb["notes"], wb["premium_rates"]
    wb.save(tmp_path / "missing.xlsx")
    with pytest.raises(AssumptionError, match="no data for table\\(s\\) 'premium_rates'"):
        import_excel(tmp_path / "missing.xlsx")
    with pytest.raises(AssumptionError, match="not an Excel workbook"):
        import_excel(Path(lc.demo_assumptions().path) / "mort_table.csv")


def test_a_stored_version_exports_by_reference(home, tmp_path):
    v = Store().save(edited(0.8), "demo", "lapse study")
    out = export_excel(f"assumptions://demo:{v}", tmp_path / "v.xlsx")
    about = sheets_and_about(out)[1]
    assert about["ref"] == f"assumptions://demo:{v}" and import_excel(out).version == v
