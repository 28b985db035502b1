"""RunPanel: the full run — backend, progress, cancel, and the full statistics beside the preview.

::

    panel = RunPanel(ds, assumptions, lc.hull_white(n=1000), preview=preview_panel)
    panel.run()                  # or click "Full run": lc.submit(...) on the chosen backend
    panel.job                    # the Job; panel.full_result, panel.comparison when it finished

The panel subscribes to the job's progress events (``job.on_progress``) and
watches it on a background thread (``job.wait``), so the kernel stays free.
When a notebook is reopened, the panel looks through ``lc.jobs()`` for a job of
the same inputs (dataset and its version, assumption-set version, scenario
spec, product) and re-attaches to it (``lc.attach``): a running one shows its
progress, a finished one its result.
"""

from __future__ import annotations

import math
import os
import threading
import time
from typing import Any

import traitlets

from livecalc_lab.widgets import _display, _format
from livecalc_lab.widgets._assets import esm
from livecalc_lab.widgets._base import LivecalcWidget
from livecalc_lab.widgets._debounce import LatestRunner, Outcome
from livecalc_lab.widgets._inputs import Inputs, job_matches

__all__ = ["RunPanel", "backend_choices", "preview_matches"]

ACTIVE = ("submitted", "running")


def backend_choices(settings: dict[str, Any] | None = None) -> list[list[str]]:
    """``[[name, label], ...]``: local always, the clusters configured in ``[backends]``, and auto."""
    from livecalc_lab.config import load_settings

    cfg = load_settings() if settings is None else settings
    configured = cfg.get("backends", {})
    out = [["local", f"local ({os.cpu_count() or 1} cores)"]]
    if isinstance(configured.get("dask"), dict):
        out.append(["dask", f"Dask ({configured['dask'].get('scheduler', 'cluster')})"])
    if isinstance(configured.get("azure_batch"), dict):
        pool = configured["azure_batch"].get("pool", "")
        out.append(["azure_batch", f"Azure Batch{f' (pool {pool})' if pool else ''}"])
    out.append(["auto", "auto (local, or a configured cluster for large runs)"])
    return out


def preview_matches(preview: Any, inputs: Inputs) -> bool:
    """Whether ``preview`` (a PreviewResult) was computed from ``inputs``."""
    if preview is None or not inputs.ready:
        return False
    scen = inputs.scenarios.version if inputs.scenarios is not None else None
    return (preview.product == inputs.product and preview.assumptions_version == inputs.assumptions.version
            and preview.scenarios_version == scen and preview.source == inputs.dataset.label
            and preview.data_version == inputs.dataset.version)


