"""A Jupyter server on 127.0.0.1 and a notebook driven in headless Chromium, for the widget tests and
``bench/preview_latency.py``.

``JupyterServer`` (from ``tests/_jupyter.py``, shared with the side panel's tests) starts
``jupyter lab`` (which also serves Notebook 7's ``/notebooks/`` pages) from this interpreter with
the repository on ``PYTHONPATH``, a private ``LIVECALC_HOME`` and private Jupyter settings/workspace
folders, so nothing of the user's setup leaks in or out.
``NotebookPage`` opens a notebook in JupyterLab or Notebook 7 through ``window.jupyterapp``
(``expose_app_in_browser``), runs it and waits for the kernel.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from _jupyter import JupyterServer  # noqa: E402,F401 - the shared server helper, re-exported for the widget tests

def write_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code ``cells`` with the ``python3`` kernel (no kernel picker on opening)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle' && !!w.content;
}"""

_ALL_RAN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session.kernel;
  const cells = w.content.widgets.filter((c) => c.model.type === 'code');
  return k.status === 'idle' && cells.every((c) => c.model.executionCount !== null);
}"""

_ERRORS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const out = [];
  for (const c of w.content.widgets) {
    if (c.model.type !== 'code') continue;
    for (let i = 0; i < c.model.outputs.length; i++) {
      const o = c.model.outputs.get(i).toJSON();
      if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
      if (o.output_type === 'stream' && o.name === 'stderr') out.push('stderr: ' + o.text);
    }
  }
  return out;
}"""


class NotebookPage:
    """A notebook opened in JupyterLab (``app="lab"``) or Notebook 7 (``app="notebook"``).

    Parameters
    ----------
    page : playwright Page
    server : JupyterServer
    notebook : str
        Path of the notebook relative to the server root.
    app : {"lab", "notebook"}
    shots : Path, optional
        Folder for :meth:`shot` screenshots.
    """

    def __init__(self, page: Any, server: JupyterServer, notebook: str, app: str = "lab",
                 shots: Path | None = None):
        self.page = page
        self.server = server
        self.notebook = notebook
        self.app = app
        self.shots = shots
        self.n_shots = 0

    def open(self, timeout: float = 60_000) -> None:
        """Open the notebook and wait for its kernel to be idle."""
        path = f"lab/tree/{self.notebook}" if self.app == "lab" else f"notebooks/{self.notebook}"
        self.page.goto(self.server.url(path, reset="") if self.app == "lab" else self.server.url(path))
        self.page.wait_for_function(_KERNEL_IDLE, timeout=timeout)

    def run_all(self, timeout: float = 120_000) -> None:
        """Run every cell and wait until all have run and the kernel is idle; fails on an error output."""
        self.page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(_ALL_RAN, timeout=timeout, polling=200)
        errors = self.errors()
        if errors:
            raise AssertionError("the notebook raised: " + "\n".join(errors))

    def errors(self) -> list[str]:
        """Error and stderr outputs of the notebook's cells."""
        return list(self.page.evaluate(_ERRORS))

    def shot(self, name: str, selector: str | None = None) -> Path | None:
        """Save a screenshot ``<nn>-<app>-<name>.png`` under :attr:`shots`: the page, or one element."""
        if self.shots is None:
            return None
        self.shots.mkdir(parents=True, exist_ok=True)
        self.n_shots += 1
        path = self.shots / f"{self.n_shots:02d}-{self.app}-{name}.png"
        if selector is None:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            self.page.locator(selector).first.screenshot(path=str(path))
        return path


_KERNEL_EVAL = """async (code) => {
  const w = window.jupyterapp.shell.currentWidget;
  const future = w.sessionContext.session.kernel.requestExecute({ code, silent: false, store_history: false });
  let out = "";
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === "stream") out += msg.content.text;
    if (msg.header.msg_type === "error") out += `ERROR ${msg.content.ename}: ${msg.content.evalue}`;
  };
  await future.done;
  return out;
}"""


def kernel_eval(page: Any, code: str) -> str:
    """Run ``code`` in the open notebook's kernel (not as a cell) and return what it printed.

    Raises AssertionError when it raised.
    """
    out = str(page.evaluate(_KERNEL_EVAL, code))
    if "ERROR " in out:
        raise AssertionError(f"kernel code raised: {out}")
    return out


def wait_text_change(page: Any, selector: str, old: str, timeout: float = 60_000) -> str:
    """Wait until the text of ``selector`` differs from ``old`` (and is not a placeholder); return it."""
    page.wait_for_function(
        """([sel, old]) => { const e = document.querySelector(sel);
             return !!e && e.textContent !== old && e.dataset.status === 'ready'; }""",
        arg=[selector, old], timeout=timeout, polling="raf")
    return page.eval_on_selector(selector, "e => e.textContent")


def pause(seconds: float) -> None:
    time.sleep(seconds)
