"""The workbench in a real browser: JupyterLab and Notebook 7 in headless Chromium, used as a user would.

JupyterLab (with the LiveCalc labextension built this session; the default, browser preview mode):
open the notebook, run it, select a dataset in the browser widget; the first preview comes from the
kernel, then the page receives the sample; change the lapse multiplier: the number changes, computed
in the page's Web Worker, and no kernel preview ran for it; ``wb.preview_result`` in the kernel
equals the numbers on the page bit for bit. Then click Full run, wait for 100% and the comparison
text, open the side panel and see the job listed, finished. Notebook 7 (``preview_mode="kernel"``):
open, run, the preview number appears, change an input, the kernel computes the new number; switch
the selector to the browser and edit again: the page computes it. Screenshots of each step go to
``build/screenshots/`` (gitignored).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import livecalc_lab as lc

from _browser import CHROMIUM, launch
from _jupyter import extension_env
from _lab import ROOT, JupyterServer, NotebookPage, kernel_eval, wait_text_change, write_notebook

SHOTS = ROOT / "build" / "screenshots"
LAPSE = "input[data-field='products.basic_term_s.lapse.multiplier']"
HEADLINE = ".lc-preview-headline"
BROWSER_READY = ".lc-preview-mode[data-engine='browser']"
# The kernel's preview on display, as the numbers the page shows: key -> repr of the float.
KERNEL_NUMBERS = """
import json
from livecalc_lab.widgets import _display
res = wb.preview_result
edges, counts = _display.histogram(res.per_scenario["pv_net_cf"].to_numpy())
print(json.dumps({"headline": _display.headline(res), "values": _display.statistic_values(res),
                  "hist_same": wb.preview.hist_edges == _display.f64(edges) and wb.preview.hist_counts == _display.f64(counts),
                  "checks": wb.preview.browser.checks, "mismatches": wb.preview.browser.mismatches,
                  "lapse": wb.assumptions.manifest["products"]["basic_term_s"]["lapse"]["multiplier"]}))
"""
PAGE_NUMBERS = """() => Object.fromEntries([...document.querySelectorAll('.lc-preview table.lc-stats tr')]
  .map((tr) => [tr.dataset.key, tr.dataset.value]))"""
PREVIEW_TEXT = re.compile(r"^Preview: mean PV -?[\d.]+[KMB]? ± \d+\.\d% \(95%\), 5K sample$")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/install-test-deps.sh)")


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The LIVECALC_HOME of the server, its kernels and the side panel (where the full run's job is recorded)."""
    return tmp_path_factory.mktemp("lab-home")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, lab_home: Path, labextension_prefix: Path):
    root = tmp_path_factory.mktemp("lab")
    book = lc.synthetic_portfolio(20_000, seed=5, out=root / "book.csv")
    chunk = book.stat().st_size // 4
    write_notebook(root / "workbench.ipynb", [
        "import livecalc_lab as lc",
        f"wb = lc.Workbench(datasets={{'book (20K synthetic)': 'book.csv'}}, scenarios=lc.hull_white(n=200), "
        f"n=5_000, workers=2, chunk_bytes={chunk})\nwb",
    ])
    write_notebook(root / "notebook7.ipynb", [
        "import livecalc_lab as lc",
        "wb = lc.Workbench('book.csv', scenarios=lc.hull_white(n=200), preview_mode='kernel')\nwb",
    ])
    with JupyterServer(root, {"LIVECALC_HOME": str(lab_home), **extension_env(labextension_prefix)}) as srv:
        yield srv


@pytest.fixture
def page():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        browser = launch(pw)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 1700})
        finally:
            browser.close()


