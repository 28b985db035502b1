"""Exports of a result: the Parquet result file (exact round trip), CSV (exact numbers, guarded text), Excel."""

from __future__ import annotations

import csv
import dataclasses
import doctest
import struct

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

import livecalc_lab as lc
from livecalc_lab import _result_tables as rt
from livecalc_lab import export
from livecalc_lab.errors import DataError, LivecalcError
from livecalc_lab.preview import compare
from livecalc_lab.stats import summarise

# Doubles a text format could bend: signed zero, subnormals, extremes, 17-digit values, a negative.
AWKWARD = [-0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 14489630.534601534,
           -12.5, 1e22, 123456789.12345679, -9.999999999999999e-05]
RISKY_IDS = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tA", "\rB", "\uff1d1", "a=b", "plain"]


def bits(values) -> list[int]:
    """IEEE bit patterns (so -0.0 and 0.0 differ, and NaN equals itself)."""
    return [struct.unpack("<Q", struct.pack("<d", float(v)))[0] for v in values]


def same_frame(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.columns == b.columns and a.schema == b.schema
    for name in a.columns:
        if a[name].dtype == pl.Float64:
            assert bits(a[name].to_list()) == bits(b[name].to_list()), name
        else:
            assert a[name].to_list() == b[name].to_list(), name


def same_result(a, b) -> None:
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pl.DataFrame) or isinstance(y, pl.DataFrame):
            same_frame(x, y)
        elif f.name == "comparison":
            assert (x is None) == (y is None)
            if x is not None:
                same_frame(x.table, y.table)
                assert (x.inside, x.ci95, x.full_value) == (y.inside, y.ci95, y.full_value)
        elif f.name == "totals":
            assert list(x) == list(y) and bits(x.values()) == bits(y.values())
        elif isinstance(x, float):
            assert bits([x]) == bits([y]), f.name
        else:
            assert x == y, f.name


@pytest.fixture(scope="module")
def stochastic():
    """Term over 40 scenarios, with cashflows: every table but a comparison."""
    return lc.run(scenarios=lc.hull_white(n=40, seed=3), cashflows=True)


@pytest.fixture(scope="module")
def awkward():
    """A hand-made result whose tables hold awkward doubles and text a spreadsheet would evaluate."""
    n = len(RISKY_IDS)
    per_policy = pl.DataFrame({"policy_id": RISKY_IDS, "product": ["-term"] * n,
                               "pv_net_cf": AWKWARD[:n], "premium_pp": [-12.5] * n})
    per_scenario = pl.DataFrame({"scenario": np.arange(1, 11, dtype=np.int64), "pv_net_cf": AWKWARD})
    result = lc.ValuationResult(product="=cmd|' /C calc'!A0", n_model_points=n, n_policies=float(n),
                                totals={"pv_net_cf": -0.0, "pv_claims": 5e-324}, per_policy=per_policy,
                                assumptions_version="sha256:00", engine_version="sha256:11",
                                source="@dataset.csv", elapsed_seconds=0.1, engine_seconds=1e-6,
                                per_scenario=per_scenario, statistics=summarise([1.0, 2.5, -0.0, 0.1]),
                                pv_net_cf_ce=1.0, tvog=0.30000000000000004, data_version=None)
    return result


@pytest.fixture(scope="module")
def preview_pair(tmp_path_factory):
    """A preview of a 2,000-policy book and the comparison with its full value."""
    book = lc.synthetic_portfolio(2_000, seed=11, out=tmp_path_factory.mktemp("book") / "book.parquet")
    spec = lc.hull_white(n=30, seed=2)
    p = lc.preview(book, scenarios=spec, n=400, sample_seed=5)
    return p, compare(p, lc.run(book, scenarios=spec))


# ---- Parquet: the result file -----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["deterministic", "stochastic", "savings", "awkward", "preview"])
def test_parquet_round_trip_is_exact(which, stochastic, awkward, preview_pair, tmp_path):
    if which == "deterministic":
        result = lc.run(cashflows=True)
    elif which == "savings":
        result = lc.run(product="savings_ex4", scenarios=lc.hull_white(n=12, seed=4))
    elif which == "preview":
        result = dataclasses.replace(preview_pair[0], comparison=preview_pair[1])
    else:
        result = {"stochastic": stochastic, "awkward": awkward}[which]
    path = result.save(tmp_path / "result.parquet")
    back = lc.load_result(path)
    same_result(result, back)
    assert back.summary().equals(result.summary())


