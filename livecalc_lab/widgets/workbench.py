"""Workbench: the dataset browser, the assumptions editor, the preview and the full run, wired together.

::

    wb = lc.Workbench(dataset, assumptions, lc.hull_white(n=1000))
    wb                          # the four panels in the notebook
    wb.dataset, wb.assumptions, wb.scenarios    # the current inputs (Python objects)
    wb.preview_result           # the PreviewResult on display
    wb.job                      # the full run's Job (None before one)

Choosing a dataset, editing a value or a table cell updates the inputs; each
change asks the preview panel for a preview (debounced, latest wins) and tells
the run panel, which re-attaches to a job of the new inputs if one exists.

Where previews run (``preview_mode``, and the panel's "Preview runs in" selector)
---------------------------------------------------------------------------------
``"browser"`` (the default): the kernel sends the preview's sample, tables and
scenario spec to the page once, and an edit of a value in the assumptions editor
is previewed by a Web Worker in the page, without a kernel round trip; the edit
still reaches the kernel (which validates it: ``wb.assumptions`` follows the
editor), and ``wb.preview_result`` is computed lazily in the kernel from the same
inputs and checked equal to what the page showed. The first preview of a dataset,
a table cell edit and anything else the worker cannot express run in the kernel
while a new sample is sent. Products the browser cannot preview (savings: every
edit is P x S x T work; mortality by cell; scenarios read from files) stay in the
kernel, and the panel says why. The browser is the default because it is where
an edit costs least: the worker answers in about a third of the kernel's time
(``bench/preview_latency.py``) and the kernel stays free for the notebook.

``"kernel"``: every preview runs in the kernel (``lc.preview`` on a thread), as
for a front end that cannot start a Web Worker.
"""

from __future__ import annotations

from typing import Any

import ipywidgets

from livecalc_lab.widgets._inputs import Inputs
from livecalc_lab.widgets.assumptions_editor import AssumptionsEditor
from livecalc_lab.widgets.dataset_browser import DatasetBrowser
from livecalc_lab.widgets.preview_panel import PreviewPanel
from livecalc_lab.widgets.run_panel import RunPanel

__all__ = ["Workbench"]