def test_jupyterlab_select_edit_preview_full_run(server, page, lab_home):
    nb = NotebookPage(page, server, "workbench.ipynb", "lab", SHOTS)
    nb.open()
    nb.run_all()
    page.wait_for_selector(".lc-item[data-id='notebook:0']")
    nb.shot("1-opened")

    page.click(".lc-item[data-id='notebook:0']")
    page.wait_for_selector(".lc-meta[data-state='ready']", timeout=60_000)
    page.wait_for_selector(f"{HEADLINE}[data-status='ready']", timeout=60_000)
    page.wait_for_selector(".lc-preview .lc-chart .main-svg", timeout=60_000)  # plotly.js arrived and drew
    before = page.inner_text(HEADLINE)
    assert PREVIEW_TEXT.match(before), before
    assert "20,000 model points" in page.inner_text(".lc-meta")
    nb.shot("2-dataset-selected")

    assert page.get_attribute(HEADLINE, "data-source") == "kernel"  # the first preview of a dataset
    page.wait_for_selector(BROWSER_READY, timeout=60_000)  # the page's worker holds the sample
    kernel_runs = kernel_eval(page, "print(wb.preview.runner.runs)")

    page.locator(LAPSE).first.fill("0.5")
    after = wait_text_change(page, HEADLINE, before)
    assert PREVIEW_TEXT.match(after) and after != before
    assert page.get_attribute(HEADLINE, "data-source") == "browser"
    assert "lapse multiplier: 1.0 → 0.5" in page.inner_text(".lc-diff")
    assert page.inner_text(".lc-delta").endswith(")")
    assert page.inner_text(".lc-preview .lc-sub").endswith("in the browser")
    page.wait_for_selector(".lc-preview .lc-chart .main-svg")
    nb.shot("3-lapse-edited")
    assert kernel_eval(page, "print(wb.preview.runner.runs)") == kernel_runs  # no kernel preview ran for it
    shown = page.evaluate(PAGE_NUMBERS)
    kernel = json.loads(kernel_eval(page, KERNEL_NUMBERS))  # computes wb.preview_result now
    assert kernel["lapse"] == 0.5 and kernel["headline"] == after
    assert {k: float(v) for k, v in shown.items()} == kernel["values"]  # every statistic, bit for bit
    assert float(page.get_attribute(HEADLINE, "data-value")) == kernel["values"]["pv_net_cf"]
    assert kernel["hist_same"] and (kernel["checks"], kernel["mismatches"]) == (1, 0)

    page.locator(LAPSE).first.fill("-1")  # invalid: shown beside the field, the number stays
    page.wait_for_selector("[data-error-for='products.basic_term_s.lapse.multiplier']:not(:empty)")
    assert page.inner_text(HEADLINE) == after
    page.locator(LAPSE).first.fill("0.5")
    page.wait_for_selector("[data-error-for='products.basic_term_s.lapse.multiplier']:empty", state="attached")

    page.click("button.lc-run")
    page.wait_for_selector(".lc-progress-text[data-fraction='1']", timeout=120_000)
    page.wait_for_selector(".lc-comparison-headline:not(:empty)", timeout=120_000)
    page.wait_for_selector(".lc-run .lc-chart .main-svg", timeout=60_000)
    assert re.match(r"^20K / 20K policies, 100% \((\d+) / \1 chunks\)$", page.inner_text(".lc-progress-text"))
    assert re.match(r"^Preview was within \d+\.\d% of full run$", page.inner_text(".lc-comparison-headline"))
    assert re.search(r"(inside|outside) the preview's 95% interval", page.inner_text(".lc-inside"))
    assert page.locator("table.lc-comparison tr[data-key='cte95'] td").count() == 3
    nb.shot("4-full-run")
    nb.shot("5-full-run-panel", "div.lc-run")
    job_id = re.match(r"^job (j[0-9a-f]{16})\b", page.inner_text("div.lc-run .lc-note")).group(1)

    # The LiveCalc side panel lists the job the Full run button created, finished.
    page.click('.jp-SideBar.jp-mod-left li.lm-TabBar-tab[data-id="livecalc-lab-panel"]')
    item = page.locator(f'[data-testid="livecalc-panel"] [data-testid="livecalc-job-item"][data-job-id="{job_id}"]')
    item.wait_for(timeout=30_000)
    assert item.get_attribute("data-state") == "finished"
    assert item.locator('[data-testid="livecalc-job-progress"]').inner_text() == "20K / 20K policies, 100%"
    nb.shot("6-side-panel-job")
    with pytest.MonkeyPatch.context() as mp:  # the record the panel read: the job of the workbench's inputs
        mp.setenv("LIVECALC_HOME", str(lab_home))
        job = lc.attach(job_id)
    assert job.state == "finished" and job.spec.total_rows == 20_000 and job.spec.source["uri"].endswith("book.csv")
    edited = lc.load_assumptions(job.spec.assumptions["location"])
    assert edited.manifest["products"]["basic_term_s"]["lapse"]["multiplier"] == 0.5
    assert nb.errors() == []


def test_notebook7_open_run_preview_and_edit(server, page):
    nb = NotebookPage(page, server, "notebook7.ipynb", "notebook", SHOTS)
    nb.open()
    nb.run_all()
    page.wait_for_selector(f"{HEADLINE}[data-status='ready']", timeout=60_000)
    before = page.inner_text(HEADLINE)
    assert before.startswith("Preview: mean PV ") and "10K sample" in before
    nb.shot("1-preview")
    assert page.inner_text(".lc-mode-note") == "Preview runs in the kernel."
    page.locator(LAPSE).first.fill("1.5")
    after = wait_text_change(page, HEADLINE, before)
    assert after != before and page.get_attribute(HEADLINE, "data-source") == "kernel"
    page.wait_for_selector(".lc-preview .lc-chart .main-svg", timeout=60_000)
    nb.shot("2-lapse-edited")

    page.select_option("select.lc-mode", "browser")  # the selector: previews move to the page
    page.wait_for_selector(BROWSER_READY, timeout=60_000)
    runs = kernel_eval(page, "print(wb.preview.runner.runs)")
    page.locator(LAPSE).first.fill("1.25")
    final = wait_text_change(page, HEADLINE, after)
    assert page.get_attribute(HEADLINE, "data-source") == "browser"
    assert kernel_eval(page, "print(wb.preview.runner.runs)") == runs
    assert kernel_eval(page, "print(wb.preview_mode, wb.preview.browser.results)").split() == ["browser", "1"]
    nb.shot("3-browser-mode")
    assert nb.errors() == []
