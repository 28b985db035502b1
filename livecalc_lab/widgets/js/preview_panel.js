// @ts-check
// PreviewPanel front end: the headline, the statistics table and the histogram of the scaled
// per-scenario totals (binned in the kernel) with the mean, P95 and CTE95 marked.
import { binCentres, chartLayout, f64, h, loadPlotly, themeColors } from "./_shared.js";

/**
 * @typedef {{
 *   status: "empty" | "pending" | "ready" | "error", headline: string, detail: string, delta: string,
 *   message: string, statistics: [string, string, string, number][], hist_edges: DataView | null,
 *   hist_counts: DataView | null, marks: [string, number, string][],
 *   stamp: { request?: number, taken?: number, finished?: number }
 * }} PreviewState
 */

/** @type {import("@anywidget/types").Render<PreviewState>} */
function render({ model, el }) {
  const headline = h("div", { class: "lc-headline lc-preview-headline" });
  const detail = h("div", { class: "lc-sub" });
  const delta = h("div", { class: "lc-delta" });
  const message = h("div", { class: "lc-message" });
  const table = h("table", { class: "lc-stats" });
  const chart = h("div", { class: "lc-chart" });
  const root = h("div", { class: "lc-panel lc-preview" },
    h("div", { class: "lc-title" }, "Preview"), headline, h("div", { class: "lc-subline" }, detail, delta), message,
    h("div", { class: "lc-columns" }, table, chart));
  el.append(root);

  let alive = true;
  /** @type {import("./_shared.js").PlotlyLike | null} */
  let plotly = null;

  const drawChart = () => {
    const edges = f64(model.get("hist_edges"));
    const counts = f64(model.get("hist_counts"));
    if (!plotly || edges.length < 2) {
      if (plotly) plotly.purge(chart);
      chart.style.display = edges.length < 2 ? "none" : "";
      return;
    }
    chart.style.display = "";
    const c = themeColors();
    const { x, width } = binCentres(edges);
    const top = Math.max(1, ...counts);
    const marks = model.get("marks") || [];
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
  };

  const update = () => {
    const status = model.get("status");
    const stamp = model.get("stamp") || {};
    root.classList.toggle("lc-stale", status === "pending");
    headline.textContent = status === "empty" ? "Preview: choose a dataset" : model.get("headline") || "Preview: computing…";
    headline.dataset.request = String(stamp.request ?? "");
    headline.dataset.taken = String(stamp.taken ?? "");
    headline.dataset.finished = String(stamp.finished ?? "");
    headline.dataset.status = status;
    detail.textContent = model.get("detail");
    delta.textContent = model.get("delta");
    message.textContent = model.get("message");
    message.style.display = model.get("message") ? "" : "none";
    table.replaceChildren(...(model.get("statistics") || []).map(([key, label, text]) =>
      h("tr", { "data-key": key }, h("th", {}, label), h("td", {}, text))));
    drawChart();
  };

  model.on("change", update); // once per state message from the kernel, however many fields it holds
  update();
  loadPlotly(model).then((p) => {
    if (!alive) return;
    plotly = p;
    drawChart();
  }, (e) => { message.textContent = `charts unavailable: ${e}`; message.style.display = ""; });

  return () => {
    alive = false;
    if (plotly) plotly.purge(chart);
  };
}

export default { render };
