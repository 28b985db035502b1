"""Serialised forms of a set — files, JSON, Arrow — come back to the same version, and are checked like files."""

from __future__ import annotations

import json

import pytest
from store_support import edited

import livecalc_lab as lc
from livecalc_lab.assumptions.assumption_set import table_as_text
from livecalc_lab.assumptions.serial import (
    build_set,
    raw_table_from_json,
    read_files,
    set_arrow,
    set_files,
    set_from_arrow,
    set_from_json,
    set_json,
    text_cell,
)
from livecalc_lab.errors import AssumptionError


def test_files_json_and_arrow_round_trip_every_table_type():
    aset = edited(0.8, age=40, qx=0.0012)
    files = set_files(aset, packaged_copies=True)
    assert list(files)[-1] == "assumptions.json" and ".packaged/us_ssa_2019_male.csv" in files
    assert read_files(files.get, "files", expect_version=aset.version).version == aset.version
    body = json.loads(json.dumps(set_json(aset)))  # through JSON text, as over HTTP
    assert set_from_json(body["manifest"], body["tables"], "json").version == aset.version
    back, fields = set_from_arrow(set_arrow(aset, {"note": "x"}), "arrow")
    assert back.version == aset.version and fields == {"note": "x"}
    assert back.tables["savings_specs"].frame.schema == aset.tables["savings_specs"].frame.schema


def test_cells_are_text_as_a_csv_file_would_hold_them():
    assert [text_cell(v, "here") for v in (None, True, 18, 0.1, 1e-300, -0.0, "SINGLE")] == \
        [None, "True", "18", "0.1", "1e-300", "-0.0", "SINGLE"]
    with pytest.raises(AssumptionError, match=r"here: \{'a': 1\} is not a number, text, boolean or empty"):
        text_cell({"a": 1}, "here")
    numbers_as_text = {"columns": ["year", "zero_spot"], "rows": [["0", "0.0"], [1, "0.01"]]}
    assert raw_table_from_json("discount", numbers_as_text, "body")["zero_spot"].to_list() == ["0.0", "0.01"]


@pytest.mark.parametrize(("table", "message"), [
    ({"columns": [], "rows": []}, "columns must be a non-empty list"),
    ({"columns": ["year", "year"], "rows": []}, "column 'year' appears more than once"),
    ({"columns": ["year"], "rows": [[0], [1, 2]]}, "row 2: 2 cells, but the table has 1 columns"),
    ({"columns": ["year"], "rows": [[[0]]]}, "row 1 column 'year': [0] is not a number"),
    ({"columns": ["year"], "rows": "0,1"}, "rows must be a list"),
])
def test_json_tables_must_have_a_shape(table, message):
    with pytest.raises(AssumptionError) as err:
        raw_table_from_json("discount", table, "body")
    assert message in str(err.value)


def test_a_changed_packaged_table_is_refused_adopted_or_trusted():
    base = lc.demo_assumptions()
    raw = {n: table_as_text(t.frame) for n, t in base.tables.items()}
    assert build_set(base.manifest, raw, "x").version == base.version  # unchanged: fine in every mode
    ssa = raw["us_ssa_2019_male"]
    raw["us_ssa_2019_male"] = ssa.with_columns(ssa["qx"].scatter(3, "0.0005"))
    with pytest.raises(AssumptionError, match="differ from the packaged file"):
        build_set(base.manifest, raw, "x", packaged="check")
    adopted = build_set(base.manifest, raw, "x", packaged="adopt")
    assert adopted.manifest["tables"]["us_ssa_2019_male"]["file"] == "us_ssa_2019_male.csv"
    assert base.manifest["tables"]["us_ssa_2019_male"]["file"].startswith("livecalc_lab:")  # the input is not modified
    trusted = build_set(base.manifest, raw, "x", packaged="trust")
    assert trusted.tables["us_ssa_2019_male"].frame["qx"][3] == 0.0005
    assert trusted.manifest["tables"]["us_ssa_2019_male"]["file"].startswith("livecalc_lab:")


def test_table_files_stay_inside_the_folder():
    base = lc.demo_assumptions()
    for bad in ("../escape.csv", "/etc/x.csv", "assumptions.json", ".packaged/x.csv"):
        manifest = json.loads(json.dumps(base.manifest))
        manifest["tables"]["discount"]["file"] = bad
        aset = lc.AssumptionSet(manifest, base.tables)
        with pytest.raises(AssumptionError, match="is not a path inside the set's folder"):
            set_files(aset, packaged_copies=False)
