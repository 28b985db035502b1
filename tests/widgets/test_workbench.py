"""Workbench: the four panels share one set of inputs; its state is the Python API's objects."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

import livecalc_lab as lc
from livecalc_lab.widgets import Workbench

from _widget_helpers import SMALL

LAPSE = "products.basic_term_s.lapse.multiplier"


def _preview(inputs):
    return lc.preview(inputs.dataset, inputs.assumptions, inputs.scenarios, inputs.product, n=SMALL)


def test_selecting_a_dataset_and_editing_a_value_update_the_preview_and_the_run_panel(book):
    wb = Workbench(datasets=[book], scenarios=lc.hull_white(n=80), catalog=False, delay=0.05, preview_fn=_preview)
    assert wb.dataset is None and wb.preview_result is None and wb.job is None
    wb.browser.select("notebook:0")
    first = wb.wait(60)
    assert wb.dataset.source.uri == str(book) and first.source == wb.dataset.label
    assert wb.run.inputs.dataset is wb.dataset and wb.run.ready
    assert wb.editor._handle({"type": "edit", "field": LAPSE, "text": "0.4"}, []) is None
    second = wb.wait(60)
    assert wb.assumptions.version == second.assumptions_version != first.assumptions_version
    assert wb.preview_result is second and wb.run.inputs.assumptions is wb.assumptions
    wb.editor.edit("scenarios.n", "40")
    third = wb.wait(60)
    assert wb.scenarios.n == 40 and third.statistics.n == 40 and wb.preview.runner.runs == 3
    wb.close()


def test_a_dataset_given_to_the_workbench_is_selected_and_previewed(book):
    wb = lc.Workbench(book, None, lc.hull_white(n=50), catalog=False, delay=0.0, preview_fn=_preview)
    res = wb.wait(60)
    assert wb.browser.selected == "notebook:0" and res is not None and wb.preview.headline.startswith("Preview:")
    assert [type(c).__name__ for c in wb.children[0].children] == ["DatasetBrowser", "AssumptionsEditor"]
    assert wb.children[1] is wb.preview and wb.children[2] is wb.run
    wb.close()


def test_importing_livecalc_lab_does_not_import_the_widget_libraries():
    code = ("import sys, livecalc_lab as lc; assert 'anywidget' not in sys.modules and 'ipywidgets' not in sys.modules; "
            "W = lc.Workbench; assert 'anywidget' in sys.modules; print(W.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "livecalc_lab.widgets.workbench"


def test_a_dataset_that_cannot_be_opened_is_a_clear_error_and_nothing_is_left_half_built(tmp_path):
    with pytest.raises(lc.DataError, match="no such file"):
        lc.Workbench(tmp_path / "missing.parquet", catalog=False)
    gc.collect()  # the half-built widget is collected here: closing it must not raise
