"""The LiveCalc side panel in a real JupyterLab, driven by headless Chromium.

JupyterLab runs on 127.0.0.1 (``tests/_jupyter.py``'s ``JupyterServer``) with the labextension built this
session and a private LIVECALC_HOME holding a configured dataset folder and a finished
job. The test opens a notebook, opens the panel, reads the dataset tree and the job,
clicks a dataset for its metadata, inserts the workbench cell, watches a new job appear
and cancels it, inserts the job's result cell, and hides the panel (polling stops).
A screenshot of each step is saved under ``build/screenshots/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

import livecalc_lab as lc
from _browser import CHROMIUM, launch
from _jupyter import JupyterServer, extension_env
from _lab_data import make_lab_home, orphan_job
from _servers import ROOT

SHOTS = ROOT / "build" / "screenshots"
NOTEBOOK = {"cells": [{"cell_type": "code", "execution_count": None, "id": "first", "metadata": {}, "outputs": [],
                       "source": []}],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}
ACTIVE_SOURCE = "() => window.jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel.getSource()"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (the README's test command "
                                                          "installs it)")


@pytest.fixture(scope="module")
def lab(labextension_prefix: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[JupyterServer, dict]]:
    """JupyterLab serving a folder with one notebook, its LIVECALC_HOME holding datasets and a finished job."""
    root = tmp_path_factory.mktemp("lab-browser")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIVECALC_HOME", str(root / "home"))
        data = make_lab_home(root)
    notebooks = root / "notebooks"
    notebooks.mkdir()
    (notebooks / "scratch.ipynb").write_text(json.dumps(NOTEBOOK))
    with JupyterServer(notebooks, {"LIVECALC_HOME": str(data["home"]), **extension_env(labextension_prefix)}) as server:
        yield server, data


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"side-panel-{name}.png"))


def test_side_panel_lists_datasets_and_jobs_and_inserts_code(lab, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    server, data = lab
    job = data["job"]
    demo_id = f"file:{data['books'] / 'demo.csv'}"
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server.url("lab/tree/scratch.ipynb", reset=""))
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                   " && window.jupyterapp.shell.currentWidget.content", timeout=60_000)

            # 1. Open the panel from its tab in the left area: datasets grouped by source, the finished job.
            tab = page.locator('.jp-SideBar.jp-mod-left li.lm-TabBar-tab[data-id="livecalc-lab-panel"]')
            assert tab.get_attribute("title") == "LiveCalc"
            tab.click()
            panel = page.locator('[data-testid="livecalc-panel"]')
            panel.locator('[data-testid="livecalc-dataset-item"]').first.wait_for(timeout=30_000)
            assert panel.get_attribute("data-polling") == "on"
            groups = panel.locator('[data-testid="livecalc-dataset-group"]')
            assert [groups.nth(i).get_attribute("data-group") for i in range(groups.count())] == [
                "Bundled", "Configured", str(data["books"])]
            items = panel.locator('[data-testid="livecalc-dataset-item"]')
            assert [items.nth(i).get_attribute("data-dataset-id") for i in range(items.count())] == [
                "bundled:demo", "config:book", "config:gone", demo_id, f"file:{data['small']}"]
            item = panel.locator(f'[data-testid="livecalc-job-item"][data-job-id="{job.id}"]')
            item.wait_for(timeout=30_000)
            assert item.get_attribute("data-state") == "finished"
            assert item.locator('[data-testid="livecalc-job-progress"]').inner_text() == "400 / 400 policies, 100%"
            assert item.locator('[data-testid="livecalc-job-meta"]').inner_text().startswith("local · started ")
            assert item.locator('[data-testid="livecalc-job-cancel"]').is_disabled()
            shot(page, "01-panel")

            # 2. Click a dataset: its metadata and the recommendation line.
            panel.locator(f'[data-testid="livecalc-dataset-item"][data-dataset-id="{demo_id}"]').click()
            meta = panel.locator('[data-testid="livecalc-dataset-metadata"][data-state="ready"]')
            meta.wait_for(timeout=60_000)
            assert meta.locator('tr[data-field="rows"] td').inner_text() == "10,000"
            assert re.fullmatch(r"\d+(\.\d+)? KiB", meta.locator('tr[data-field="size"] td').inner_text())
            assert meta.locator('tr[data-field="columns"] td').inner_text().startswith("7: policy_id, age_at_entry")
            assert len(meta.locator('tr[data-field="version"] td').inner_text()) >= 8
            assert meta.locator('[data-testid="livecalc-dataset-recommendation"]').inner_text().startswith(
                "10.0K model points")
            shot(page, "02-metadata")

            # 3. "Open in workbench" fills the notebook's empty first cell.
            meta.locator('[data-testid="livecalc-open-workbench"]').click()
            expected = (f'import livecalc_lab as lc\nwb = lc.Workbench(lc.open_dataset('
                        f'{json.dumps(str(data["books"] / "demo.csv"))}))\nwb')
            page.wait_for_function(f"() => ({ACTIVE_SOURCE})() === {json.dumps(expected)}", timeout=30_000)
            assert page.locator(".jp-Notebook .jp-Cell").count() == 1
            shot(page, "03-workbench-cell")

            # 4. A job recorded meanwhile appears at the next poll; cancel it from the panel.
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("LIVECALC_HOME", str(data["home"]))
                orphan = orphan_job(lc.synthetic_portfolio(300, seed=21, out=tmp_path / "orphan.csv"))
            new = panel.locator(f'[data-testid="livecalc-job-item"][data-job-id="{orphan}"]')
            new.wait_for(timeout=30_000)
            assert new.get_attribute("data-state") == "submitted"
            assert new.locator('[data-testid="livecalc-job-progress"]').inner_text() == "0 / 300 policies, 0%"
            new.locator('[data-testid="livecalc-job-cancel"]').click()
            page.locator(".jp-Dialog button", has_text="Cancel job").click()
            page.wait_for_selector(f'[data-testid="livecalc-job-item"][data-job-id="{orphan}"][data-state="cancelled"]',
                                   timeout=30_000)
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("LIVECALC_HOME", str(data["home"]))
                assert lc.attach(orphan).state == "cancelled"
            shot(page, "04-job-cancelled")

            # 5. "Open result" adds a cell below that re-attaches to the finished job.
            item.locator('[data-testid="livecalc-job-open"]').click()
            expected = f'import livecalc_lab as lc\njob = lc.attach("{job.id}")\njob.result()'
            page.wait_for_function(f"() => ({ACTIVE_SOURCE})() === {json.dumps(expected)}", timeout=30_000)
            assert page.locator(".jp-Notebook .jp-Cell").count() == 2
            shot(page, "05-open-result-cell")

            # 6. Hiding the panel stops the polling.
            tab.click()
            page.wait_for_selector('[data-testid="livecalc-panel"][data-polling="off"]', state="attached",
                                   timeout=10_000)
            assert not panel.is_visible()
            shot(page, "06-panel-hidden")
        finally:
            browser.close()
