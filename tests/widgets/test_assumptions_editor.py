"""AssumptionsEditor: fields from the manifest, strict validation, grid edits, diff, saving a new version."""

from __future__ import annotations

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab.widgets import AssumptionsEditor, PreviewPanel
from livecalc_lab.widgets.assumptions_editor import parameter_fields, parse_value

from _widget_helpers import SMALL

LAPSE = "products.basic_term_s.lapse.multiplier"


def test_the_fields_are_the_numbers_of_the_products_manifest_entry_plus_the_scenario_spec():
    ed = AssumptionsEditor(None, lc.hull_white(n=100), "basic_term_s")
    ids = [f["id"] for f in ed.fields]
    assert LAPSE in ids and "products.basic_term_s.expenses.acquisition" in ids
    assert "products.basic_term_s.premium.loading" in ids and "products.basic_term_s.mortality.multiplier" in ids
    assert ids[-6:] == ["scenarios.a", "scenarios.sigma", "scenarios.fund_sigma", "scenarios.fund_excess",
                        "scenarios.n", "scenarios.seed"]
    by_id = {f["id"]: f for f in ed.fields}
    assert by_id["products.basic_term_s.expenses.maintenance_ann"]["unit"] == "per policy per year"
    assert by_id["products.basic_term_s.premium.round_decimals"]["kind"] == "int"
    assert by_id[LAPSE]["value"] == by_id[LAPSE]["saved"] == "1.0"
    assert [t["name"] for t in ed.tables] == ["mortality"] and ed.tables[0]["multiplier"].endswith("mortality.multiplier")
    savings = [f.id for f in parameter_fields(lc.demo_assumptions(), "savings_dynamic")]
    assert "products.savings_dynamic.lapse.dynamic.c1" in savings and "products.savings_dynamic.lapse.dynamic.max" not in savings


def test_a_valid_edit_makes_a_new_content_version_and_shows_in_the_diff():
    ed = AssumptionsEditor()
    saved = ed.assumptions
    assert ed.edit(LAPSE, "0.8") is None
    assert ed.assumptions.version != saved.version and ed.assumptions.parent_version == saved.version
    assert ed.assumptions.basis("basic_term_s").lapse_ann[0] == pytest.approx(0.08)
    assert ed.diff["parameters"] == [["lapse multiplier", "1.0", "0.8"]] and ed.version == ed.assumptions.version
    assert ed.edit(LAPSE, "1.0") is None  # back to the saved value: the saved version again
    assert ed.assumptions.version == saved.version and ed.diff["parameters"] == []


@pytest.mark.parametrize("text, why", [("", "not a number"), ("abc", "not a number"), ("nan", "not a number"),
                                       ("1,5", "not a number"), ("-0.5", "multiplier"), ("1e400", "not a number")])
def test_invalid_values_are_shown_beside_the_field_and_never_reach_the_engine(book, text, why):
    """Through the front end's message path: the preview function is never called with an invalid value."""
    calls = []

    def fn(inputs):
        calls.append(inputs.assumptions.manifest["products"]["basic_term_s"]["lapse"]["multiplier"])
        return lc.preview(inputs.dataset, inputs.assumptions, inputs.scenarios, n=SMALL)

    ed = AssumptionsEditor()
    panel = PreviewPanel(book, ed.assumptions, None, n=SMALL, preview_fn=fn, delay=0.05)
    panel.wait(60)
    ed.observe(lambda ch: panel.update(assumptions=ch["new"]), names="assumptions")
    before = ed.assumptions
    ed._handle({"type": "edit", "field": LAPSE, "text": text}, [])
    assert why in ed.errors[LAPSE] and ed.assumptions is before
    panel.wait(60)
    assert calls == [1.0]
    ed._handle({"type": "edit", "field": LAPSE, "text": "0.7"}, [])  # a valid value clears the error and previews
    panel.wait(60)
    assert LAPSE not in ed.errors and calls == [1.0, 0.7]
    panel.close()


