// @ts-check
// RunPanel front end: backend selector, Full run / Cancel, the progress bar with policies and chunks
// done, elapsed and ETA (ticking between the kernel's events), and when the job finished the full
// statistics beside the preview's, with the preview-vs-full chart.
import { binCentres, chartLayout, f64, h, loadPlotly, themeColors } from "./_shared.js";

/**
 * @typedef {{ rows_done?: number, rows_total?: number, chunks_done?: number, chunks_total?: number,
 *             fraction?: number, elapsed?: number, eta?: number | null, at?: number, text?: string,
 *             chunks?: string }} Progress
 * @typedef {{ headline?: string, inside?: boolean, inside_text?: string, full_headline?: string,
 *             rows?: [string, string, string, string, string, number | null][] }} Comparison
 * @typedef {{ backends: [string, string][], backend: string, state: string, job_id: string, progress: Progress,
 *             note: string, message: string, comparison: Comparison, cmp_edges: DataView | null,
 *             cmp_preview: DataView | null, cmp_full: DataView | null, ready: boolean }} RunState
 */

const ACTIVE = ["submitting", "submitted", "running"];

/** @param {number | null | undefined} s */
function duration(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  return m < 60 ? `${m} min ${String(sec).padStart(2, "0")} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

/** @type {import("@anywidget/types").Render<RunState>} */
function render({ model, el }) {
  const select = /** @type {HTMLSelectElement} */ (h("select", {
    class: "lc-select", "aria-label": "backend",
    onchange: () => { model.set("backend", select.value); model.save_changes(); },
  }));
  const runButton = /** @type {HTMLButtonElement} */ (h("button", {
    class: "lc-button lc-primary lc-run", onclick: () => model.send({ type: "run" }),
  }, "Full run"));
  const cancelButton = /** @type {HTMLButtonElement} */ (h("button", {
    class: "lc-button lc-cancel", onclick: () => model.send({ type: "cancel" }),
  }, "Cancel"));
  const bar = h("div");
  const progressText = h("div", { class: "lc-progress-text" });
  const timing = h("div", { class: "lc-sub" });
  const note = h("div", { class: "lc-note" });
  const message = h("div", { class: "lc-message" });
  const headline = h("div", { class: "lc-headline lc-comparison-headline" });
  const inside = h("div", { class: "lc-inside" });
  const fullLine = h("div", { class: "lc-sub lc-full-headline" });
  const table = h("table", { class: "lc-stats lc-comparison" });
  const chartDist = h("div", { class: "lc-chart" });
  const chartBars = h("div", { class: "lc-chart" });
  const result = h("div", { class: "lc-result" }, headline, inside, fullLine,
    h("div", { class: "lc-columns" }, table, chartDist, chartBars));
  const root = h("div", { class: "lc-panel lc-run" },
    h("div", { class: "lc-title" }, "Full run"),
    h("div", { class: "lc-toolbar" }, h("label", {}, "Backend "), select, runButton, cancelButton),
    h("div", { class: "lc-progress", role: "progressbar" }, bar), progressText, timing, note, message, result);
  el.append(root);

  /** @type {import("./_shared.js").PlotlyLike | null} */
  let plotly = null;
  let alive = true;

  const drawTiming = () => {
    const p = model.get("progress") || {};
    const state = model.get("state");
    const running = ACTIVE.includes(state);
    const since = running && p.at ? Math.max(0, Date.now() / 1000 - p.at) : 0;
    const elapsed = p.elapsed === undefined ? null : p.elapsed + since;
    const eta = running && p.eta !== null && p.eta !== undefined ? Math.max(0, p.eta - since) : null;
    timing.textContent = p.elapsed === undefined ? "" :
      `${state} · elapsed ${duration(elapsed)}` + (running ? ` · ETA ${eta === null ? "estimating…" : duration(eta)}` : "");
  };

  const drawCharts = () => {
    const edges = f64(model.get("cmp_edges"));
    if (!plotly || edges.length < 2) {
      chartDist.style.display = chartBars.style.display = "none";
      return;
    }
    chartDist.style.display = chartBars.style.display = "";
    const c = themeColors();
    const { x, width } = binCentres(edges);
    const layout = chartLayout("Per-scenario totals: preview vs full run");
    layout.barmode = "overlay";
    layout.showlegend = true;
    layout.legend = { orientation: "h", y: -0.2 };
    plotly.react(chartDist, [
      { type: "bar", name: "preview", x, width, y: Array.from(f64(model.get("cmp_preview"))),
        marker: { color: c.accent, opacity: 0.45 } },
      { type: "bar", name: "full run", x, width, y: Array.from(f64(model.get("cmp_full"))),
        marker: { color: c.warn, opacity: 0.45 } },
    ], layout, { displayModeBar: false, responsive: true });
    const rows = (model.get("comparison").rows || []).filter((r) => r[5] !== null);
    const bars = chartLayout("Preview − full, relative, per statistic");
    bars.yaxis.ticksuffix = "%";
    plotly.react(chartBars, [{
      type: "bar", x: rows.map((r) => r[1]), y: rows.map((r) => 100 * /** @type {number} */ (r[5])),
      marker: { color: rows.map((r) => (Math.abs(/** @type {number} */ (r[5])) <= 0.02 ? c.good : c.warn)) },
      hovertemplate: "%{x}: %{y:.2f}%<extra></extra>",
    }], bars, { displayModeBar: false, responsive: true });
  };

  const update = () => {
    const state = model.get("state");
    const running = ACTIVE.includes(state);
    const options = model.get("backends") || [];
    if (select.options.length !== options.length) {
      select.replaceChildren(...options.map(([v, label]) => h("option", { value: v }, label)));
    }
    select.value = model.get("backend");
    select.disabled = running;
    runButton.disabled = running || !model.get("ready");
    cancelButton.disabled = !running || state === "submitting";
    const p = model.get("progress") || {};
    bar.style.width = `${Math.round(100 * (p.fraction || 0))}%`;
    progressText.textContent = p.text ? `${p.text} (${p.chunks})` : (state === "submitting" ? "planning chunks…" : "");
    progressText.dataset.state = state;
    progressText.dataset.fraction = String(p.fraction ?? "");
    drawTiming();
    note.textContent = [model.get("job_id") ? `job ${model.get("job_id")}` : "", model.get("note")].filter(Boolean).join(" · ");
    message.textContent = model.get("message");
    const cmp = model.get("comparison") || {};
    result.style.display = cmp.headline ? "" : "none";
    headline.textContent = cmp.headline || "";
    inside.textContent = cmp.inside_text || "";
    inside.className = "lc-inside " + (cmp.inside ? "lc-good" : "lc-bad");
    fullLine.textContent = cmp.full_headline || "";
    table.replaceChildren(
      h("thead", {}, h("tr", {}, h("th", {}, "statistic"), h("th", {}, "preview"), h("th", {}, "full run"),
        h("th", {}, "difference"))),
      ...(cmp.rows || []).map(([key, label, pv, full, rel]) =>
        h("tr", { "data-key": key }, h("th", {}, label), h("td", {}, pv), h("td", {}, full), h("td", {}, rel))));
    drawCharts();
  };

  model.on("change", update);
  update();
  const ticker = setInterval(() => { if (ACTIVE.includes(model.get("state"))) drawTiming(); }, 500);
  loadPlotly(model).then((p) => { if (alive) { plotly = p; drawCharts(); } },
    (e) => { message.textContent = `charts unavailable: ${e}`; });

  return () => {
    alive = false;
    clearInterval(ticker);
    if (plotly) { plotly.purge(chartDist); plotly.purge(chartBars); }
  };
}

export default { render };
