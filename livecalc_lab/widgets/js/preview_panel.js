// @ts-check
// PreviewPanel front end: the headline, the statistics table and the histogram of the scaled
// per-scenario totals (binned in the kernel, or in the page by the same rule) with the mean, P95 and
// CTE95 marked; the "Preview runs in" selector. In browser mode the numbers come from a Web Worker in
// the page (_browser_preview.js) as soon as it has them, and from the kernel otherwise.
import { binCentres, chartLayout, h, loadPlotly, themeColors } from "./_shared.js";
import { dropController, modeSelector, previewController } from "./_browser_preview.js";

/**
 * @typedef {{
 *   status: "empty" | "pending" | "ready" | "error", headline: string, detail: string, delta: string,
 *   message: string, statistics: [string, string, string, number][], hist_edges: DataView | null,
 *   hist_counts: DataView | null, marks: [string, number, string][],
 *   stamp: { request?: number | string, taken?: number, finished?: number, seq?: number, source?: string },
 *   seq: number, preview_mode: "kernel" | "browser", engine: "kernel" | "browser", mode_note: string,
 *   payload_token: string, link: string, delay_ms: number,
 *   display_spec: import("./_display.js").DisplaySpec
 * }} PreviewState
 */

/** @type {import("@anywidget/types").Initialize<PreviewState>} */
function initialize({ model }) {
  previewController(model);
  return () => dropController(model);
}

/** @type {import("@anywidget/types").Render<PreviewState>} */
function render({ model, el }) {
  const ctl = previewController(model);
  const mode = modeSelector(model);
  const headline = h("div", { class: "lc-headline lc-preview-headline" });
  const detail = h("div", { class: "lc-sub" });
  const delta = h("div", { class: "lc-delta" });
  const message = h("div", { class: "lc-message" });
  const table = h("table", { class: "lc-stats" });
  const chart = h("div", { class: "lc-chart" });
  const root = h("div", { class: "lc-panel lc-preview" },
    h("div", { class: "lc-title" }, "Preview"), mode.el, headline, h("div", { class: "lc-subline" }, detail, delta), message,
    h("div", { class: "lc-columns" }, table, chart));
  el.append(root);

  let alive = true;
  /** @type {import("./_shared.js").PlotlyLike | null} */
  let plotly = null;

  /** @type {string} what the chart shows now: redrawn only when it changes */
  let drawn = "";
  let chartDue = false;

  const drawChart = () => {
    const d = ctl.current();
    const edges = d.edges, counts = d.counts;
    const key = JSON.stringify([Array.from(edges), Array.from(counts), d.marks]);
    if (plotly && key === drawn) return;
    if (!plotly || edges.length < 2) {
      if (plotly) plotly.purge(chart);
      chart.style.display = edges.length < 2 ? "none" : "";
      return;
    }
    chart.style.display = "";
    const c = themeColors();
    const { x, width } = binCentres(edges);
    const top = Math.max(1, ...counts);
    const marks = d.marks;
    const colours = [c.accent, c.good, c.bad];
    const layout = chartLayout("Scaled per-scenario totals of pv_net_cf");
    layout.yaxis.title = { text: "scenarios" };
    layout.shapes = marks.map(([, v], i) => ({
      type: "line", x0: v, x1: v, y0: 0, y1: top * 1.05, line: { color: colours[i % 3], width: 2, dash: i ? "dot" : "solid" },
    }));
    layout.annotations = marks.map(([label, v, text], i) => ({
      x: v, y: top * (1.05 - 0.12 * i), text: `${label} ${text}`, showarrow: false, xanchor: "left",
      font: { size: 10, color: colours[i % 3] },
    }));
    const bars = { type: "bar", x, y: Array.from(counts), width, marker: { color: c.accent, opacity: 0.35, line: { width: 0 } },
      hovertemplate: "%{x:.4s}: %{y} scenarios<extra></extra>" };
    plotly.react(chart, [bars], layout, { displayModeBar: false, responsive: true });
    drawn = key;
  };

  const update = () => {
    const d = ctl.current();
    const status = d.status;
    const stamp = d.stamp || {};
    const stats = d.statistics || [];
    root.classList.toggle("lc-stale", ctl.stale());
    headline.textContent = status === "empty" ? "Preview: choose a dataset" : d.headline || "Preview: computing…";
    headline.dataset.request = String(stamp.request ?? "");
    headline.dataset.taken = String(stamp.taken ?? "");
    headline.dataset.finished = String(stamp.finished ?? "");
    headline.dataset.status = status;
    headline.dataset.source = d.source;
    headline.dataset.seq = String(d.seq);
    const pv = stats.find(([key]) => key === "pv_net_cf"); // full-precision numbers, for checks and tools
    headline.dataset.value = pv ? String(pv[3]) : "";
    detail.textContent = d.detail;
    delta.textContent = d.delta;
    message.textContent = d.message || model.get("message");
    message.style.display = message.textContent ? "" : "none";
    table.replaceChildren(...stats.map(([key, label, text, value]) =>
      h("tr", { "data-key": key, "data-value": String(value) }, h("th", {}, label), h("td", {}, text))));
    mode.update();
    // The chart follows in a task of its own: the numbers reach the page (and its next frame) first.
    if (!chartDue) {
      chartDue = true;
      setTimeout(() => { chartDue = false; if (alive) drawChart(); }, 0);
    }
  };

  model.on("change", update); // once per state message from the kernel, however many fields it holds
  const unlisten = ctl.listen(update);
  update();
  loadPlotly(model).then((p) => {
    if (!alive) return;
    plotly = p;
    drawChart();
  }, (e) => { message.textContent = `charts unavailable: ${e}`; message.style.display = ""; });

  return () => {
    alive = false;
    unlisten();
    if (plotly) plotly.purge(chart);
  };
}

export default { initialize, render };