class RunPanel(LivecalcWidget):
    """Submit the full run of the current inputs, follow it, and compare it with the preview.

    Parameters
    ----------
    dataset, assumptions, scenarios, product
        The inputs (as :class:`~livecalc_lab.widgets.PreviewPanel`); scenarios must be a
        ScenarioSpec (or None) for a job.
    backend : str or backend object, optional
        Initially selected backend (default: ``[backends] default``, else ``"local"``);
        a backend object (e.g. ``LocalBackend(workers=2)``) is used as given.
    preview : PreviewPanel or PreviewResult, optional
        Where the preview to compare with comes from; when its inputs differ from
        the job's, the panel computes the preview of the job's inputs (``lc.preview``).
    workers, chunk_bytes : int, optional
        Passed to :func:`livecalc_lab.submit`.
    reattach : bool
        Look for a job of the same inputs in ``lc.jobs()`` and show it.

    Attributes
    ----------
    job : Job or None
        The job on display.
    full_result : ValuationResult or None
        Its result, once finished.
    preview_result : PreviewResult or None
        The preview it was compared with.
    comparison_result : Comparison or None
        :func:`livecalc_lab.preview.compare` of the two.
    state : str
        ``idle``, ``submitting``, ``submitted``, ``running``, ``finished``, ``failed`` or ``cancelled``.
    """

    _esm = esm("run_panel")

    backends = traitlets.List().tag(sync=True)
    backend = traitlets.Unicode("local").tag(sync=True)
    state = traitlets.Unicode("idle").tag(sync=True)
    job_id = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)
    comparison = traitlets.Dict().tag(sync=True)
    cmp_edges = traitlets.Bytes(b"").tag(sync=True)
    cmp_preview = traitlets.Bytes(b"").tag(sync=True)
    cmp_full = traitlets.Bytes(b"").tag(sync=True)
    ready = traitlets.Bool(False).tag(sync=True)

    def __init__(self, dataset: Any = None, assumptions: Any = None, scenarios: Any = None,
                 product: str = "basic_term_s", *, backend: Any = None, preview: Any = None,
                 workers: int | None = None, chunk_bytes: int | None = None, reattach: bool = True):
        super().__init__()
        from livecalc_lab.config import default_backend, open_configured
        from livecalc_lab.valuation import resolve_assumptions

        self.inputs = Inputs(open_configured(dataset) if dataset is not None else None,
                             resolve_assumptions(assumptions), scenarios, product)
        self.preview_source = preview
        self.workers = workers
        self.chunk_bytes = chunk_bytes
        self.reattach = reattach
        self.job: Any = None
        self.full_result: Any = None
        self.preview_result: Any = None
        self.comparison_result: Any = None
        self._backend_object = None if isinstance(backend, str) or backend is None else backend
        choices = backend_choices()
        if self._backend_object is not None:
            name = self._backend_object.name
            choices = [[name, f"{name} (given)"]] + [c for c in choices if c[0] != name]
            self.backend = name
        else:
            self.backend = backend or default_backend()
        self.backends = choices
        self._lock = threading.RLock()
        self._watch_token = 0
        self._finder: LatestRunner[Inputs, Any] = LatestRunner(self._find_job, self._found, delay=0.3,
                                                               name="livecalc-job-finder")
        self.set_inputs(self.inputs)

    # ---- inputs --------------------------------------------------------------------------------------

    def set_inputs(self, inputs: Inputs) -> None:
        """The inputs of the next full run; re-attaches to a job of the same inputs if there is one."""
        self.inputs = inputs
        self.ready = inputs.ready
        if inputs.ready and self.reattach:
            self._finder.request(inputs)

    def update(self, **changes: Any) -> None:
        """Change some inputs (``dataset=``, ``assumptions=``, ``scenarios=``, ``product=``)."""
        self.set_inputs(self.inputs.replace(**changes))

    def _find_job(self, inputs: Inputs) -> Any:
        """The newest running job of ``inputs``, else the newest finished one, else None."""
        from livecalc_lab.jobs import jobs

        if self.job is not None and self.job.state in ACTIVE:
            return None  # keep following the run in progress
        key = inputs.key()
        found = [j for j in jobs() if _safe_match(j, key)]
        states = {j.id: j.state for j in found}
        running = [j for j in found if states[j.id] in ACTIVE]
        finished = [j for j in found if states[j.id] == "finished"]
        return (running or finished or [None])[0]

    def _found(self, outcome: Outcome[Inputs, Any]) -> None:
        job = outcome.result
        with self._lock:
            if outcome.error is not None or (self.job is not None and self.job.state in ACTIVE):
                return
            if job is None:
                if self.job is not None:  # the inputs changed: the run on display is not of them
                    self.note = (f"job {self.job.id} on display is of earlier inputs; Full run values the "
                                 "current ones")
                return
            if self.job is not None and self.job.id == job.id:
                if self.note.endswith("current ones"):
                    self.note = ""
                return
            from livecalc_lab.jobs import attach

            self._follow(attach(job.id), outcome.value, note=f"re-attached to job {job.id} ({job.state})")

    def _clear(self) -> None:
        self._watch_token += 1
        self.job = self.full_result = self.preview_result = self.comparison_result = None
        with self.hold_sync():
            self.state, self.job_id, self.progress, self.note, self.comparison = "idle", "", {}, "", {}
            self.cmp_edges = self.cmp_preview = self.cmp_full = b""

    # ---- running -------------------------------------------------------------------------------------

    def run(self) -> None:
        """Submit the full run of the current inputs (as the Full run button); returns at once."""
        inputs = self.inputs
        if not inputs.ready:
            self.message = "choose a dataset first"
            return
        with self._lock:
            if self.job is not None and self.job.state in ACTIVE:
                self.message = f"job {self.job.id} is still running"
                return
            self._clear()
            self.state = "submitting"
            self.message = ""
        threading.Thread(target=self._submit, args=(inputs,), name="livecalc-submit", daemon=True).start()

    def _submit(self, inputs: Inputs) -> None:
        from livecalc_lab.jobs import submit
        from livecalc_lab.widgets._saving import saved_copy

        try:
            aset = saved_copy(inputs.assumptions)
            given = self._backend_object
            backend = given if given is not None and self.backend == given.name else self.backend
            job = submit(inputs.dataset, aset.path if aset.path is not None else aset, inputs.scenarios,
                         inputs.product, backend=backend, workers=self.workers, chunk_bytes=self.chunk_bytes)
        except Exception as exc:
            with self.hold_sync():
                self.state = "failed"
                self.message = f"{type(exc).__name__}: {exc}"
            return
        with self._lock:
            self._follow(job, inputs, note=job.advice or "")

    def cancel(self) -> None:
        """Cancel the job on display (on a background thread; its partials are kept)."""
        job = self.job
        if job is None or job.state not in ACTIVE:
            return
        self.note = f"cancelling job {job.id}…"
        threading.Thread(target=job.cancel, name="livecalc-cancel", daemon=True).start()

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the job on display ended and its comparison is shown; returns :attr:`full_result`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.state in ("submitting", "submitted", "running") or (self.state == "finished" and not self.comparison):
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return self.full_result

    def _follow(self, job: Any, inputs: Inputs, note: str = "") -> None:
        """Show ``job``: subscribe to its progress and watch it to the end on a background thread."""
        self._watch_token += 1
        token = self._watch_token
        self.job = job
        with self.hold_sync():
            self.job_id = job.id
            self.note = note
            self._show_progress(job.progress)
        job.on_progress(lambda event: self._on_event(token, event))
        threading.Thread(target=self._watch, args=(job, inputs, token), name="livecalc-job-watch",
                         daemon=True).start()

    def _on_event(self, token: int, event: Any) -> None:
        if token == self._watch_token:
            self._show_progress(event)

    def _show_progress(self, event: Any) -> None:
        eta = event.eta if event.state in ACTIVE else None
        self.progress = {
            "rows_done": event.rows_done, "rows_total": event.rows_total, "chunks_done": event.chunks_done,
            "chunks_total": event.chunks_total, "fraction": event.fraction, "elapsed": event.elapsed, "eta": eta,
            "at": time.time(),
            "text": f"{_format.count(event.rows_done)} / {_format.count(event.rows_total)} policies, "
                    f"{_format.percent(event.fraction, 0)}",
            "chunks": f"{event.chunks_done} / {event.chunks_total} chunks",
        }
        self.state = event.state

    def _watch(self, job: Any, inputs: Inputs, token: int) -> None:
        try:
            state = job.wait()
        except Exception as exc:
            if token == self._watch_token:
                self.state, self.message = "failed", f"{type(exc).__name__}: {exc}"
            return
        if token != self._watch_token:
            return
        self._show_progress(job.progress)
        if state == "failed":
            self.message = f"job {job.id} failed: {job.info.get('error')}"
            return
        if state != "finished":
            return
        try:
            full = job.result()
            preview = self._preview_for(inputs)
            self._show_comparison(full, preview, token)
        except Exception as exc:
            if token == self._watch_token:
                self.message = f"{type(exc).__name__}: {exc}"

    # ---- comparison ----------------------------------------------------------------------------------

    def _preview_for(self, inputs: Inputs) -> Any:
        """The preview of ``inputs``: the preview source's when it matches, else computed now."""
        from livecalc_lab.widgets.preview_panel import PreviewPanel, run_preview

        src = self.preview_source
        candidate = src.result if isinstance(src, PreviewPanel) else src
        if preview_matches(candidate, inputs):
            return candidate
        if isinstance(src, PreviewPanel):
            return run_preview(inputs, src.n, src.sample_seed)
        return run_preview(inputs)

    def _show_comparison(self, full: Any, preview: Any, token: int) -> None:
        from livecalc_lab.preview import compare

        cmp = compare(preview, full)
        full_values = _display.statistic_values(full)
        labels = dict(_display.STATISTICS) if full.statistics is not None else dict(_display.DETERMINISTIC)
        table = {r["statistic"]: r for r in cmp.table.to_dicts()}
        rows = []
        for key, value in full_values.items():
            r = table.get(key)
            if r is None:
                continue
            rel = r["rel_diff"]
            rows.append([key, labels[key], _format.amount(r["preview"]), _format.amount(value),
                         _format.signed_percent(rel) if math.isfinite(rel) else "—", rel if math.isfinite(rel) else None])
        mean_rel = table["pv_net_cf"]["rel_diff"] if "pv_net_cf" in table else math.nan
        lo, hi = cmp.ci95
        where = "inside" if cmp.inside else "outside"
        summary = {
            "headline": f"Preview was within {_format.percent(abs(mean_rel))} of full run",
            "inside": cmp.inside,
            "inside_text": f"Full mean PV {_format.amount(cmp.full_value)} is {where} the preview's 95% interval "
                           f"[{_format.amount(lo)}, {_format.amount(hi)}]",
            "full_headline": f"Full run: {'mean PV' if full.statistics is not None else 'PV'} "
                             f"{_format.amount(full.pv_net_cf)}, {full.n_model_points:,} model points, "
                             f"{_format.seconds(full.elapsed_seconds)}",
            "rows": rows,
        }
        edges = p_counts = f_counts = b""
        if full.per_scenario is not None and preview.per_scenario is not None:
            pv = preview.per_scenario["pv_net_cf"].to_numpy()
            fv = full.per_scenario["pv_net_cf"].to_numpy()
            e, pc = _display.histogram(_concat(pv, fv))
            _, pc = _display.histogram(pv, e)
            _, fc = _display.histogram(fv, e)
            edges, p_counts, f_counts = _display.f64(e), _display.f64(pc), _display.f64(fc)
        with self._lock:
            if token != self._watch_token:
                return
            self.full_result, self.preview_result, self.comparison_result = full, preview, cmp
            with self.hold_sync():
                self.cmp_edges, self.cmp_preview, self.cmp_full = edges, p_counts, f_counts
                self.comparison = summary

    def close(self) -> None:
        self._finder.close()
        super().close()

    # ---- front end ---------------------------------------------------------------------------------------

    def _handle(self, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("type")
        if kind == "run":
            self.run()
        elif kind == "cancel":
            self.cancel()


def _safe_match(job: Any, key: Any) -> bool:
    try:
        return job_matches(job.spec, key)
    except Exception:  # an unreadable or foreign record is simply not a match
        return False


def _concat(a: Any, b: Any) -> Any:
    import numpy as np

    return np.concatenate([a, b])