class Workbench(ipywidgets.VBox):
    """The workbench: four panels sharing one set of inputs.

    Parameters
    ----------
    dataset : Dataset, str or None
        Initially selected (listed in the browser as a dataset of this notebook).
    assumptions : AssumptionSet, str or None
        None: the bundled set.
    scenarios : ScenarioSpec or None
        None: ``lc.hull_white(n=1000)`` (the editor shows its parameters).
    product : str
    datasets : list or dict, optional
        More datasets of this notebook for the browser.
    catalog : bool
        List the catalog in the browser.
    backend : str or backend object, optional
        The run panel's initial backend.
    n : int
        Preview sample size (policies).
    delay : float
        Preview debounce in seconds (default 0.3).
    preview_fn : callable, optional
        Replaces ``lc.preview`` (tests, or another engine).
    preview_mode : {"browser", "kernel"}
        Where the previews of edits run (module docstring); "browser" falls back to the kernel,
        with a note, where the browser cannot preview.
    **run_options
        ``workers``, ``chunk_bytes``: passed to :class:`RunPanel` (and so to ``lc.submit``).

    Attributes
    ----------
    browser : DatasetBrowser
    editor : AssumptionsEditor
    preview : PreviewPanel
    run : RunPanel
    """

    def __init__(self, dataset: Any = None, assumptions: Any = None, scenarios: Any = None,
                 product: str = "basic_term_s", *, datasets: Any = None, catalog: bool = True, backend: Any = None,
                 n: int = 10_000, delay: float | None = None, preview_fn: Any = None,
                 preview_mode: str = "browser", **run_options: Any):
        from livecalc_lab.assumptions import ProductBasis
        from livecalc_lab.config import open_configured
        from livecalc_lab.model.scenarios import hull_white

        scenarios = hull_white(n=1000) if scenarios is None else scenarios
        opened = open_configured(dataset) if dataset is not None else None
        listed: Any = dict(datasets) if isinstance(datasets, dict) else list(datasets or [])
        if opened is not None:
            listed = {opened.label: opened, **listed} if isinstance(listed, dict) else [opened, *listed]
        self.editor = AssumptionsEditor(assumptions, scenarios, product)
        kind = "term" if isinstance(self.editor.saved.basis(product), ProductBasis) else "savings"
        self.browser = DatasetBrowser(listed, catalog=catalog, product_kind=kind,
                                      scenarios=scenarios.n if scenarios is not None else 0)
        options: dict[str, Any] = {"preview_fn": preview_fn, "n": n, "preview_mode": preview_mode}
        if delay is not None:
            options["delay"] = delay
        self.preview = PreviewPanel(None, self.editor.assumptions, scenarios, product, **options)
        self.editor.link = self.preview.link  # the editor's front end sends field values to the preview's
        self.run = RunPanel(None, self.editor.assumptions, scenarios, product, backend=backend, preview=self.preview,
                            **run_options)
        self.product = product
        self.browser.observe(self._changed, names="dataset")
        self.editor.observe(self._changed, names=["assumptions", "scenarios"])
        top = ipywidgets.HBox([self.browser, self.editor],
                              layout=ipywidgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.browser.layout = ipywidgets.Layout(flex="1 1 300px", min_width="260px", margin="0 8px 8px 0")
        self.editor.layout = ipywidgets.Layout(flex="2 1 420px", min_width="320px", margin="0 0 8px 0")
        self.preview.layout = ipywidgets.Layout(margin="0 0 8px 0")
        super().__init__([top, self.preview, self.run], layout=ipywidgets.Layout(width="100%"))
        if opened is not None:
            self.browser.select("notebook:0")

    # ---- the inputs, as Python objects -------------------------------------------------------------------

    @property
    def dataset(self) -> Any:
        """The selected dataset (a Dataset), or None."""
        return self.browser.dataset

    @property
    def assumptions(self) -> Any:
        """The current (edited) AssumptionSet."""
        return self.editor.assumptions

    @property
    def scenarios(self) -> Any:
        """The current ScenarioSpec."""
        return self.editor.scenarios

    @property
    def inputs(self) -> Inputs:
        return Inputs(self.dataset, self.assumptions, self.scenarios, self.product)

    @property
    def preview_result(self) -> Any:
        """The PreviewResult on display (None before the first)."""
        return self.preview.result

    @property
    def preview_mode(self) -> str:
        """Where the previews of edits run: ``"browser"`` or ``"kernel"`` (settable)."""
        return self.preview.preview_mode

    @preview_mode.setter
    def preview_mode(self, mode: str) -> None:
        self.preview.preview_mode = mode

    @property
    def job(self) -> Any:
        """The full run's Job on display (None before one)."""
        return self.run.job

    def wait(self, timeout: float | None = 60) -> Any:
        """Block until the dataset's metadata is read and the latest preview is on display; returns it.

        Edits are debounced (``delay``), so right after an edit the preview on display may still be
        the previous one: wait for the preview of the current inputs before reading
        :attr:`preview_result` in code. ``wb.run.wait()`` does the same for a full run.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most for each of the two (None: no limit).

        Returns
        -------
        PreviewResult or None
            :attr:`preview_result`: None before any preview; after a timeout, whatever is on display
            (possibly the preview of earlier inputs).
        """
        self.browser.wait(timeout)
        return self.preview.wait(timeout)

    def _changed(self, _change: Any = None) -> None:
        inputs = self.inputs
        self.preview.request(inputs, seq=self.editor.seq)
        self.run.set_inputs(inputs)

    def close(self) -> None:
        """Close the four panels (their worker threads stop) and the workbench's view."""
        for name in ("browser", "editor", "preview", "run"):
            panel = getattr(self, name, None)  # absent when __init__ failed (then ipywidgets still closes it)
            if panel is not None:
                panel.close()
        super().close()
