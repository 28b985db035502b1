// @ts-check
// The preview panel's browser mode, in the page (the kernel's side: livecalc_lab/widgets/_browser_mode.py,
// whose docstring lists the messages). One BrowserPreview per PreviewPanel model, made by the widget's
// initialize(), whatever number of views show it:
//
// - it receives the payload of the kernel's `payload_token` (a chunked transfer) and engine.wasm with the
//   worker's module sources (once per page and engine version), starts livecalc_lab/engine/js/
//   preview_worker.mjs from blob: URLs and loads the payload into it, then says "loaded";
// - the assumptions editor's front end publishes every field's text on the page bus (`lc:<link>`) as it
//   is typed; each valid state is sent to the worker after `delay_ms` of quiet (a value that does not
//   parse, or lies outside the parameter's bounds, keeps the last valid one, as the kernel's editor does);
// - the worker's result is turned into the panel's display here (_display.js, the kernel's text and bins)
//   and shown at once; then the kernel is told what was shown ("shown"), and it keeps it in its traits;
// - an edit the fields cannot express (a table cell, a parameter the payload lacks), or the kernel's
//   route "via kernel", stops browser previews until the kernel routes a state back to the browser;
//   what the worker cannot compute ("needs_kernel", an edit error) is handed to the kernel.
//
// Results are ordered by the page's edit numbers (`seq`): a display is replaced only by one of an equal or
// later edit, whether it comes from the worker or from the kernel.

import { h, pageBus, requestTransfer, wallSeconds } from "./_shared.js";
import { delta, detail, headline, histogram, marks, statisticsRows } from "./_display.js";

/**
 * @typedef {import("./_shared.js").Model} Model
 * @typedef {import("./_shared.js").BusMessage} BusMessage
 * @typedef {import("./_display.js").PreviewNumbers} PreviewNumbers
 * @typedef {import("./_display.js").DisplaySpec} DisplaySpec
 * @typedef {{ value: any, min: any, max: any, kind: "number" | "integer" | "list", path: string[] }} Parameter
 * @typedef {{ status: string, headline: string, detail: string, delta: string, message: string,
 *             statistics: import("./_display.js").StatRow[], marks: import("./_display.js").Mark[],
 *             edges: Float64Array, counts: Float64Array, seq: number, source: string,
 *             stamp: Record<string, any> }} Display
 * @typedef {{ urls: Record<string, string>, wasm: ArrayBuffer }} EngineFiles
 * @typedef {{ seq: number, gen: number, taken: number, changes: Record<string, any> }} Job
 */

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/; // assumptions_editor.parse_value's
const INT = /^[+-]?\d+$/;

/**
 * engine.wasm and the worker's modules as blob: URLs, fetched from the kernel once per page and engine version.
 * @param {Model} model
 * @param {string} version
 * @returns {Promise<EngineFiles>}
 */
function engineFiles(model, version) {
  const g = /** @type {{ __livecalcEngines?: Map<string, Promise<EngineFiles>> }} */ (/** @type {unknown} */ (globalThis));
  if (!g.__livecalcEngines) g.__livecalcEngines = new Map();
  const cache = g.__livecalcEngines;
  let files = cache.get(version);
  if (!files) {
    files = (async () => {
      const t = await requestTransfer(model, "preview-engine");
      if (t.meta.engine_version !== version) {
        throw new Error(`the kernel sent engine ${t.meta.engine_version}, the payload needs ${version}`);
      }
      /** @type {Record<string, string>} */
      const modules = JSON.parse(new TextDecoder().decode(t.data.subarray(0, t.meta.modules_bytes)));
      /** @type {Record<string, string>} */
      const urls = {};
      for (const [name, source] of Object.entries(modules)) { // dependencies first (browser_preview.worker_modules)
        let text = source;
        for (const [dep, url] of Object.entries(urls)) text = text.replaceAll(`"./${dep}"`, `"${url}"`);
        urls[name] = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
      }
      return { urls, wasm: t.data.slice(t.meta.modules_bytes).buffer };
    })();
    files.catch(() => cache.delete(version)); // a later payload may try again
    cache.set(version, files);
  }
  return files;
}

/**
 * A field's text as the value the worker takes, or undefined when the kernel's editor would refuse it.
 * @param {string} text
 * @param {string} kind      the editor's field kind, "float" or "int"
 * @param {string} key       the parameter's key
 * @param {Parameter} p
 * @returns {any}
 */
function parseValue(text, kind, key, p) {
  const s = String(text).trim();
  if (kind === "int" || p.kind === "integer") {
    if (!INT.test(s)) return undefined;
    const b = BigInt(s);
    if ((p.min !== null && b < BigInt(p.min)) || (p.max !== null && b > BigInt(p.max))) return undefined;
    return key === "scenarios.seed" ? b.toString() : Number(b);
  }
  if (p.kind !== "number" || !FLOAT.test(s)) return undefined;
  const v = Number(s);
  if (!Number.isFinite(v) || (p.min !== null && v < p.min) || (p.max !== null && v > p.max)) return undefined;
  return v;
}

