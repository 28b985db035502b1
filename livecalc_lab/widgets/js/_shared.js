// @ts-check
// Code shared by the LiveCalc widget modules. Python inlines this file in place of each module's
// `import { ... } from "./_shared.js";` line (livecalc_lab/widgets/_assets.py), so it must import
// nothing and have no default export.

/**
 * @typedef {import("@anywidget/types").AnyModel<any>} Model
 * @typedef {{ type: "chunk", kind: string, transfer: string, index: number, count: number, total: number,
 *             meta?: Record<string, any> }} ChunkMessage
 * @typedef {{ kind: string, meta: Record<string, any>, data: Uint8Array }} Transfer
 * @typedef {{
 *   react(el: HTMLElement, data: object[], layout: object, config?: object): Promise<unknown>,
 *   purge(el: HTMLElement): void,
 *   Plots: { resize(el: HTMLElement): void }
 * }} PlotlyLike
 */

/**
 * Create an element: `h("div", { class: "x", onclick: f }, "text", child)`.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = String(v);
    else if (k in el && typeof v !== "string") /** @type {any} */ (el)[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return el;
}

/**
 * A float64 buffer from the kernel (little-endian) as a Float64Array (copied: alignment-safe).
 * @param {DataView | ArrayBuffer | Uint8Array | null | undefined} buf
 * @returns {Float64Array}
 */
export function f64(buf) {
  if (!buf) return new Float64Array(0);
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Float64Array(Math.floor(bytes.byteLength / 8));
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 8));
  return out;
}

/** Collects the chunks of transfers (livecalc_lab/widgets/_transport.py) until each is whole. */
export class Assembler {
  constructor() {
    /** @type {Map<string, { kind: string, meta: Record<string, any>, parts: (Uint8Array | undefined)[], got: number, total: number }>} */
    this.open = new Map();
  }

  /**
   * Take one message; returns the transfer once its last chunk arrived, else null.
   * @param {ChunkMessage} msg
   * @param {(DataView | ArrayBuffer)[]} buffers
   * @returns {Transfer | null}
   */
  add(msg, buffers) {
    let t = this.open.get(msg.transfer);
    if (!t) {
      t = { kind: msg.kind, meta: {}, parts: new Array(msg.count), got: 0, total: msg.total };
      this.open.set(msg.transfer, t);
    }
    if (msg.meta) t.meta = msg.meta;
    if (t.parts[msg.index] === undefined) {
      const b = buffers[0];
      t.parts[msg.index] = !b ? new Uint8Array(0)
        : b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      t.got += 1;
    }
    if (t.got < t.parts.length) return null;
    this.open.delete(msg.transfer);
    const data = new Uint8Array(t.total);
    let at = 0;
    for (const p of t.parts) {
      if (!p) throw new Error(`transfer ${msg.transfer}: a chunk is missing`);
      data.set(p, at);
      at += p.byteLength;
    }
    if (at !== t.total) throw new Error(`transfer ${msg.transfer}: got ${at} bytes, expected ${t.total}`);
    return { kind: t.kind, meta: t.meta, data };
  }
}

/**
 * Ask the kernel for something sent as a chunked transfer: `{"type": "need", "what": what, "id": id}`,
 * answered by the transfer whose id is `id`.
 * @param {Model} model
 * @param {string} what
 * @param {Record<string, any>} [extra]  more fields of the request
 * @returns {Promise<Transfer>}
 */
export function requestTransfer(model, what, extra = {}) {
  const id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  return new Promise((resolve, reject) => {
    const asm = new Assembler();
    /** @param {any} msg @param {DataView[]} buffers */
    const onMsg = (msg, buffers) => {
      if (!msg || msg.type !== "chunk" || msg.transfer !== id) return;
      try {
        const done = asm.add(msg, buffers);
        if (done) {
          model.off("msg:custom", onMsg);
          resolve(done);
        }
      } catch (e) {
        model.off("msg:custom", onMsg);
        reject(e);
      }
    };
    model.on("msg:custom", onMsg);
    model.send({ ...extra, type: "need", what, id });
  });
}

/**
 * Inflate gzip bytes to text.
 * @param {Uint8Array} bytes
 * @returns {Promise<string>}
 */
