"""The notebooks' conventions: stored executed, with a header; volatile output masked, numbers kept.

nbval itself runs the notebooks (``notebooks/conftest.py``); these checks keep them fit for it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def sanitize(text: str) -> str:
    patterns = get_sanitize_patterns((ROOT / "notebooks" / "sanitize.cfg").read_text())
    assert patterns, "sanitize.cfg holds no regex/replace pairs"
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:5] == ["01_quickstart.ipynb", "02_stochastic_report.ipynb",
                                               "03_preview_vs_full.ipynb", "04_cloud_data.ipynb",
                                               "05_workbench.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_executed_with_its_header(path):
    nb = nbformat.read(path, as_version=4)
    head = nb.cells[0]
    assert head.cell_type == "markdown"
    assert "**What this shows.**" in head.source and "**How long it takes.**" in head.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "run top to bottom once (python notebooks/execute.py)"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert str(ROOT) not in nbformat.writes(nb), "an absolute path of this checkout is stored"
    assert "widgets" not in nb.metadata, "widget state is stored (python notebooks/execute.py leaves it out)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_only_widget_views_escape_comparison(path):
    nb = nbformat.read(path, as_version=4)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert "NBVAL_IGNORE_OUTPUT" not in cell.source and "NBVAL_SKIP" not in cell.source, k
        tags = set(cell.metadata.get("tags", []))
        assert not tags & {"nbval-skip", "raises-exception"}, k
        if "nbval-ignore-output" in tags:
            assert any(WIDGET_VIEW in o.get("data", {}) for o in cell.outputs), f"cell {k} ignores non-widget output"


def test_sanitize_masks_volatile_text_and_keeps_numbers():
    volatile = {
        "/tmp/pytest-of-root/pytest-7/notebooks0/tmp/tmpab12/book.parquet": "<tmp>",
        "/var/folders/x1/T/tmpq/book.parquet": "<tmp>",
        "/home/ci/src/livecalc-lab/livecalc_lab/demo/policies/model_point_table.csv":
            "<livecalc_lab>/demo/policies/model_point_table.csv",
        "job je283dc8e2c908ed5 finished": "job <job id> finished",
        "http://127.0.0.1:53117/datasets/book": "http://127.0.0.1:<port>/datasets/book",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl": "Bearer <token>",
        "<Workbench at 0x7f3a2c1d9e50>": "<Workbench at 0x<address>>",
        "full run in 12.34 s": "full run in <t> s",
        "| Elapsed (s) | 0.245 |": "| Elapsed (s) | <t> |",
        "sha256:0ac9025e6217d8f32b5cd1921dfd8c75286be5fd621009cc7728214500278914": "sha256:<hash>",
        "xxh3:29d7a6448572a906d4280470c6f795f3": "xxh3:<hash>",
        "| livecalc-lab version | 0.1.0 |": "| livecalc-lab version | <version> |",
        "livecalc_lab-0.1.0-py3-none-any.whl": "livecalc_lab-<version>-py3-none-any.whl",
    }
    for text, masked in volatile.items():
        assert sanitize(text) == masked, text
    kept = ["pv_net_cf = 14,489,630.53", "relative difference from lifelib: -6.4e-16", "± 3.57% (95%: 288,117,013",
            "│ 1    ┆ 0.994481 ┆ 0.994669  ┆ 0.000181 ┆ 1.038663 │", "19 of 20 intervals cover the full value",
            "'pv_net_cf': 14489630.534601534}", "id_checksum 6853355721166699055", "| n | 1,000 |"]
    for text in kept:
        assert sanitize(text) == text, text
