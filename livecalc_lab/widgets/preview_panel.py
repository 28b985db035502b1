"""PreviewPanel: the latest preview — headline with its interval, statistics, and the scenario distribution.

::

    panel = PreviewPanel(ds, lc.demo_assumptions(), lc.hull_white(n=1000))
    panel                                   # shows "Preview: mean PV 1.21M ± 2.0% (95%), 10K sample"
    panel.update(assumptions=edited)        # debounced: many updates in a burst run one preview
    panel.result                            # the PreviewResult on display

Previews run on a worker thread through a :class:`~livecalc_lab.widgets._debounce.LatestRunner`
(debounced, latest wins), so the kernel stays responsive and a slow preview of
an old value never replaces a newer one.

``preview_mode="browser"`` (the :class:`~livecalc_lab.widgets.Workbench`'s default) previews
the assumptions editor's edits in a Web Worker in the page instead, from a sample the kernel
sends once; the kernel then computes :attr:`PreviewPanel.result` lazily and checks it against
what the page showed (:mod:`livecalc_lab.widgets._browser_mode`). A product or dataset the
browser cannot preview (savings products, a mortality table by cell, scenarios read from files)
stays in the kernel, with a note in the panel saying why.
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import traitlets

from livecalc_lab.widgets import _display, _format
from livecalc_lab.widgets._assets import esm
from livecalc_lab.widgets._base import LivecalcWidget
from livecalc_lab.widgets._browser_mode import MODES, NOTE_KERNEL, NOTE_LOADING, BrowserSide
from livecalc_lab.widgets._debounce import DEFAULT_DELAY, LatestRunner, Outcome
from livecalc_lab.widgets._inputs import Inputs

__all__ = ["PreviewPanel", "run_preview"]


@dataclass(frozen=True)
class _Request:
    """A kernel preview asked for: the inputs, and the editor's edit number they include."""

    inputs: Inputs
    seq: int


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
        Debounce, seconds of quiet before a preview starts (in the kernel, and in the page in browser mode).
    preview_mode : {"kernel", "browser"}
        Where the previews of edits run (module docstring). Browser mode needs the editor's front end
        on the same page (``link``): the :class:`~livecalc_lab.widgets.Workbench` sets it up.
    link : str, optional
        Id of the page-level channel the assumptions editor's front end sends its field values on
        (default: a new one).

    Attributes
    ----------
    result : PreviewResult or None
        The preview on display (always that of the latest request once it finished). After a
        browser result it is computed on first reading (``lc.preview`` of the inputs the page
        showed, equal to its numbers bit for bit: checked, see :attr:`browser`).
    previous : PreviewResult or None
        The kernel preview displayed before the latest kernel one.
    inputs : Inputs
        The inputs of the latest request.
    runner : LatestRunner
        The kernel's scheduler (``runner.runs`` counts kernel previews; ``discarded`` the stale ones).
    browser : BrowserSide
        Browser-mode state and counters (``results``, ``checks``, ``mismatches``).
    status : str
        ``"empty"`` (no dataset), ``"pending"`` (a preview is due or running), ``"ready"`` or ``"error"``.
    engine : str
        Where edits are previewed right now: ``"browser"`` once the page's worker holds the sample,
        else ``"kernel"``; ``mode_note`` says why.
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
    seq = traitlets.Int(0).tag(sync=True)  # the edit number of the kernel preview pending or shown
    preview_mode = traitlets.Unicode("kernel").tag(sync=True)
    engine = traitlets.Unicode("kernel").tag(sync=True)
    mode_note = traitlets.Unicode("").tag(sync=True)
    payload_token = traitlets.Unicode("").tag(sync=True)
    link = traitlets.Unicode("").tag(sync=True)
    delay_ms = traitlets.Int(round(1000 * DEFAULT_DELAY)).tag(sync=True)
    display_spec = traitlets.Dict().tag(sync=True)

    def __init__(self, dataset: Any = None, assumptions: Any = None, scenarios: Any = None,
                 product: str = "basic_term_s", *, n: int = 10_000, sample_seed: int = 42,
                 preview_fn: Callable[[Inputs], Any] | None = None, delay: float = DEFAULT_DELAY,
                 preview_mode: str = "kernel", link: str | None = None):
        super().__init__(link=link or uuid.uuid4().hex, delay_ms=round(1000 * delay),
                         display_spec={"statistics": _display.STATISTICS, "deterministic": _display.DETERMINISTIC,
                                       "bins": _display.BINS})
        if preview_mode not in MODES:
            self.close()
            raise ValueError(f"preview_mode={preview_mode!r}: expected one of {', '.join(MODES)}")
        from livecalc_lab.config import open_configured
        from livecalc_lab.valuation import resolve_assumptions

        self.n = n
        self.sample_seed = sample_seed
        self.preview_fn = preview_fn or (lambda inputs: run_preview(inputs, self.n, self.sample_seed))
        self._result: Any = None
        self._result_for: Any = None  # the Shown that _result was computed for (browser mode)
        self._result_lock = threading.RLock()
        self._display_lock = threading.RLock()
        self._display_seq = -1  # edit number of the result on display
        self._displayed_pv: float | None = None
        self._seq = 0
        self._kernel_inputs: Inputs | None = None  # the inputs of the latest kernel request
        self.previous: Any = None
        self.inputs = Inputs(open_configured(dataset) if dataset is not None else None,
                             resolve_assumptions(assumptions), scenarios, product)
        self.runner: LatestRunner[_Request, Any] = LatestRunner(lambda r: self.preview_fn(r.inputs), self._show,
                                                                delay=delay, name="livecalc-preview")
        self.browser = BrowserSide(self)
        self._listeners: list[Callable[[Any], Any]] = []
        self.preview_mode = preview_mode
        self.mode_note = NOTE_LOADING if preview_mode == "browser" else NOTE_KERNEL
        self.observe(lambda change: self.browser.mode_changed(change["new"]), names="preview_mode")
        if self.inputs.ready:
            self.request(self.inputs)

    @traitlets.validate("preview_mode")
    def _valid_mode(self, proposal: Any) -> str:
        if proposal["value"] not in MODES:
            raise traitlets.TraitError(f"preview_mode={proposal['value']!r}: expected one of {', '.join(MODES)}")
        return proposal["value"]

    # ---- requests ----------------------------------------------------------------------------------

    def request(self, inputs: Inputs, seq: int | None = None) -> int:
        """Ask for a preview of ``inputs`` (debounced); returns the kernel request's number (0: no dataset yet,
        or, in browser mode, previewed by the page).

        ``seq`` is the number of the editor's latest edit (the page numbers them) that ``inputs`` include.
        """
        self.inputs = inputs
        if seq is not None:
            self._seq = max(self._seq, int(seq))
        if not inputs.ready:
            self.status = "empty"
            return 0
        if self.browser.takes(inputs):
            self.runner.supersede()  # a kernel preview still due would be older than the browser's
            if self.status == "pending" and self.headline:
                self.status = "ready"
            return 0
        return self._request_kernel(inputs)

    def _request_kernel(self, inputs: Inputs) -> int:
        self._kernel_inputs = inputs
        number = self.runner.request(_Request(inputs, self._seq))  # first: a preview finishing now is stale
        with self.hold_sync():
            self.seq = self._seq
            self.status = "pending"
        return number

    @property
    def result(self) -> Any:
        """The PreviewResult on display (see the class docstring)."""
        with self._result_lock:
            shown = self.browser.shown
            if shown is not None and self._result_for is not shown:
                res = self.preview_fn(shown.inputs)
                self._result, self._result_for = res, shown
                self.browser.check(shown, res)
            return self._result

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
        for part in (getattr(self, "runner", None), getattr(self, "browser", None)):  # None: __init__ refused
            if part is not None:
                part.close()
        super().close()

    def _handle(self, content: dict[str, Any], buffers: list[Any]) -> None:
        self.browser.handle(content, buffers)

    def _guarded(self, job: Callable[[], Any]) -> None:
        """Run ``job`` (on a helper thread); a failure shows in the panel."""
        try:
            job()
        except Exception as exc:
            self.message = f"internal error: {type(exc).__name__}: {exc}"

    # ---- display -----------------------------------------------------------------------------------

    def _show(self, outcome: Outcome[_Request, Any]) -> None:
        """Put a finished, still-latest kernel preview on display (runs on the worker thread)."""
        seq = outcome.value.seq
        stamp = {"request": outcome.request, "taken": outcome.taken, "finished": outcome.finished, "seq": seq,
                 "source": "kernel"}
        with self._display_lock:
            self._display_seq = max(self._display_seq, seq)
            if outcome.error is not None:
                with self.hold_sync():
                    self.status = "error"
                    self.message = f"{type(outcome.error).__name__}: {outcome.error}"
                    self.stamp = stamp
                return
            res = outcome.result
            with self._result_lock:
                self.previous, self._result, self._result_for = self._result, res, None
                self.browser.shown = None
            self._put_kernel_display(res, stamp)
        for cb in list(self._listeners):
            cb(res)
        self.browser.ensure_payload(outcome.value.inputs)

    def _put_kernel_display(self, res: Any, stamp: dict[str, Any]) -> None:
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
        self._displayed_pv = res.pv_net_cf

    def _show_browser(self, display: dict[str, Any], buffers: list[Any], seq: int, numbers: dict[str, Any]) -> bool:
        """Put what the page showed for edit ``seq`` into the traits (unless a newer result is on display)."""
        with self._display_lock:
            if seq < self._display_seq:
                return False
            self._display_seq = seq
            edges, counts = (bytes(memoryview(b).cast("B")) for b in (list(buffers) + [b"", b""])[:2])
            stamp = {k: display.get("stamp", {}).get(k) for k in ("request", "taken", "finished")}
            with self.hold_sync():
                self.message = ""
                self.headline = str(display.get("headline", ""))
                self.detail = str(display.get("detail", ""))
                self.delta = str(display.get("delta", ""))
                self.statistics = list(display.get("statistics") or [])
                self.marks = list(display.get("marks") or [])
                self.hist_edges, self.hist_counts = edges, counts
                self.stamp = stamp | {"seq": seq, "source": "browser"}
                self.seq = max(self.seq, seq)
                self.status = "ready"
            pv = numbers.get("pv_net_cf")
            self._displayed_pv = float(pv) if isinstance(pv, (int, float)) else None
            return True

    def _delta_text(self, res: Any) -> str:
        old = self._displayed_pv
        if old is None or not old or not math.isfinite(old):
            return ""
        change = (res.pv_net_cf - old) / abs(old)
        return f"{_format.signed_percent(change)} vs previous preview ({_format.amount(old)})"
