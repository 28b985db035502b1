"""PreviewPanel: the latest preview — headline with its interval, statistics, and the scenario distribution.

::

    panel = PreviewPanel(ds, lc.demo_assumptions(), lc.hull_white(n=1000))
    panel                                   # shows "Preview: mean PV 1.21M ± 2.0% (95%), 10K sample"
    panel.update(assumptions=edited)        # debounced: many updates in a burst run one preview
    panel.result                            # the PreviewResult on display

Previews run on a worker thread through a :class:`~livecalc_lab.widgets._debounce.LatestRunner`
(debounced, latest wins), so the kernel stays responsive and a slow preview of
an old value never replaces a newer one.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import traitlets

from livecalc_lab.widgets import _display, _format
from livecalc_lab.widgets._assets import esm
from livecalc_lab.widgets._base import LivecalcWidget
from livecalc_lab.widgets._debounce import DEFAULT_DELAY, LatestRunner, Outcome
from livecalc_lab.widgets._inputs import Inputs

__all__ = ["PreviewPanel", "run_preview"]


def run_preview(inputs: Inputs, n: int = 10_000, sample_seed: int = 42) -> Any:
    """``lc.preview`` of ``inputs`` (the default preview function of the panel)."""
    from livecalc_lab.preview import preview

    return preview(inputs.dataset, inputs.assumptions, inputs.scenarios, inputs.product, n=n,
                   sample_seed=sample_seed)


class PreviewPanel(LivecalcWidget):
    """The preview of the current inputs, refreshed (debounced) whenever they change.

    Parameters
    ----------
    dataset : Dataset, str or None
        What to value (anything :func:`livecalc_lab.open_dataset` opens); None shows a hint.
    assumptions : AssumptionSet, str or None
        None: the bundled set.
    scenarios : ScenarioSpec or None
        None: a deterministic preview.
    product : str
    n : int
        Sample size (policies).
    sample_seed : int
    preview_fn : callable, optional
        ``preview_fn(inputs) -> PreviewResult`` (default: :func:`run_preview`, i.e. ``lc.preview``).
    delay : float
        Debounce, seconds of quiet before a preview starts.

    Attributes
    ----------
    result : PreviewResult or None
        The preview on display (always that of the latest request once it finished).
    previous : PreviewResult or None
        The one displayed before it (the headline's delta is measured against it).
    inputs : Inputs
        The inputs of the latest request.
    runner : LatestRunner
        The scheduler (its ``runs`` and ``discarded`` counters are public).
    status : str
        ``"empty"`` (no dataset), ``"pending"`` (a preview is due or running), ``"ready"`` or ``"error"``.
    """

    _esm = esm("preview_panel")

    status = traitlets.Unicode("empty").tag(sync=True)
    headline = traitlets.Unicode("").tag(sync=True)
    detail = traitlets.Unicode("").tag(sync=True)
    delta = traitlets.Unicode("").tag(sync=True)
    statistics = traitlets.List().tag(sync=True)
    hist_edges = traitlets.Bytes(b"").tag(sync=True)
    hist_counts = traitlets.Bytes(b"").tag(sync=True)
    marks = traitlets.List().tag(sync=True)
    stamp = traitlets.Dict().tag(sync=True)

    def __init__(self, dataset: Any = None, assumptions: Any = None, scenarios: Any = None,
                 product: str = "basic_term_s", *, n: int = 10_000, sample_seed: int = 42,
                 preview_fn: Callable[[Inputs], Any] | None = None, delay: float = DEFAULT_DELAY):
        super().__init__()
        from livecalc_lab.config import open_configured
        from livecalc_lab.valuation import resolve_assumptions

        self.n = n
        self.sample_seed = sample_seed
        self.preview_fn = preview_fn or (lambda inputs: run_preview(inputs, self.n, self.sample_seed))
        self.result: Any = None
        self.previous: Any = None
        self.inputs = Inputs(open_configured(dataset) if dataset is not None else None,
                             resolve_assumptions(assumptions), scenarios, product)
        self.runner: LatestRunner[Inputs, Any] = LatestRunner(self.preview_fn, self._show, delay=delay,
                                                              name="livecalc-preview")
        self._listeners: list[Callable[[Any], Any]] = []
        if self.inputs.ready:
            self.request(self.inputs)

    # ---- requests ----------------------------------------------------------------------------------

    def request(self, inputs: Inputs) -> int:
        """Ask for a preview of ``inputs`` (debounced); returns the request's number (0: no dataset yet)."""
        self.inputs = inputs
        if not inputs.ready:
            self.status = "empty"
            return 0
        number = self.runner.request(inputs)  # first: a preview finishing now is already stale
        self.status = "pending"
        return number

    def update(self, **changes: Any) -> int:
        """Change some inputs (``dataset=``, ``assumptions=``, ``scenarios=``, ``product=``) and ask for a preview."""
        return self.request(self.inputs.replace(**changes))

    def wait(self, timeout: float | None = 60) -> Any:
        """Block until the latest request is on display (or ``timeout`` seconds); returns :attr:`result`."""
        self.runner.wait_idle(timeout)
        return self.result

    def on_result(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(preview_result)`` whenever a new preview goes on display (on the worker thread)."""
        self._listeners.append(callback)

    def close(self) -> None:
        self.runner.close()
        super().close()

    # ---- display -----------------------------------------------------------------------------------

    def _show(self, outcome: Outcome[Inputs, Any]) -> None:
        """Put a finished, still-latest preview on display (runs on the worker thread)."""
        stamp = {"request": outcome.request, "taken": outcome.taken, "finished": outcome.finished}
        if outcome.error is not None:
            with self.hold_sync():
                self.status = "error"
                self.message = f"{type(outcome.error).__name__}: {outcome.error}"
                self.stamp = stamp
            return
        res = outcome.result
        self.previous, self.result = self.result, res
        with self.hold_sync():
            self.message = ""
            self.headline = _display.headline(res)
            n_scen = res.statistics.n if res.statistics is not None else 0
            scen = f", {n_scen:,} scenarios" if n_scen else ", deterministic"
            self.detail = (f"{res.sample_size:,} of {res.total_rows:,} model points{scen}; "
                           f"{_format.seconds(res.elapsed_seconds)}")
            self.delta = self._delta_text(res)
            self.statistics = _display.statistics_rows(res)
            if res.per_scenario is not None:
                edges, counts = _display.histogram(res.per_scenario["pv_net_cf"].to_numpy())
                self.hist_edges, self.hist_counts = _display.f64(edges), _display.f64(counts)
            else:
                self.hist_edges = self.hist_counts = b""
            self.marks = _display.marks(res)
            self.stamp = stamp
            self.status = "ready"
        for cb in list(self._listeners):
            cb(res)

    def _delta_text(self, res: Any) -> str:
        old = self.previous
        if old is None or not old.pv_net_cf or not math.isfinite(old.pv_net_cf):
            return ""
        change = (res.pv_net_cf - old.pv_net_cf) / abs(old.pv_net_cf)
        return f"{_format.signed_percent(change)} vs previous preview ({_format.amount(old.pv_net_cf)})"