def test_parquet_rows_are_the_chosen_table_and_the_rest_comes_back(stochastic, tmp_path):
    for table in ("per_policy", "per_scenario", "cashflows", "statistics"):
        path = stochastic.to_parquet(tmp_path / f"{table}.parquet", table=table)
        same_frame(pl.read_parquet(path), rt.tables(stochastic)[table])
        same_result(stochastic, lc.load_result(path))
    assert stochastic.save(tmp_path / "default.parquet").exists()
    assert pq.read_schema(tmp_path / "default.parquet").metadata[b"livecalc.table"] == b"per_policy"


def test_parquet_metadata_names_the_inputs_and_versions(stochastic, tmp_path):
    meta = pq.read_schema(stochastic.save(tmp_path / "r.parquet")).metadata
    assert meta[b"livecalc.format"] == export.FORMAT.encode()
    expected = {
        "product": "basic_term_s", "source": stochastic.source, "data_version": stochastic.data_version,
        "assumptions_version": stochastic.assumptions_version, "engine_version": stochastic.engine_version,
        "scenario_seed": "3", "scenarios": "40", "scenarios_version": stochastic.scenarios_version,
        "abi_version": str(stochastic.abi_version), "package_version": lc.__version__,
        "elapsed_seconds": repr(stochastic.elapsed_seconds),
    }
    for key, value in expected.items():
        assert meta[f"livecalc.{key}".encode()].decode() == value, key


def test_a_file_written_to_the_documented_layout_loads(tmp_path):
    """The format, pinned: rows plus schema metadata as the module docstring describes, written by hand."""
    import json

    import pyarrow as pa

    info = {"format": export.FORMAT, "kind": "valuation", "product": "basic_term_s", "n_model_points": 2,
            "n_policies": 3.5, "totals": {"pv_premiums": 10.25, "pv_net_cf": -1.5}, "assumptions_version": "a1",
            "engine_version": "e1", "abi_version": 4, "package_version": "0.0.9", "source": "book.csv",
            "data_version": "d1", "elapsed_seconds": 0.5, "engine_seconds": 0.25, "statistics": None,
            "pv_net_cf_ce": None, "tvog": None, "guarantee_cost": None, "scenario_spec": None,
            "scenarios_version": None, "table": "per_policy", "tables": []}
    rows = pa.table({"policy_id": [7, 9], "pv_net_cf": [-2.0, 0.5]}).replace_schema_metadata(
        {"livecalc.format": export.FORMAT, "livecalc.result": json.dumps(info), "livecalc.table": "per_policy"})
    pq.write_table(rows, tmp_path / "hand.parquet")
    back = lc.load_result(tmp_path / "hand.parquet")
    assert (back.product, back.n_policies, back.totals, back.package_version) == ("basic_term_s", 3.5,
                                                                                  info["totals"], "0.0.9")
    assert back.per_policy.rows() == [(7, -2.0), (9, 0.5)] and back.statistics is None
    rows = rows.replace_schema_metadata({"livecalc.format": "livecalc-result/99"})
    pq.write_table(rows, tmp_path / "future.parquet")
    with pytest.raises(DataError, match="format 'livecalc-result/99', this version reads 'livecalc-result/1'"):
        lc.load_result(tmp_path / "future.parquet")


def test_unknown_or_absent_tables_are_refused(tmp_path):
    deterministic = lc.run()
    with pytest.raises(LivecalcError, match="'scenarios' is not one of statistics, per_policy"):
        deterministic.to_parquet(tmp_path / "x.parquet", table="scenarios")
    with pytest.raises(LivecalcError, match="no per_scenario table; it has statistics, per_policy"):
        deterministic.to_csv(tmp_path / "x.csv", table="per_scenario")
    assert list(tmp_path.iterdir()) == []


def test_load_result_names_the_file_it_cannot_use(tmp_path):
    with pytest.raises(DataError, match="missing.parquet: no such result file"):
        lc.load_result(tmp_path / "missing.parquet")
    (tmp_path / "text.parquet").write_text("policy_id,age\n1,40\n")
    with pytest.raises(DataError, match="text.parquet: not a Parquet file"):
        lc.load_result(tmp_path / "text.parquet")
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "plain.parquet")
    with pytest.raises(DataError, match="plain.parquet: not a LiveCalc result file .no 'livecalc.format'"):
        lc.load_result(tmp_path / "plain.parquet")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(stochastic, tmp_path, monkeypatch):
    path = stochastic.save(tmp_path / "r.parquet")
    before = path.read_bytes()

    def half_written(table, where, **kwargs):
        with open(where, "wb") as f:
            f.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", half_written)
    with pytest.raises(OSError, match="disk full"):
        stochastic.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.parquet"]


# ---- CSV -------------------------------------------------------------------------------------------------


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def significant_digits(text: str) -> str:
    mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "")
    return mantissa.strip("0") or "0"


