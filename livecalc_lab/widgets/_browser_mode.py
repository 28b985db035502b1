"""The kernel's side of the preview panel's browser mode: payload, routing of edits, and what the page showed.

In browser mode (``PreviewPanel(preview_mode="browser")``, the workbench's default)
an assumption edit is previewed in a Web Worker in the page
(``livecalc_lab/engine/js/preview_worker.mjs``) from a payload the kernel sends
once per base — (dataset, sample, product, base assumption set, scenario spec),
:func:`livecalc_lab.browser_preview.preview_payload` — so the number changes
without a kernel round trip. The assumptions editor's front end hands its field
values straight to the preview's front end (a page-level event bus keyed by the
panels' ``link``); the edit still reaches the kernel's editor as typed (which
validates it and keeps ``wb.assumptions`` current), but no kernel preview runs
for it: :meth:`BrowserSide.takes` sees that the new inputs are the payload's
base with other values of the payload's parameters, tells the page so (a
*route* message) and the panel's scheduler drops any kernel preview still due.
Anything else (a table cell, another dataset, a scenario file, a value the
worker refuses) is previewed in the kernel as in kernel mode, and a payload for
the new base follows.

After the page renders a browser result it reports it (``shown``): the
parameter values it computed and the numbers it showed. The kernel checks the
values against its own inputs and puts the shown display into the panel's
traits; ``panel.result`` is then computed lazily, by ``lc.preview`` on those
inputs, the first time it is read, and compared number for number with what the
page showed (a disagreement is counted and shown in the panel).

Messages (custom messages of the PreviewPanel; ``seq`` numbers the editor's edits
in the page, in the order they were typed)

front end → kernel
    ``{"type": "hello", "worker": bool}``: a front end is there (and can start a Web Worker);
    ``{"type": "need", "what": "preview-engine", "id"}``: engine.wasm and the worker's modules;
    ``{"type": "need", "what": "preview-payload", "token", "id"}``: the payload of ``payload_token``;
    ``{"type": "loaded", "token"}``: the worker holds that payload;
    ``{"type": "browser-failed", "token", "message"}``: it could not;
    ``{"type": "needs-kernel", "token", "seq", "message"}``: the worker cannot compute that edit;
    ``{"type": "shown", "token", "seq", "latest", "changes", "numbers", "display"}`` with the
    histogram's edges and counts as two float64 buffers;
    ``{"type": "mode", "mode"}``: the "Preview runs in" selector.
kernel → front end
    transfers ``preview-engine`` (the worker's module sources as JSON, then engine.wasm; meta
    ``modules_bytes``, ``engine_version``) and ``preview-payload`` (the payload's meta as JSON,
    then its buffers; meta ``token``, ``meta_bytes``, ``sizes``), chunked by
    :mod:`livecalc_lab.widgets._transport`;
    ``{"type": "route", "seq", "via": "browser" | "kernel", "token", "changes", "compute"}``: who
    previews the kernel's current inputs (``changes``: their parameter values, for the browser).
"""

from __future__ import annotations

import functools
import json
import math
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from livecalc_lab.widgets import _transport
from livecalc_lab.widgets._debounce import LatestRunner, Outcome
from livecalc_lab.widgets._inputs import Inputs

__all__ = ["MODES", "ENGINE_KIND", "PAYLOAD_KIND", "Payload", "Shown", "BrowserSide", "engine_bundle",
           "current_changes", "same_changes"]

MODES = ("kernel", "browser")
ENGINE_KIND = "preview-engine"
PAYLOAD_KIND = "preview-payload"
NOTE_BROWSER = "Preview runs in the browser (Web Worker): edits recompute without a kernel round trip."
NOTE_KERNEL = "Preview runs in the kernel."
NOTE_LOADING = "Preview runs in the kernel until the page holds the preview's sample (sending it…)."