export class BrowserPreview {
  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    /** @type {Worker | null} */
    this.worker = null;
    this.loadedToken = "";
    this.loadingToken = "";
    /** @type {{ token: string, meta: Record<string, any> } | null} */
    this.loading = null;
    /** @type {Record<string, Parameter>} */
    this.params = {};
    this.prefix = "";
    /** @type {Record<string, any>} the last valid value of each parameter */
    this.values = {};
    /** @type {number | null} browser previews stop from this edit until the kernel routes one back */
    this.suspendedSince = null;
    this.latestSeq = 0;
    /** @type {{ seq: number, changes: Record<string, any> } | null} */
    this.queued = null;
    this.lastKey = "";
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.nextId = 1;
    this.gen = 0;
    /** @type {Map<number, Job>} */
    this.inflight = new Map();
    /** @type {Display | null} */
    this.display = null;
    this.displayArrival = 0;
    this.kernelArrival = 0;
    this.arrivals = 0;
    this.note = "";
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    this.link = String(model.get("link") || "");
    this.onBus = (/** @type {Event} */ ev) => this.bus(/** @type {CustomEvent<BusMessage>} */ (ev).detail);
    this.onMsg = (/** @type {any} */ msg) => { if (msg && msg.type === "route") this.route(msg); };
    this.onToken = () => this.token();
    this.onStamp = () => { this.kernelArrival = ++this.arrivals; };
    this.onMode = () => { if (model.get("preview_mode") !== "browser") this.suspend(this.latestSeq); this.token(); };
    if (this.link) pageBus().addEventListener(`lc:${this.link}`, this.onBus);
    model.on("msg:custom", this.onMsg);
    model.on("change:payload_token", this.onToken);
    model.on("change:stamp", this.onStamp);
    model.on("change:preview_mode", this.onMode);
    model.send({ type: "hello", worker: typeof Worker !== "undefined" });
    this.token();
  }

  dispose() {
    if (this.link) pageBus().removeEventListener(`lc:${this.link}`, this.onBus);
    this.model.off("msg:custom", this.onMsg);
    this.model.off("change:payload_token", this.onToken);
    this.model.off("change:stamp", this.onStamp);
    this.model.off("change:preview_mode", this.onMode);
    clearTimeout(this.timer);
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.listeners.clear();
  }

  /** @param {() => void} fn  called whenever what the views show may have changed */
  listen(fn) {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  changed() {
    for (const fn of this.listeners) fn();
  }

  // ---- what the views show -----------------------------------------------------------------------------

  /** The newest display: the worker's or the kernel's (by edit number, then by arrival). @returns {Display} */
  current() {
    const m = this.model;
    const stamp = m.get("stamp") || {};
    const kseq = typeof stamp.seq === "number" ? stamp.seq : -1;
    const d = this.display;
    if (d && (d.seq > kseq || (d.seq === kseq && this.displayArrival > this.kernelArrival))) return d;
    const f64 = (/** @type {DataView | null} */ v) => (v ? new Float64Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) : new Float64Array(0));
    return {
      status: m.get("status"), headline: m.get("headline"), detail: m.get("detail"), delta: m.get("delta"),
      message: m.get("message"), statistics: m.get("statistics") || [], marks: m.get("marks") || [],
      edges: f64(m.get("hist_edges")), counts: f64(m.get("hist_counts")), seq: kseq, source: stamp.source || "kernel",
      stamp,
    };
  }

  /** Whether a newer number is on its way (in the worker, or a kernel preview of a newer edit). */
  stale() {
    if (this.queued || this.inflight.size) return true;
    return this.model.get("status") === "pending" && this.model.get("seq") >= this.current().seq;
  }

  // ---- the payload ------------------------------------------------------------------------------------------

  token() {
    const token = this.model.get("payload_token") || "";
    if (token === this.loadedToken || token === this.loadingToken) return;
    this.gen += 1; // results of the previous payload are not shown any more
    this.inflight.clear();
    this.loadedToken = "";
    this.loadingToken = token;
    if (!token || this.model.get("preview_mode") !== "browser") return;
    this.load(token).catch((e) => this.fail(token, String(e && e.message ? e.message : e)));
  }

  /** @param {string} token */
  async load(token) {
    const t = await requestTransfer(this.model, "preview-payload", { token });
    if (token !== this.loadingToken) return;
    const meta = JSON.parse(new TextDecoder().decode(t.data.subarray(0, t.meta.meta_bytes)));
    let at = t.meta.meta_bytes;
    const buffers = t.meta.sizes.map((/** @type {number} */ n) => {
      const b = t.data.slice(at, at + n).buffer;
      at += n;
      return b;
    });
    const engine = await engineFiles(this.model, meta.engine_version);
    if (token !== this.loadingToken) return;
    if (!this.worker) {
      const worker = new Worker(engine.urls["preview_worker.mjs"], { type: "module" });
      worker.onmessage = (ev) => this.reply(ev.data);
      worker.onerror = (ev) => { ev.preventDefault(); this.fail(this.loadingToken || this.loadedToken, ev.message || "the worker did not start"); };
      this.worker = worker;
    }
    this.loading = { token, meta };
    this.worker.postMessage({ type: "load", payload: { meta, buffers }, wasm: engine.wasm.slice(0) }, buffers);
  }

  /** @param {string} token @param {string} message */
  fail(token, message) {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.loadedToken = this.loadingToken = "";
    this.suspend(this.latestSeq);
    this.model.send({ type: "browser-failed", token, message });
  }

  // ---- edits ------------------------------------------------------------------------------------------------

  /** @param {BusMessage} msg */
  bus(msg) {
    this.latestSeq = Math.max(this.latestSeq, msg.seq);
    if (msg.kind === "base") { this.suspend(msg.seq); return; }
    if (!this.loadedToken || this.suspendedSince !== null || this.model.get("preview_mode") !== "browser") return;
    if (!(this.key(msg.field) in this.params)) { this.suspend(msg.seq); return; } // the payload lacks it
    for (const [id, { text, kind }] of Object.entries(msg.values)) {
      const key = this.key(id);
      if (!(key in this.params)) continue;
      const v = parseValue(text, kind, key, this.params[key]);
      if (v !== undefined) this.values[key] = v;
    }
    this.queue(msg.seq, { ...this.values }, Number(this.model.get("delay_ms")));
  }

  /** The worker's key of an editor field id ("products.<product>.lapse.multiplier" → "lapse.multiplier"). @param {string} id */
  key(id) {
    return id.startsWith(this.prefix) ? id.slice(this.prefix.length) : id;
  }

  /** Every parameter's value after `changes`, as text: equal keys, equal inputs. @param {Record<string, any>} changes */
  canonical(changes) {
    return JSON.stringify(Object.entries(this.params).map(([k, p]) => [k, k in changes ? changes[k] : p.value]));
  }

  /** @param {number} seq @param {Record<string, any>} changes @param {number} delay */
  queue(seq, changes, delay) {
    const key = this.canonical(changes);
    if (key === this.lastKey) return; // nothing new (e.g. a value typed that does not parse yet)
    this.lastKey = key;
    this.queued = { seq, changes };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.post(), delay);
    this.changed();
  }

  post() {
    const q = this.queued;
    this.queued = null;
    if (!q || !this.worker || !this.loadedToken || this.suspendedSince !== null) { this.changed(); return; }
    const id = this.nextId++;
    this.inflight.set(id, { seq: q.seq, gen: this.gen, taken: wallSeconds(), changes: q.changes });
    this.worker.postMessage({ type: "edit", id, changes: q.changes });
  }

  /** Stop browser previews from edit `seq` on, dropping what is queued or computing. @param {number} seq */
  suspend(seq) {
    this.suspendedSince = Math.max(this.suspendedSince ?? 0, seq);
    clearTimeout(this.timer);
    this.queued = null;
    this.gen += 1;
    this.inflight.clear();
    this.changed();
  }

  /** The kernel says who previews its inputs of edit `msg.seq`. @param {{ seq: number, via: string, token: string, changes: Record<string, any>, compute: boolean }} msg */
  route(msg) {
    if (msg.seq < this.latestSeq) return; // the page has sent newer edits: their routes follow
    if (msg.via !== "browser") { this.suspend(msg.seq); return; }
    if (msg.token !== this.loadedToken || (this.suspendedSince !== null && msg.seq < this.suspendedSince)) return;
    this.suspendedSince = null;
    this.values = { ...Object.fromEntries(Object.entries(this.params).map(([k, p]) => [k, p.value])), ...msg.changes };
    if (msg.compute) this.queue(msg.seq, msg.changes, 0);
    else this.lastKey = this.canonical(msg.changes);
  }

  // ---- the worker's replies ------------------------------------------------------------------------------

  /** @param {any} msg */
  reply(msg) {
    if (msg.type === "loaded") {
      const l = this.loading;
      if (!l || l.token !== this.loadingToken) return;
      this.loadedToken = l.token;
      this.loadingToken = "";
      this.params = l.meta.parameters;
      this.prefix = `products.${l.meta.product}.`;
      this.values = Object.fromEntries(Object.entries(this.params).map(([k, p]) => [k, p.value]));
      this.lastKey = this.canonical({});
      this.model.send({ type: "loaded", token: l.token });
      return;
    }
    if (msg.type === "error" && msg.id === null) { this.fail(this.loadingToken, msg.message); return; }
    const job = this.inflight.get(msg.id);
    if (msg.type === "superseded" || !job) { this.inflight.delete(msg.id); this.changed(); return; }
    this.inflight.delete(msg.id);
    if (job.gen !== this.gen) { this.changed(); return; }
    if (msg.type === "result") this.show(msg, job);
    else { // needs_kernel, or an error (a value the worker refuses): the kernel previews its inputs
      this.changed();
      this.model.send({ type: "needs-kernel", token: this.loadedToken, seq: job.seq, message: msg.message || "" });
    }
  }

  /** @param {PreviewNumbers & { id: number }} r @param {Job} job */
  show(r, job) {
    const finished = wallSeconds();
    /** @type {DisplaySpec} */
    const spec = this.model.get("display_spec");
    const pv = this.current().statistics.find(([k]) => k === "pv_net_cf");
    const { edges, counts } = r.per_scenario ? histogram(r.per_scenario.pv_net_cf, spec.bins)
      : { edges: new Float64Array(0), counts: new Float64Array(0) };
    const stamp = { request: `b${r.id}`, taken: job.taken, finished, seq: job.seq, source: "browser" };
    /** @type {Display} */
    const d = {
      status: "ready", headline: headline(r), detail: detail(r, (r.compute_ms ?? 0) / 1000),
      delta: delta(r.pv_net_cf, pv ? pv[3] : null), message: "", statistics: statisticsRows(r, spec), marks: marks(r),
      edges, counts, seq: job.seq, source: "browser", stamp,
    };
    this.display = d;
    this.displayArrival = ++this.arrivals;
    this.changed(); // the views render now, before the kernel hears of it
    const s = r.statistics;
    const numbers = {
      pv_net_cf: r.pv_net_cf, ci95: r.ci95, std_error: r.std_error, pv_net_cf_ce: r.pv_net_cf_ce, tvog: r.tvog,
      statistics: s ? { mean: s.mean, std: s.std, percentiles: s.percentiles, cte: s.cte } : null,
    };
    const latest = !this.queued && this.inflight.size === 0 && job.seq >= this.latestSeq;
    const report = {
      type: "shown", token: this.loadedToken, seq: job.seq, latest, changes: job.changes, numbers,
      display: { headline: d.headline, detail: d.detail, delta: d.delta, statistics: d.statistics, marks: d.marks, stamp },
    };
    // In a task of its own: the number reaches the page first, the kernel hears of it right after.
    setTimeout(() => this.model.send(report, undefined, [edges.slice().buffer, counts.slice().buffer]), 0);
  }
}