def test_csv_numbers_read_back_exactly_in_shortest_form(stochastic, awkward, tmp_path):
    for result, table in ((awkward, "per_scenario"), (stochastic, "per_policy"), (stochastic, "cashflows")):
        frame = rt.tables(result)[table]
        rows = read_csv(result.to_csv(tmp_path / f"{table}.csv", table=table))
        assert rows[0] == frame.columns
        for k, name in enumerate(frame.columns):
            if frame[name].dtype != pl.Float64:
                continue
            texts = [r[k] for r in rows[1:]]
            assert bits(float(t) for t in texts) == bits(frame[name].to_list()), name
            assert [significant_digits(t) for t in texts] == [significant_digits(repr(v)) for v in frame[name]]


def test_csv_guards_text_that_a_spreadsheet_would_evaluate(awkward, tmp_path):
    rows = read_csv(awkward.to_csv(tmp_path / "pp.csv"))
    assert rows[0] == ["policy_id", "product", "pv_net_cf", "premium_pp"]
    body = rows[1:]
    assert [r[0] for r in body] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-2", "'@SUM(A1)", "'\tA", "'\rB",
                                    "'\uff1d1", "a=b", "plain"]
    assert {r[1] for r in body} == {"'-term"}
    assert {r[3] for r in body} == {"-12.5"}  # numbers are never altered
    assert body[0][2] == "-0.0"
    stats = read_csv(awkward.to_csv(tmp_path / "stats.csv", table="statistics"))
    assert stats[1] == ["pv_net_cf", "-0.0"]


def test_guard_text_examples():
    assert doctest.run_docstring_examples(export.guard_text, {"pl": pl}) is None
    out = export.guard_text(pl.DataFrame({"=x": ["-1"], "c": pl.Series(["+a"], dtype=pl.Categorical)}))
    assert out.columns == ["'=x", "c"] and out.row(0) == ("'-1", "'+a")
    assert doctest.testmod(export).failed == 0


# ---- Excel -----------------------------------------------------------------------------------------------


def test_excel_workbook_holds_metadata_statistics_and_every_table(stochastic, preview_pair, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    result = dataclasses.replace(stochastic, comparison=preview_pair[1])
    wb = openpyxl.load_workbook(result.to_excel(tmp_path / "r.xlsx"))
    assert wb.sheetnames == ["metadata", "statistics", "per_policy", "per_scenario", "cashflows", "comparison"]
    meta = [tuple(c.value for c in row) for row in wb["metadata"].iter_rows()]
    assert meta[0] == ("key", "value")
    expected = [(k, v) for k, _, v in rt.inputs(result) + rt.timings(result)]
    assert meta[1:] == expected
    got = dict(meta[1:])
    assert got["data_version"] == stochastic.data_version and got["scenario_seed"] == 3
    assert got["engine_version"].startswith("sha256:") and got["abi_version"] == stochastic.abi_version
    assert got["package_version"] == lc.__version__
    for name, frame in rt.tables(result).items():
        rows = [tuple(c.value for c in row) for row in wb[name].iter_rows()]
        assert list(rows[0]) == frame.columns, name
        for k, col in enumerate(frame.columns):
            values = [r[k] for r in rows[1:]]
            if frame[col].dtype == pl.Float64:
                assert bits(values) == bits(frame[col].to_list()), (name, col)  # 17 digits: exact
            else:
                assert values == frame[col].to_list(), (name, col)


def test_excel_keeps_text_as_text(awkward, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(awkward.to_excel(tmp_path / "a.xlsx"))
    ids = [row[0] for row in wb["per_policy"].iter_rows(min_row=2)]
    assert [c.value for c in ids] == [t.replace("\r", "\n") for t in RISKY_IDS]  # XML normalises line ends
    assert {c.data_type for c in ids} == {"s"}  # never a formula
    product = [row for row in wb["metadata"].iter_rows() if row[0].value == "product"][0][1]
    assert product.value == awkward.product and product.data_type == "s"


def test_excel_refuses_a_table_larger_than_a_sheet(stochastic, tmp_path, monkeypatch):
    pytest.importorskip("openpyxl")
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 1_000)
    with pytest.raises(LivecalcError, match="per_policy table has 10,000 rows; an Excel sheet holds 999"):
        stochastic.to_excel(tmp_path / "big.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_excel_names_the_cell_it_cannot_store(awkward, tmp_path):
    pytest.importorskip("openpyxl")
    ids = awkward.per_policy["policy_id"].to_list()
    ids[3] = "ab\x07c"
    bad = dataclasses.replace(awkward, per_policy=awkward.per_policy.with_columns(pl.Series("policy_id", ids)))
    with pytest.raises(LivecalcError, match=r"sheet 'per_policy' row 4 column 'policy_id': 'ab\\x07c' holds a control"):
        bad.to_excel(tmp_path / "bad.xlsx")
    assert list(tmp_path.iterdir()) == []
