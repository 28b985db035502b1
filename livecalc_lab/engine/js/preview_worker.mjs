// preview_worker.mjs — the in-browser preview in a module Web Worker:
//   new Worker(new URL("./preview_worker.mjs", import.meta.url), { type: "module" })
//
// Messages in (postMessage):
//   {type: "load", payload: {meta, buffers}, wasm}
//       once (again to replace the payload): meta and buffers as browser_preview.preview_payload() made
//       them (buffers: ArrayBuffers or views, in meta.buffers order, or an object by name); wasm:
//       engine.wasm's bytes, a compiled WebAssembly.Module, or its URL (a string, fetched by the worker).
//   {type: "edit", id, changes}
//       id: any value the caller uses to match the reply (e.g. an increasing number); changes: every
//       change from the payload's assumptions, {parameter key: value} (preview.mjs, browser_preview.PARAMETERS),
//       absolute, not a delta: a dropped edit loses nothing.
// Messages out:
//   {type: "loaded", sample_size, total_rows, parameters, load_ms}
//   {type: "result", id, ...numbers}      the preview (PreviewSession.compute: pv_net_cf, ci95, std_error,
//                                         statistics, per_scenario, ...) and compute_ms
//   {type: "superseded", id, by}          edit `id` was dropped: edit `by` arrived before it was computed
//   {type: "needs_kernel", id, keys, reasons, message}   the edit cannot be computed in the browser
//   {type: "error", id, name, message}    an invalid value (EditError), a policy the edited basis cannot
//                                         value (EngineError), or a failed load (id null, phase "load")
//
// Stale edits are dropped: an edit waits in a one-slot mailbox and the computation runs from a task
// queued behind the messages already received, so when several edits arrive while one is being computed
// (or while the payload loads) only the newest is computed. Results therefore arrive in the order of the
// edits, each for the newest edit received so far. Per-scenario arrays are transferred, not copied.

import { NeedsKernel, PreviewSession, assemblePayload } from "./preview.mjs";

let session = null;
let loading = false;
let generation = 0; // bumped by every load: a slow load never installs an outdated payload
let latest = null; // the newest edit not yet computed
let scheduled = false;

function schedule() {
  if (scheduled || !session || !latest) return;
  scheduled = true;
  setTimeout(run, 0); // a task: messages that arrived meanwhile are handled first and may replace `latest`
}

function run() {
  scheduled = false;
  const msg = latest;
  latest = null;
  if (!msg || !session) return;
  try {
    const result = session.compute(msg.changes ?? {});
    const transfer = result.per_scenario ? Object.values(result.per_scenario).map((a) => a.buffer) : [];
    self.postMessage({ type: "result", id: msg.id, ...result, compute_ms: result.elapsed_ms }, transfer);
  } catch (err) {
    if (err instanceof NeedsKernel) {
      self.postMessage({ type: "needs_kernel", id: msg.id, keys: err.keys, reasons: err.reasons, message: err.message });
    } else {
      self.postMessage({ type: "error", id: msg.id, name: err.name, message: err.message });
    }
  }
  schedule();
}

async function load(msg) {
  const mine = ++generation;
  const t0 = performance.now();
  session = null;
  loading = true;
  try {
    const payload = assemblePayload(msg.payload.meta, msg.payload.buffers);
    const wasm = typeof msg.wasm === "string" ? await (await fetch(msg.wasm)).arrayBuffer() : msg.wasm;
    const loaded = await PreviewSession.load(payload, wasm);
    if (mine !== generation) return;
    session = loaded;
    const meta = payload.meta;
    self.postMessage({ type: "loaded", sample_size: meta.sample_size, total_rows: meta.total_rows,
      parameters: meta.parameters, load_ms: performance.now() - t0 });
    schedule();
  } catch (err) {
    if (mine === generation) self.postMessage({ type: "error", id: null, phase: "load", name: err.name, message: err.message });
  } finally {
    if (mine === generation) loading = false;
  }
}

self.onmessage = (ev) => {
  const msg = ev.data ?? {};
  if (msg.type === "load") {
    load(msg);
  } else if (msg.type === "edit") {
    if (!session && !loading) {
      self.postMessage({ type: "error", id: msg.id, name: "TypeError", message: 'no payload loaded: send {type: "load"} first' });
      return;
    }
    if (latest) self.postMessage({ type: "superseded", id: latest.id, by: msg.id });
    latest = msg;
    schedule();
  } else {
    self.postMessage({ type: "error", id: msg.id ?? null, name: "TypeError",
      message: `unknown message type ${JSON.stringify(msg.type)}; expected "load" or "edit"` });
  }
};