def test_scenario_fields_edit_the_spec_and_are_checked_by_it():
    ed = AssumptionsEditor(None, lc.hull_white(n=100, seed=3))
    assert ed.edit("scenarios.sigma", "0.02") is None
    assert ed.scenarios == lc.hull_white(n=100, seed=3, sigma=0.02)
    assert "negative" in ed.edit("scenarios.sigma", "-0.01") and ed.scenarios.sigma == 0.02
    assert "whole number" in ed.edit("scenarios.n", "10.5")
    assert ed.edit("scenarios.n", "0") is not None and ed.scenarios.n == 100
    assert ["scenarios (Hull–White) σ, short-rate volatility", "0.01", "0.02"] in ed.diff["parameters"]


def test_a_grid_cell_edit_is_checked_strictly_and_counted_in_the_diff():
    ed = AssumptionsEditor()
    frame = ed.saved.tables["mortality"].frame
    assert ed.edit_cell("mortality", 3, "2", "0.0003") is None  # between policy years 1 and 3: select rates rise
    edited = ed.assumptions.tables["mortality"].frame
    assert edited["2"][3] == 0.0003 and edited.drop("2").equals(frame.drop("2"))
    assert ed.diff["tables"] == [["mortality", 1, frame.height * frame.width]]
    assert ed.diff["cells"] == {"mortality": [[3, "2"]]}
    err = ed.edit_cell("mortality", 4, "2", "1.5")
    assert "outside [0.0, 1.0]" in err and "row 5" in err and ed.errors == {"table:mortality:4:2": err}
    assert ed.assumptions.tables["mortality"].frame["2"][4] == frame["2"][4]
    assert "no editable cell" in ed.edit_cell("mortality", 3, "Age", "40")


def test_the_grid_is_sent_as_a_chunked_transfer_of_the_current_values(messages):
    ed = AssumptionsEditor()
    ed.edit_cell("mortality", 0, "0", "0.0002")
    messages.clear()
    ed._handle({"type": "need", "what": "table", "name": "mortality", "id": "req-1"}, [])
    chunks = [(d["content"], b) for t, d, b in messages if t == "comm_msg" and d.get("method") == "custom"]
    assert len(chunks) == 1 and chunks[0][0]["transfer"] == "req-1"
    meta = chunks[0][0]["meta"]
    values = np.frombuffer(bytes(chunks[0][1][0]), "<f8").reshape(meta["rows"], len(meta["columns"]))
    assert meta["columns"] == ["0", "1", "2", "3", "4", "5"] and meta["label_columns"] == ["Age"]
    assert values[0, 0] == 0.0002 and meta["labels"][0][0] == "18"


def test_save_as_new_version_writes_a_loadable_content_hashed_set(home):
    ed = AssumptionsEditor()
    ed.edit(LAPSE, "0.9")
    assert ed.edit_cell("mortality", 0, "0", "0.0002") is None
    version = ed.assumptions.version
    folder = ed.save_version()
    assert folder.parent == home / "assumptions" and folder.name == version.split(":")[1][:16]
    assert lc.load_assumptions(folder).version == version
    assert ed.saved.version == version and ed.diff["parameters"] == [] and ed.diff["tables"] == []
    assert ed.save_version() == folder  # the same content again: nothing new is written


def test_revert_drops_every_edit():
    ed = AssumptionsEditor(None, lc.hull_white(n=50))
    ed.edit(LAPSE, "0.3")
    ed.edit("scenarios.seed", "9")
    ed.edit("products.basic_term_s.premium.loading", "x")
    ed._handle({"type": "revert"}, [])
    assert ed.assumptions is ed.saved and ed.scenarios == lc.hull_white(n=50) and ed.errors == {}


def test_parse_value_is_strict():
    assert parse_value("1.25", "float") == 1.25 and parse_value(" -3e-2 ", "float") == -0.03
    assert parse_value("7", "int") == 7 and isinstance(parse_value("7", "float"), float)
    for bad in ("inf", "0x10", "1_000", "", "--1"):
        with pytest.raises(ValueError):
            parse_value(bad, "float")
