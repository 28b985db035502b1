"""lc.assumptions.diff: parameters and tables cell by cell, rows matched by key; empty exactly when versions agree."""

from __future__ import annotations

import doctest
import importlib
import json
import math

import polars as pl
import pytest
from store_support import edited

import livecalc_lab as lc
from livecalc_lab.assumptions import Store, diff

diff_module = importlib.import_module("livecalc_lab.assumptions.diff")  # lc.assumptions.diff is the function

REL = 1e-12


def test_docstring_examples():
    assert doctest.testmod(diff_module).failed == 0


def test_one_mortality_cell():
    base = lc.demo_assumptions()
    old = base.tables["mortality"].frame.filter(pl.col("Age") == 45)["3"][0]
    new_set = base.with_changes(tables={"mortality": base.tables["mortality"].frame.with_columns(
        pl.when(pl.col("Age") == 45).then(old * 1.1).otherwise(pl.col("3")).alias("3"))})
    d = diff(base, new_set)
    assert d and not d.parameters and len(d.tables) == 1
    t = d.tables[0]
    assert (t.name, t.kind, t.n_cells, t.rows_added, t.rows_removed, t.key_columns) == \
        ("mortality", "changed", 1, 0, 0, ("Age",))
    cell = t.cells[0]
    assert (cell.key, cell.row, cell.column, cell.old, cell.new) == ({"Age": 45}, 45 - 18 + 1, "3", old, old * 1.1)
    assert cell.rel_change == pytest.approx(0.1, rel=REL) and t.max_rel_change == cell.rel_change
    text = str(d)
    assert "mortality: 1 cell(s) changed, max relative change 10.00%" in text
    assert f"Age=45, column '3': {old!r} -> {old * 1.1!r} (+10.00%)" in text


def test_many_cells_are_counted_and_the_first_listed():
    base = lc.demo_assumptions()
    mort = base.tables["mortality"].frame
    d = diff(base, base.with_changes(tables={"mortality": mort.with_columns(pl.col("0") * 0.98)}))
    t = d.tables[0]
    assert t.n_cells == mort.height and len(t.cells) == diff_module.FIRST_CELLS
    assert [c.key["Age"] for c in t.cells] == list(range(18, 18 + diff_module.FIRST_CELLS))
    assert t.max_rel_change == pytest.approx(0.02, rel=1e-9)
    assert f"... {mort.height - diff_module.FIRST_CELLS:,} more cell(s)" in str(d)


def test_parameters_and_a_decrease_are_reported():
    d = diff(edited(1.0), edited(0.8))
    assert [(p.path, p.old, p.new, p.kind) for p in d.parameters] == [
        ("products.basic_term_s.lapse.multiplier", 1.0, 0.8, "changed")]
    assert d.tables == ()
    e = diff(lc.demo_assumptions(), edited(1.0, age=30, column="0", qx=0.0003))
    c = e.tables[0].cells[0]
    assert c.new < c.old and "(-" in str(e)


def test_a_row_added_is_one_row_not_every_row():
    base = lc.demo_assumptions()
    disc = base.tables["discount"].frame
    longer = pl.concat([disc, pl.DataFrame({"year": [disc["year"].max() + 1], "zero_spot": [disc["zero_spot"][-1]]})])
    t = diff(base, base.with_changes(tables={"discount": longer})).tables[0]
    assert (t.name, t.n_cells, t.rows_added, t.rows_removed) == ("discount", 0, 1, 0)
    assert "1 row(s) added" in str(diff(base, base.with_changes(tables={"discount": longer})))


def test_a_cell_from_zero_has_an_infinite_relative_change():
    base = lc.demo_assumptions()
    disc = base.tables["discount"].frame
    assert disc["zero_spot"][0] == 0.0
    d = diff(base, base.with_changes(tables={"discount": disc.with_columns(disc["zero_spot"].scatter(0, 0.001))}))
    assert math.isinf(d.tables[0].max_rel_change)
    assert d.to_dict()["tables"][0]["maxRelChange"] == "inf"
    json.dumps(d.to_dict(), allow_nan=False)


def test_signed_zero_differs_as_the_version_does():
    base = lc.demo_assumptions()
    disc = base.tables["discount"].frame
    neg = base.with_changes(tables={"discount": disc.with_columns(disc["zero_spot"].scatter(0, -0.0))})
    assert neg.version != base.version
    assert diff(base, neg).tables[0].n_cells == 1


def test_equal_versions_have_an_empty_diff(tmp_path):
    base = lc.demo_assumptions()
    d = diff(base, lc.load_assumptions(base.save(tmp_path / "copy")))
    assert not d and d.parameters == () and d.tables == () and str(d).endswith("no changes")


def test_tables_added_and_removed(tmp_path):
    base = lc.demo_assumptions()
    m = json.loads(json.dumps(base.manifest))
    del m["tables"]["premium_rates"]
    m["products"].pop("basic_term_se")
    folder = base.save(tmp_path / "smaller")
    (folder / "assumptions.json").write_text(json.dumps(m))
    (folder / "premium_table.csv").unlink()
    smaller = lc.load_assumptions(folder)
    d = diff(base, smaller)
    assert [(t.name, t.kind) for t in d.tables] == [("premium_rates", "removed")]
    assert [(p.path, p.kind) for p in d.parameters] == [("products.basic_term_se", "removed")]
    assert [(t.name, t.kind) for t in diff(smaller, base).tables] == [("premium_rates", "added")]


def test_references_in_a_store_are_compared(home):
    store = Store()
    a = store.save(lc.demo_assumptions(), "demo")
    store.approve("demo", a, by="bob")
    store.save(edited(0.8), "demo")
    d = diff("assumptions://demo:latest", "assumptions://demo:draft")
    assert (d.old_version, d.new_version) == (a, edited(0.8).version)
    assert [p.path for p in d.parameters] == ["products.basic_term_s.lapse.multiplier"]