/**
 * The panel's controller of `model`, made once per model by the widget's initialize() (kept on the page by link).
 * @param {Model} model
 * @returns {BrowserPreview}
 */
export function previewController(model) {
  const g = /** @type {{ __livecalcPreviews?: Map<string, BrowserPreview> }} */ (/** @type {unknown} */ (globalThis));
  if (!g.__livecalcPreviews) g.__livecalcPreviews = new Map();
  const link = String(model.get("link") || "");
  let c = g.__livecalcPreviews.get(link);
  if (!c) {
    c = new BrowserPreview(model);
    g.__livecalcPreviews.set(link, c);
  }
  return c;
}

/**
 * Forget the controller of `model` (its widget was closed).
 * @param {Model} model
 */
export function dropController(model) {
  const g = /** @type {{ __livecalcPreviews?: Map<string, BrowserPreview> }} */ (/** @type {unknown} */ (globalThis));
  const link = String(model.get("link") || "");
  const c = g.__livecalcPreviews?.get(link);
  if (c) {
    c.dispose();
    g.__livecalcPreviews?.delete(link);
  }
}

/**
 * The "Preview runs in: kernel / browser" selector and its note.
 * @param {Model} model
 * @returns {{ el: HTMLElement, update: () => void }}
 */
export function modeSelector(model) {
  const select = /** @type {HTMLSelectElement} */ (h("select", {
    class: "lc-select lc-mode", "aria-label": "Preview runs in",
    onchange: () => model.send({ type: "mode", mode: select.value }),
  }, h("option", { value: "kernel" }, "kernel"), h("option", { value: "browser" }, "browser")));
  const note = h("span", { class: "lc-note lc-mode-note" });
  const el = h("div", { class: "lc-toolbar lc-preview-mode" }, h("label", {}, "Preview runs in:"), select, note);
  const update = () => {
    select.value = model.get("preview_mode");
    note.textContent = model.get("mode_note");
    el.dataset.engine = model.get("engine");
  };
  return { el, update };
}
