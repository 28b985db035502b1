"""Mixed portfolios: a product column, and mortality tables with sex/smoker dimensions."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import polars as pl
import pytest

import livecalc_lab as lc
from livecalc_lab.assumptions.assumption_set import MANIFEST

DEMO = lc.demo_assumptions().path


@pytest.fixture
def aset(tmp_path):
    """The bundled set plus: a mortality table by sex (F = 0.8 x M), a product on it, and an endowment."""
    folder = tmp_path / "assumptions"
    shutil.copytree(DEMO, folder)
    mort = pl.read_csv(folder / "mort_table.csv")
    rates = [c for c in mort.columns if c != "Age"]
    female = mort.with_columns([(pl.col(c) * 0.8).alias(c) for c in rates])
    by_sex = pl.concat([mort.with_columns(sex=pl.lit("M")), female.with_columns(sex=pl.lit("F"))])
    by_sex.select(["sex", "Age", *rates]).write_csv(folder / "mort_by_sex.csv")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["tables"]["mortality_by_sex"] = {"file": "mort_by_sex.csv", "type": "select_ultimate", "basis": "annual",
                                              "age_column": "Age", "key_columns": ["sex"]}
    by_sex_product = json.loads(json.dumps(manifest["products"]["basic_term_s"]))
    by_sex_product["mortality"] = {"table": "mortality_by_sex"}
    manifest["products"]["term_by_sex"] = by_sex_product
    endowment = json.loads(json.dumps(manifest["products"]["basic_term_s"]))
    endowment["model"] = "endowment"
    manifest["products"]["endowment_s"] = endowment
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return lc.load_assumptions(folder)


def test_each_row_uses_its_sex_cell(aset):
    pols = lc.demo_policies()
    mixed = lc.run(pols, aset, "term_by_sex")
    basis = aset.basis("term_by_sex")
    assert basis.mort_keys == ("sex",) and set(basis.mort_cells) == {("M",), ("F",)}
    for sex, factor in (("M", 1.0), ("F", 0.8)):
        rows = pols.filter(pl.col("sex") == sex)
        alone = lc.run(rows.drop("sex"), aset, "basic_term_s" if factor == 1.0 else "term_by_sex") if factor == 1.0 \
            else lc.run(rows, aset, "term_by_sex")
        got = mixed.per_policy.filter(pl.col("policy_id").is_in(rows["policy_id"].implode()))
        np.testing.assert_array_equal(got["pv_net_cf"].to_numpy(), alone.per_policy["pv_net_cf"].to_numpy())
    assert mixed.pv_net_cf == math.fsum(mixed.per_policy["pv_net_cf"].to_numpy())


def test_row_order_does_not_change_a_mixed_result(aset):
    pols = lc.demo_policies()
    a = lc.run(pols, aset, "term_by_sex", scenarios=lc.hull_white(n=10, seed=4))
    b = lc.run(pols.reverse(), aset, "term_by_sex", scenarios=lc.hull_white(n=10, seed=4))
    assert a.totals == b.totals and a.per_scenario.equals(b.per_scenario)


def test_product_column_mixes_products(aset):
    pols = lc.demo_policies().with_columns(
        product=pl.when(pl.col("policy_id") % 3 == 0).then(pl.lit("endowment_s")).otherwise(pl.lit("basic_term_s")))
    mixed = lc.run(pols, aset)
    assert mixed.per_policy["product"].to_list() == pols["product"].to_list()
    for product in ("basic_term_s", "endowment_s"):
        rows = pols.filter(pl.col("product") == product).drop("product")
        alone = lc.run(rows, aset, product)
        got = mixed.per_policy.filter(pl.col("product") == product)
        np.testing.assert_array_equal(got["pv_claims"].to_numpy(), alone.per_policy["pv_claims"].to_numpy())
    assert mixed.pv_net_cf == math.fsum(mixed.per_policy["pv_net_cf"].to_numpy())
    # endowments pay the sum assured at maturity: more claims than the same rows as term
    endow = mixed.per_policy.filter(pl.col("product") == "endowment_s")["pv_claims"].sum()
    as_term = lc.run(pols.filter(pl.col("product") == "endowment_s").drop("product"), aset).totals["pv_claims"]
    assert endow > as_term


def test_unknown_product_in_the_column_names_the_row(aset):
    pols = lc.demo_policies().head(5).with_columns(product=pl.Series(["basic_term_s"] * 3 + ["annuity", "basic_term_s"]))
    with pytest.raises(lc.DataError, match=r"row 4 column 'product': 'annuity' is not a product"):
        lc.run(pols, aset)


def test_sex_cell_missing_from_the_table_names_row_column_and_value(aset):
    pols = lc.demo_policies().head(4).with_columns(sex=pl.Series(["M", "F", "X", "M"]))
    with pytest.raises(lc.DataError, match=r"row 3 column 'sex': 'X' is not a cell"):
        lc.run(pols, aset, "term_by_sex")


def test_a_table_with_a_sex_dimension_needs_a_sex_column(aset):
    with pytest.raises(lc.DataError, match=r"has a mortality table by sex, but the policies have no 'sex' column"):
        lc.run(lc.demo_policies().drop("sex"), aset, "term_by_sex")