@functools.cache
def engine_bundle() -> tuple[bytes, dict[str, Any]]:
    """``(bytes, meta)`` of the ``preview-engine`` transfer: the worker's modules as UTF-8 JSON, then engine.wasm.

    ``meta``: ``modules_bytes`` (where the JSON ends) and ``engine_version`` (the SHA-256 the
    payload names; the worker checks the bytes against it).
    """
    from livecalc_lab.browser_preview import worker_modules
    from livecalc_lab.engine import ENGINE_PATH, default_engine

    modules = json.dumps(worker_modules()).encode()
    return modules + ENGINE_PATH.read_bytes(), {"modules_bytes": len(modules),
                                                "engine_version": default_engine().version}


def _manifest_value(aset: Any, product: str, path: tuple[str, ...]) -> Any:
    node: Any = aset.manifest["products"][product]
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def current_changes(meta: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The values the payload's parameters have in ``inputs``: ``{parameter key: value}``, JSON-ready.

    Manifest values of the product, ``scenarios.*`` from the spec (the seed as decimal
    text); ``discount.shift`` is left out (no editor field moves it: its payload value, 0,
    stands) and so is a parameter the manifest does not hold.
    """
    from livecalc_lab.browser_preview import PARAMETERS

    out: dict[str, Any] = {}
    for key in meta["parameters"]:
        path = PARAMETERS[key].path
        if key == "discount.shift":
            continue
        if path[0] == "scenarios":
            value = getattr(inputs.scenarios, path[1])
            out[key] = str(value) if key == "scenarios.seed" else value
            continue
        value = _manifest_value(inputs.assumptions, inputs.product, path)
        if value is not None:
            out[key] = list(value) if isinstance(value, (list, tuple)) else value
    return out


def _same_value(kind: str, a: Any, b: Any) -> bool:
    try:
        if kind == "integer":
            return int(a) == int(b)
        if kind == "list":
            return [float(x) for x in a] == [float(x) for x in b]
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def same_changes(meta: dict[str, Any], a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two sets of parameter values give the same inputs (a parameter not given keeps the payload's value)."""
    params = meta["parameters"]
    if set(a) - set(params) or set(b) - set(params):
        return False
    return all(_same_value(p["kind"], a.get(k, p["value"]), b.get(k, p["value"])) for k, p in params.items())


@dataclass(frozen=True)
class Payload:
    """A payload built for the browser, and the inputs it was built from (its base).

    Attributes
    ----------
    token : str
        Its id (``PreviewPanel.payload_token`` while it is the current one).
    meta : dict
        :func:`~livecalc_lab.browser_preview.preview_payload`'s metadata.
    buffers : dict of str to numpy.ndarray
        Its buffers (little-endian, in ``meta["buffers"]`` order).
    base : Inputs
    """

    token: str
    meta: dict[str, Any]
    buffers: dict[str, np.ndarray]
    base: Inputs

    def transfer(self) -> tuple[np.ndarray, dict[str, Any]]:
        """``(bytes (k,) uint8, meta)`` of the ``preview-payload`` transfer: meta as JSON, then each buffer."""
        head = np.frombuffer(json.dumps(self.meta).encode(), dtype=np.uint8)
        parts = [np.ascontiguousarray(self.buffers[name]).reshape(-1).view(np.uint8) for name in self.meta["buffers"]]
        return np.concatenate([head, *parts]), {"token": self.token, "meta_bytes": int(head.size),
                                                "sizes": [int(p.size) for p in parts]}

    def changes_for(self, inputs: Inputs) -> dict[str, Any] | None:
        """The parameter values that turn the base into ``inputs``, or None when they cannot.

        ``inputs`` must value the same dataset (source and version) and product, and its
        assumption set and scenario spec must be those of
        :func:`~livecalc_lab.browser_preview.apply_changes` on the base with those values
        (same content version): a table cell or a parameter the payload does not carry
        changes the base.
        """
        from livecalc_lab.browser_preview import apply_changes
        from livecalc_lab.errors import AssumptionError

        base = self.base
        if not inputs.ready or inputs.product != base.product or inputs.dataset.version != base.dataset.version \
                or inputs.dataset.source.to_json() != base.dataset.source.to_json():
            return None
        if (inputs.scenarios is None) != (base.scenarios is None):
            return None
        changes = current_changes(self.meta, inputs)
        try:
            aset, spec = apply_changes(base.assumptions, base.scenarios, base.product, changes)
        except AssumptionError:
            return None
        if aset.version != inputs.assumptions.version or spec != inputs.scenarios:
            return None
        return changes


@dataclass(frozen=True)
class Shown:
    """A browser result the page showed and the kernel accepted.

    Attributes
    ----------
    inputs : Inputs
        The kernel's inputs it equals.
    seq : int
        The edit it answered.
    numbers : dict
        What the page showed, as the worker computed it: ``pv_net_cf``, ``ci95`` [low, high],
        ``std_error``, ``pv_net_cf_ce``, ``tvog``, ``statistics`` (``mean``, ``std``,
        ``percentiles``, ``cte``) — None where the preview has none (NaN travels as None).
    """

    inputs: Inputs
    seq: int
    numbers: dict[str, Any]

    def disagreements(self, res: Any) -> list[str]:
        """Names of the numbers where ``res`` (the kernel's PreviewResult of :attr:`inputs`) differs, bit for bit."""
        s = res.statistics
        want: dict[str, Any] = {"pv_net_cf": res.pv_net_cf, "ci95.low": res.ci95[0], "ci95.high": res.ci95[1],
                                "std_error": res.std_error, "pv_net_cf_ce": res.pv_net_cf_ce, "tvog": res.tvog}
        if s is not None:
            want |= {"mean": s.mean, "std": s.std} | {f"percentiles.{k}": v for k, v in s.percentiles.items()} | \
                {f"cte.{k}": v for k, v in s.cte.items()}
        got_stats = self.numbers.get("statistics") or {}
        ci = self.numbers.get("ci95") or [None, None]
        got: dict[str, Any] = {"pv_net_cf": self.numbers.get("pv_net_cf"), "ci95.low": ci[0], "ci95.high": ci[1],
                               "std_error": self.numbers.get("std_error"),
                               "pv_net_cf_ce": self.numbers.get("pv_net_cf_ce"), "tvog": self.numbers.get("tvog"),
                               "mean": got_stats.get("mean"), "std": got_stats.get("std")}
        got |= {f"percentiles.{k}": v for k, v in (got_stats.get("percentiles") or {}).items()}
        got |= {f"cte.{k}": v for k, v in (got_stats.get("cte") or {}).items()}
        return [k for k, v in want.items() if not _same_number(v, got.get(k))]


def _same_number(a: Any, b: Any) -> bool:
    """Equal doubles; a NaN on the kernel's side matches a NaN or None (JSON's null) from the page."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and float(a) == float(b)


class BrowserSide:
    """The browser-mode state of one :class:`~livecalc_lab.widgets.PreviewPanel` (module docstring).

    Parameters
    ----------
    panel : PreviewPanel

    Attributes
    ----------
    payload : Payload or None
        The current payload (its token is ``panel.payload_token``).
    acked : str or None
        The token the page's worker holds; edits go to the browser only then.
    frontend : bool
        Whether a front end said hello (payloads are built only for a page that can use them).
    broken : str or None
        Why the page cannot run the worker (then previews stay in the kernel until the mode is chosen again).
    shown : Shown or None
        The browser result on display, until a kernel result replaces it.
    results, checks, mismatches, stale : int
        Browser results accepted; lazy kernel checks of them; checks that disagreed; reports
        ignored (an old payload, or values the kernel's inputs no longer have).
    """

    def __init__(self, panel: Any):
        self.panel = panel
        self.payload: Payload | None = None
        self.acked: str | None = None
        self.frontend = False
        self.broken: str | None = None
        self.kernel_only: tuple[Any, str] | None = None
        self.shown: Shown | None = None
        self.results = self.checks = self.mismatches = self.stale = 0
        self.builder: LatestRunner[Inputs, Payload] = LatestRunner(self._build, self._built, delay=0.0,
                                                                    name="livecalc-preview-payload")

    @property
    def active(self) -> bool:
        return self.panel.preview_mode == "browser"

    @property
    def ready(self) -> bool:
        """Whether the page's worker holds the current payload."""
        return self.active and self.payload is not None and self.acked == self.payload.token and not self.broken

    # ---- routing --------------------------------------------------------------------------------------

    def takes(self, inputs: Inputs) -> bool:
        """Whether the browser previews ``inputs``; in browser mode the page is told either way."""
        if not self.active:
            return False
        changes = self.payload.changes_for(inputs) if self.ready and self.payload is not None else None
        self._route("browser" if changes is not None else "kernel", changes, compute=True)
        return changes is not None

    def _route(self, via: str, changes: dict[str, Any] | None, *, compute: bool) -> None:
        if not self.frontend:
            return
        self.panel.send({"type": "route", "seq": self.panel._seq, "via": via, "compute": compute,
                         "token": self.payload.token if self.payload is not None and via == "browser" else "",
                         "changes": changes or {}})

    def _note(self, text: str, engine: str = "kernel") -> None:
        with self.panel.hold_sync():
            self.panel.mode_note = text
            self.panel.engine = engine

    # ---- payloads -----------------------------------------------------------------------------------------

    def ensure_payload(self, inputs: Inputs) -> None:
        """Build a payload for ``inputs`` in the background unless the current one serves them (or cannot be had)."""
        if not (self.active and self.frontend and not self.broken and inputs.ready):
            return
        if self.payload is not None and self.payload.changes_for(inputs) is not None:
            return
        if self.kernel_only is not None and self.kernel_only[0] == _coarse_key(inputs):
            return
        self.builder.request(inputs)

    def _build(self, inputs: Inputs) -> Payload:
        from livecalc_lab.browser_preview import preview_payload

        meta, buffers = preview_payload(inputs.dataset, inputs.assumptions, inputs.scenarios, inputs.product,
                                        n=self.panel.n, sample_seed=self.panel.sample_seed)
        return Payload(uuid.uuid4().hex[:16], meta, buffers, inputs)

    def _built(self, outcome: Outcome[Inputs, Payload]) -> None:
        from livecalc_lab.browser_preview import KernelOnlyError

        if not self.active:
            return
        err = outcome.error
        if isinstance(err, KernelOnlyError):
            self.kernel_only = (_coarse_key(outcome.value), str(err))
            self._note(f"Preview runs in the kernel: {err}")
            return
        if err is not None:
            self._note(f"Preview runs in the kernel: the browser's sample could not be prepared "
                       f"({type(err).__name__}: {err})")
            return
        assert outcome.result is not None
        self.payload, self.acked = outcome.result, None
        with self.panel.hold_sync():
            self.panel.payload_token = outcome.result.token
            self._note(NOTE_LOADING)

    def _send_payload(self, token: str, transfer: str) -> None:
        p = self.payload
        if p is None or p.token != token:
            return
        data, meta = p.transfer()
        _transport.send(self.panel, PAYLOAD_KIND, data, meta, transfer=transfer or None)

    def _send_engine(self, transfer: str) -> None:
        data, meta = engine_bundle()
        _transport.send(self.panel, ENGINE_KIND, data, meta, transfer=transfer or None)

    # ---- messages from the page ---------------------------------------------------------------------------

    def handle(self, content: dict[str, Any], buffers: list[Any]) -> bool:
        """Act on a browser-mode message; False when ``content`` is not one."""
        kind = content.get("type")
        token = content.get("token")
        if kind == "hello":
            self.frontend = True
            if not content.get("worker", True):
                self.broken = "this page cannot start a Web Worker"
            if self.active:
                self._note(f"Preview runs in the kernel: {self.broken}" if self.broken else NOTE_LOADING)
                if not self.panel.runner.busy:
                    self.ensure_payload(self.panel.inputs)
        elif kind == "need" and content.get("what") in (ENGINE_KIND, PAYLOAD_KIND):
            transfer = str(content.get("id", ""))
            job = (lambda: self._send_engine(transfer)) if content["what"] == ENGINE_KIND else \
                (lambda: self._send_payload(str(token), transfer))
            threading.Thread(target=self.panel._guarded, args=(job,), name="livecalc-preview-send",
                             daemon=True).start()
        elif kind == "loaded":
            self._loaded(str(token))
        elif kind == "browser-failed":
            self._failed(str(content.get("message", "the preview worker failed")))
        elif kind == "needs-kernel":
            if self.ready and token == self.acked:
                self.panel.mode_note = f"This edit is previewed in the kernel: {content.get('message', '')}".strip()
                self.panel._request_kernel(self.panel.inputs)
        elif kind == "shown":
            self._shown(content, buffers)
        elif kind == "mode":
            mode = content.get("mode")
            if mode in MODES:
                self.panel.preview_mode = mode
        else:
            return False
        return True

    def _loaded(self, token: str) -> None:
        p = self.payload
        if not self.active or self.broken or p is None or token != p.token:
            return
        self.acked = token
        self._note(NOTE_BROWSER, "browser")
        panel = self.panel
        changes = p.changes_for(panel.inputs)
        if changes is not None:  # the kernel's preview of these inputs is on display or on its way
            self._route("browser", changes, compute=panel._kernel_inputs is not panel.inputs)

    def _failed(self, message: str) -> None:
        self.broken = message
        self.acked = None
        self._note(f"Preview runs in the kernel: the browser could not run the preview worker ({message})")
        self._route("kernel", None, compute=False)
        if self.panel._kernel_inputs is not self.panel.inputs and self.panel.inputs.ready:
            self.panel._request_kernel(self.panel.inputs)

    def _shown(self, content: dict[str, Any], buffers: list[Any]) -> None:
        p = self.payload
        panel = self.panel
        theirs = content.get("changes")
        current = self.ready and p is not None and content.get("token") == self.acked
        mine = p.changes_for(panel.inputs) if current and p is not None else None
        if mine is None or not isinstance(theirs, dict) or not same_changes(p.meta, mine, theirs):
            self.stale += 1
            if current and content.get("latest"):  # the page shows what the kernel's inputs are not
                panel._request_kernel(panel.inputs)
            return
        seq = int(content.get("seq") or 0)
        numbers = content.get("numbers") if isinstance(content.get("numbers"), dict) else {}
        if panel._show_browser(content.get("display") or {}, buffers, seq, numbers):
            self.results += 1
            self.shown = Shown(panel.inputs, seq, numbers)
            if panel.mode_note != NOTE_BROWSER:  # e.g. after an edit the worker handed to the kernel
                self._note(NOTE_BROWSER, "browser")

    # ---- modes --------------------------------------------------------------------------------------------

    def mode_changed(self, mode: str) -> None:
        """``panel.preview_mode`` became ``mode``."""
        panel = self.panel
        self.acked, self.payload, self.broken, self.kernel_only = None, None, None, None
        panel.payload_token = ""
        if mode == "kernel":
            self._note(NOTE_KERNEL)
            if self.frontend:
                panel.send({"type": "route", "seq": panel._seq, "via": "kernel", "compute": False, "token": "",
                            "changes": {}})
            if panel.inputs.ready and panel._kernel_inputs is not panel.inputs:
                panel._request_kernel(panel.inputs)
        else:
            self._note(NOTE_LOADING if self.frontend else NOTE_KERNEL)
            self.ensure_payload(panel.inputs)

    def check(self, shown: Shown, result: Any) -> None:
        """Compare a lazily computed kernel result with what the page showed (counted; said in the panel)."""
        self.checks += 1
        bad = shown.disagreements(result)
        if bad:
            self.mismatches += 1
            self.panel.message = (f"the browser preview and the kernel disagree on {', '.join(bad[:4])}"
                                  f"{' …' if len(bad) > 4 else ''}: the kernel's numbers are in panel.result")

    def close(self) -> None:
        self.builder.close()


def _coarse_key(inputs: Inputs) -> tuple[Any, ...]:
    """What a KernelOnlyError depends on: the dataset, the product and the kind of scenarios."""
    return (inputs.dataset.source.to_json(), inputs.dataset.version, inputs.product,
            type(inputs.scenarios).__name__)