export async function gunzipText(bytes) {
  const copy = new Uint8Array(bytes); // a plain ArrayBuffer-backed copy for the Blob
  const stream = new Blob([copy]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

/**
 * plotly.js, sent by the kernel once per page (gzipped, chunked) and evaluated as a module.
 * The bundle is UMD: given `module`/`exports` it assigns itself to `module.exports`, whatever
 * AMD loader the page may have.
 * @param {Model} model
 * @returns {Promise<PlotlyLike>}
 */
export function loadPlotly(model) {
  const g = /** @type {{ __livecalcPlotly?: Promise<PlotlyLike> }} */ (/** @type {unknown} */ (globalThis));
  if (!g.__livecalcPlotly) {
    g.__livecalcPlotly = (async () => {
      const t = await requestTransfer(model, "plotly");
      const code = t.meta.encoding === "gzip" ? await gunzipText(t.data) : new TextDecoder().decode(t.data);
      const src = "const module = { exports: {} }; const exports = module.exports; const define = undefined;\n" +
        code + "\nexport default module.exports;\n";
      const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
      try {
        const mod = await import(/* webpackIgnore: true */ url);
        return /** @type {PlotlyLike} */ (mod.default);
      } finally {
        URL.revokeObjectURL(url);
      }
    })();
    g.__livecalcPlotly.catch(() => { g.__livecalcPlotly = undefined; }); // let a later widget retry
  }
  return g.__livecalcPlotly;
}

/** Colours that follow the notebook's theme where it defines them (JupyterLab, Notebook 7, VS Code). */
export function themeColors() {
  const css = getComputedStyle(document.body);
  const pick = (/** @type {string[]} */ ...names) => {
    for (const n of names) {
      const v = css.getPropertyValue(n).trim();
      if (v) return v;
    }
    return "";
  };
  return {
    text: pick("--jp-ui-font-color1", "--vscode-editor-foreground") || "#333",
    grid: pick("--jp-border-color2", "--vscode-editorWidget-border") || "#ddd",
    accent: pick("--jp-brand-color1", "--vscode-button-background") || "#1976d2",
    warn: pick("--jp-warn-color1") || "#f57c00",
    bad: pick("--jp-error-color1") || "#d32f2f",
    good: pick("--jp-success-color1") || "#388e3c",
  };
}

/**
 * Base plotly layout for the small charts of the panels.
 * @param {string} title
 * @returns {Record<string, any>}
 */
export function chartLayout(title) {
  const c = themeColors();
  return {
    title: { text: title, font: { size: 12 }, x: 0.02 },
    height: 230,
    margin: { l: 48, r: 12, t: 30, b: 36 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: c.text, size: 11 },
    xaxis: { gridcolor: c.grid, zeroline: false },
    yaxis: { gridcolor: c.grid, zeroline: false },
    showlegend: false,
    bargap: 0.02,
  };
}

/**
 * Bin centres and widths of a histogram's edges.
 * @param {Float64Array} edges
 * @returns {{ x: number[], width: number[] }}
 */
export function binCentres(edges) {
  const x = [], width = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    x.push((edges[i] + edges[i + 1]) / 2);
    width.push(edges[i + 1] - edges[i]);
  }
  return { x, width };
}

/**
 * @typedef {{ text: string, kind: string }} FieldValue
 * @typedef {{ kind: "fields", seq: number, field: string, values: Record<string, FieldValue> }
 *          | { kind: "base", seq: number }} BusMessage
 *   What the assumptions editor's front end tells a browser preview of the same workbench: every field's
 *   text after an edit of `field`, or that the edit was one the fields do not hold (a table cell, revert, save).
 */

/**
 * The page's channel between the views of one workbench (the editor's and the preview's front ends are
 * separate widgets, rendered in one page): an EventTarget on the page, events named "lc:<link>".
 * @returns {EventTarget}
 */
export function pageBus() {
  const g = /** @type {{ __livecalcBus?: EventTarget }} */ (/** @type {unknown} */ (globalThis));
  if (!g.__livecalcBus) g.__livecalcBus = new EventTarget();
  return g.__livecalcBus;
}

/**
 * Tell the views listening on `link` about an edit.
 * @param {string} link
 * @param {BusMessage} message
 */
export function publish(link, message) {
  if (link) pageBus().dispatchEvent(new CustomEvent(`lc:${link}`, { detail: message }));
}

/**
 * The next edit number of this page: edits are numbered in the order they are typed, whatever widget
 * or view they come from, so that a result can be told older or newer than another.
 * @returns {number}
 */
export function nextSeq() {
  const g = /** @type {{ __livecalcSeq?: number }} */ (/** @type {unknown} */ (globalThis));
  g.__livecalcSeq = (g.__livecalcSeq || 0) + 1;
  return g.__livecalcSeq;
}

/** Wall-clock time in seconds since the epoch, as Python's time.time() (for stamps compared across both). */
export function wallSeconds() {
  return (performance.timeOrigin + performance.now()) / 1000;
}
