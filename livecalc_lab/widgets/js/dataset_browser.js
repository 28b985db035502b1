// @ts-check
// DatasetBrowser front end: the listed datasets by group; a click selects one (the kernel opens it
// and reads its metadata on a background thread) and the metadata shows below the list.
import { h } from "./_shared.js";

/**
 * @typedef {{ id: string, name: string, group: string, kind: string, size: string }} Entry
 * @typedef {{ id?: string, name?: string, state?: "reading" | "ready" | "error", rows?: string, size?: string,
 *             format?: string, columns?: [string, string][], version?: string, recommendation?: string,
 *             message?: string }} Info
 * @typedef {{ entries: Entry[], selected: string, info: Info, problems: string[], listing: boolean,
 *             message: string }} BrowserState
 */

/** @type {import("@anywidget/types").Render<BrowserState>} */
function render({ model, el }) {
  const list = h("div", { class: "lc-list", role: "listbox", "aria-label": "datasets" });
  const meta = h("div", { class: "lc-meta" });
  const notes = h("div", { class: "lc-note" });
  const message = h("div", { class: "lc-message" });
  el.append(h("div", { class: "lc-panel lc-datasets" }, h("div", { class: "lc-title" }, "Datasets"), list, notes,
    message, meta));

  const drawList = () => {
    const selected = model.get("selected");
    /** @type {Map<string, Entry[]>} */
    const groups = new Map();
    for (const e of model.get("entries") || []) {
      if (!groups.has(e.group)) groups.set(e.group, []);
      /** @type {Entry[]} */ (groups.get(e.group)).push(e);
    }
    const rows = [];
    for (const [group, entries] of groups) {
      rows.push(h("div", { class: "lc-group-head" }, group));
      for (const e of entries) {
        rows.push(h("div", {
          class: "lc-item" + (e.id === selected ? " lc-selected" : ""), role: "option", "data-id": e.id,
          "aria-selected": String(e.id === selected), title: e.id,
          onclick: () => { model.set("selected", e.id); model.save_changes(); },
        }, h("span", {}, e.name), h("span", { class: "lc-unit" }, [e.kind, e.size].filter(Boolean).join(" · "))));
      }
    }
    if (!rows.length) rows.push(h("div", { class: "lc-note" }, model.get("listing") ? "listing…" : "no datasets"));
    list.replaceChildren(...rows);
    const problems = model.get("problems") || [];
    notes.textContent = (model.get("listing") ? "listing the catalog… " : "") +
      (problems.length ? `not listed: ${problems.join("; ")}` : "");
    message.textContent = model.get("message");
  };

  const drawMeta = () => {
    const info = model.get("info") || {};
    meta.dataset.state = info.state || "";
    if (!info.state) {
      meta.replaceChildren(h("div", { class: "lc-note" }, "Select a dataset to see its metadata."));
      return;
    }
    if (info.state === "reading") {
      meta.replaceChildren(h("div", { class: "lc-note" }, `${info.name}: reading metadata…`));
      return;
    }
    if (info.state === "error") {
      meta.replaceChildren(h("div", { class: "lc-message" }, `${info.name}: ${info.message}`));
      return;
    }
    const cols = (info.columns || []).map(([n, t]) => `${n} (${t})`).join(", ");
    /** @type {[string, string][]} */
    const facts = [["dataset", info.name || ""], ["rows", info.rows || ""], ["size", info.size || ""],
      ["format", info.format || ""], ["version", info.version || ""], ["columns", cols]];
    meta.replaceChildren(
      h("dl", {}, ...facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-fact": k }, v)])),
      h("div", { class: "lc-note lc-recommendation" }, info.recommendation || ""));
  };

  model.on("change:entries", drawList);
  model.on("change:selected", drawList);
  model.on("change:problems", drawList);
  model.on("change:listing", drawList);
  model.on("change:message", drawList);
  model.on("change:info", drawMeta);
  drawList();
  drawMeta();
}

export default { render };
