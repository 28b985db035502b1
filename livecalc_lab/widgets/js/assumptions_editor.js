// @ts-check
// AssumptionsEditor front end: the product's parameters and the scenario spec as inputs with units,
// the mortality / lapse tables as an editable grid beside their multiplier, the diff against the
// saved version, and "Save as new version". Every edit goes to the kernel, which validates it
// (errors come back per field) and debounces the preview. Edits are numbered in the page (seq), and in
// a workbench (`link` set) every field's text is also published on the page bus after each edit, for
// the preview's front end to compute in the browser (_browser_preview.js).
import { f64, h, nextSeq, publish, requestTransfer } from "./_shared.js";

/**
 * @typedef {{ id: string, group: string, label: string, unit: string, kind: "float" | "int", value: string,
 *             saved: string, changed: boolean }} FieldState
 * @typedef {{ name: string, section: string, type: string, rows: number, columns: string[], editable: string[],
 *             multiplier: string }} TableInfo
 * @typedef {{ saved_version?: string, version?: string, saved_path?: string, parameters?: [string, string, string][],
 *             tables?: [string, number, number][], cells?: Record<string, [number, string][]> }} Diff
 * @typedef {{ fields: FieldState[], errors: Record<string, string>, tables: TableInfo[], diff: Diff,
 *             version: string, message: string, link: string }} EditorState
 */

/** A rate as shown in the grid: 6 significant digits (the full value is what an edit starts from). */
const cellText = (/** @type {number} */ v) => String(Number(v.toPrecision(6)));

/** @param {string | undefined} v */
const shortVersion = (v) => (v ? v.replace("sha256:", "").slice(0, 12) : "");

/** @type {import("@anywidget/types").Render<EditorState>} */
function render({ model, el }) {
  /** @type {Map<string, HTMLInputElement[]>} inputs by field id (a multiplier appears twice) */
  const inputs = new Map();
  /** @type {Map<string, HTMLElement>} */
  const fieldErrors = new Map();

  /**
   * Send an edit to the kernel, numbered; tell a browser preview of the workbench too.
   * @param {Record<string, any>} content
   * @param {string} [field]  the field edited (else the edit is one the fields do not hold)
   */
  const sendEdit = (content, field) => {
    const seq = nextSeq();
    model.send({ ...content, seq });
    const link = model.get("link");
    if (!link) return;
    if (field === undefined) {
      publish(link, { kind: "base", seq });
      return;
    }
    /** @type {Record<string, import("./_shared.js").FieldValue>} */
    const values = {};
    for (const f of model.get("fields") || []) {
      const input = (inputs.get(f.id) || [])[0];
      values[f.id] = { text: input ? input.value : f.value, kind: f.kind };
    }
    publish(link, { kind: "fields", seq, field, values });
  };

  /** @param {FieldState} f */
  const makeInput = (f) => {
    const input = /** @type {HTMLInputElement} */ (h("input", {
      class: "lc-input", type: "text", inputmode: f.kind === "int" ? "numeric" : "decimal", value: f.value,
      "data-field": f.id, "aria-label": `${f.group} ${f.label}`, title: `saved: ${f.saved}`,
      oninput: () => {
        for (const other of inputs.get(f.id) || []) if (other !== input) other.value = input.value;
        sendEdit({ type: "edit", field: f.id, text: input.value }, f.id);
      },
    }));
    if (!inputs.has(f.id)) inputs.set(f.id, []);
    /** @type {HTMLInputElement[]} */ (inputs.get(f.id)).push(input);
    return input;
  };

  const fieldsBox = h("div", { class: "lc-fields" });
  const tabs = h("div", { class: "lc-tabs" });
  const gridHead = h("div", { class: "lc-toolbar" });
  const gridWrap = h("div", { class: "lc-grid-wrap" });
  const gridErrors = h("div", { class: "lc-message" });
  const diffBox = h("div", { class: "lc-diff" });
  const message = h("div", { class: "lc-note" });
  const saveButton = /** @type {HTMLButtonElement} */ (h("button", {
    class: "lc-button lc-save", onclick: () => sendEdit({ type: "save" }),
  }, "Save as new version"));
  const revertButton = /** @type {HTMLButtonElement} */ (h("button", {
    class: "lc-button lc-revert", onclick: () => sendEdit({ type: "revert" }),
  }, "Revert"));
  const tablesBox = h("div", { class: "lc-tables" }, h("div", { class: "lc-group" }, "Tables"), tabs, gridHead, gridWrap,
    gridErrors);
  el.append(h("div", { class: "lc-panel lc-editor" }, h("div", { class: "lc-title" }, "Assumptions"), fieldsBox,
    tablesBox, diffBox, h("div", { class: "lc-toolbar" }, saveButton, revertButton), message));

  const drawFields = () => {
    inputs.clear();
    fieldErrors.clear();
    /** @type {Map<string, FieldState[]>} */
    const groups = new Map();
    for (const f of model.get("fields") || []) {
      if (!groups.has(f.group)) groups.set(f.group, []);
      /** @type {FieldState[]} */ (groups.get(f.group)).push(f);
    }
    const out = [];
    for (const [group, fields] of groups) {
      out.push(h("div", { class: "lc-group" }, group));
      for (const f of fields) {
        const err = h("div", { class: "lc-field-error", "data-error-for": f.id });
        fieldErrors.set(f.id, err);
        out.push(h("div", { class: "lc-field" }, h("label", {}, f.label), makeInput(f), h("span", { class: "lc-unit" }, f.unit),
          err));
      }
    }
    fieldsBox.replaceChildren(...out);
    drawTableHead();
    syncFields();
  };

  /** Values and error marks, without re-creating inputs (the one being typed in keeps focus and text). */
  const syncFields = () => {
    const errors = model.get("errors") || {};
    for (const f of model.get("fields") || []) {
      for (const input of inputs.get(f.id) || []) {
        if (document.activeElement !== input && !errors[f.id]) input.value = f.value;
        input.classList.toggle("lc-changed", f.changed);
        input.classList.toggle("lc-invalid", !!errors[f.id]);
        input.title = errors[f.id] || `saved: ${f.saved}`;
      }
      const err = fieldErrors.get(f.id);
      if (err) {
        err.textContent = errors[f.id] || "";
        err.style.display = errors[f.id] ? "" : "none";
      }
    }
  };

  // ---- tables ----------------------------------------------------------------------------------------
  /** @type {string} */
  let current = "";
  /** @type {{ name: string, columns: string[], labelColumns: string[], labels: string[][], values: Float64Array } | null} */
  let grid = null;

  const drawTableHead = () => {
    const list = model.get("tables") || [];
    tablesBox.style.display = list.length ? "" : "none";
    if (!list.length) return;
    if (!list.some((t) => t.name === current)) current = list[0].name;
    tabs.replaceChildren(...list.map((t) => h("button", {
      class: "lc-button" + (t.name === current ? " lc-active" : ""), "data-table": t.name,
      onclick: () => { current = t.name; drawTableHead(); loadGrid(); },
    }, `${t.section}: ${t.name}`)));
    const info = list.find((t) => t.name === current);
    const field = (model.get("fields") || []).find((f) => info && f.id === info.multiplier);
    gridHead.replaceChildren(...(field ? [h("label", {}, `${info?.section} multiplier`), makeInput(field),
      h("span", { class: "lc-unit" }, "applied to the table, capped at 1")] : []));
  };

  const loadGrid = () => {
    const name = current;
    if (!name) return;
    gridWrap.replaceChildren(h("div", { class: "lc-note" }, `loading ${name}…`));
    requestTransfer(model, "table", { name }).then((t) => {
      if (name !== current) return;
      grid = { name, columns: t.meta.columns, labelColumns: t.meta.label_columns, labels: t.meta.labels,
        values: f64(t.data) };
      drawGrid();
    }, (e) => { gridWrap.replaceChildren(h("div", { class: "lc-message" }, String(e))); });
  };

  const drawGrid = () => {
    if (!grid) return;
    const g = grid;
    const errors = model.get("errors") || {};
    const changed = new Set(((model.get("diff").cells || {})[g.name] || []).map(([r, c]) => `${r}:${c}`));
    const nc = g.columns.length;
    const rows = [];
    for (let r = 0; r < g.values.length / Math.max(nc, 1); r++) {
      const cells = g.labelColumns.map((_, k) => h("th", {}, g.labels[k][r]));
      g.columns.forEach((col, c) => {
        const key = `table:${g.name}:${r}:${col}`;
        const td = h("td", {
          class: "lc-editable" + (changed.has(`${r}:${col}`) ? " lc-changed" : "") + (errors[key] ? " lc-invalid" : ""),
          "data-row": r, "data-column": col, title: errors[key] || "",
          onclick: () => editCell(td, r, c),
        }, cellText(g.values[r * nc + c]));
        cells.push(td);
      });
      rows.push(h("tr", {}, ...cells));
    }
    const head = h("tr", {}, ...g.labelColumns.map((c) => h("th", {}, c)),
      ...g.columns.map((c) => h("th", {}, g.labelColumns.length ? `yr ${c}` : c)));
    gridWrap.replaceChildren(h("table", { class: "lc-grid" }, h("thead", {}, head), h("tbody", {}, ...rows)));
    const mine = Object.entries(errors).filter(([k]) => k.startsWith(`table:${g.name}:`));
    gridErrors.textContent = mine.map(([, v]) => v).join("\n");
  };

  /** @param {HTMLElement} td @param {number} r @param {number} c */
  const editCell = (td, r, c) => {
    if (!grid || td.querySelector("input")) return;
    const g = grid;
    const old = String(g.values[r * g.columns.length + c]);
    const input = /** @type {HTMLInputElement} */ (h("input", { value: old, "aria-label": `${g.name} row ${r} ${g.columns[c]}` }));
    const done = (/** @type {boolean} */ keep) => {
      const text = input.value;
      td.textContent = keep && text !== old ? text : cellText(Number(old));
      if (keep && text !== old) {
        const v = Number(text);
        if (text.trim() !== "" && Number.isFinite(v)) g.values[r * g.columns.length + c] = v;
        sendEdit({ type: "cell", table: g.name, row: r, column: g.columns[c], text });
      }
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") input.blur();
      if (ev.key === "Escape") { input.value = old; input.blur(); }
    });
    input.addEventListener("blur", () => done(true), { once: true });
    td.replaceChildren(input);
    input.focus();
    input.select();
  };

  // ---- diff ------------------------------------------------------------------------------------------
  const drawDiff = () => {
    const d = model.get("diff") || {};
    const params = d.parameters || [];
    const tables = d.tables || [];
    const dirty = params.length + tables.length > 0;
    saveButton.disabled = !dirty;
    revertButton.disabled = !dirty;
    const where = `saved version ${shortVersion(d.saved_version)}${d.saved_path ? ` (${d.saved_path})` : ""}`;
    if (!dirty) {
      diffBox.replaceChildren(h("div", { class: "lc-note" }, `No changes against the ${where}.`));
      return;
    }
    diffBox.replaceChildren(
      h("div", {}, `Changes against the ${where}; edited version ${shortVersion(d.version)}:`),
      h("ul", {},
        ...params.map(([label, a, b]) => h("li", { "data-diff": label }, `${label}: ${a} → ${b}`)),
        ...tables.map(([name, n, total]) => h("li", { "data-diff": name }, `table ${name}: ${n} of ${total} cells changed`))));
  };

  const onErrors = () => { syncFields(); drawGrid(); };
  model.on("change:fields", () => {
    const ids = (model.get("fields") || []).map((f) => f.id).join("|");
    if (ids !== [...inputs.keys()].join("|")) drawFields(); else syncFields();
  });
  model.on("change:errors", onErrors);
  model.on("change:tables", () => { drawTableHead(); loadGrid(); });
  model.on("change:diff", () => { drawDiff(); drawGrid(); });
  model.on("change:version", () => { if (grid && !(model.get("diff").tables || []).length) loadGrid(); });
  model.on("change:message", () => { message.textContent = model.get("message"); });
  drawFields();
  drawDiff();
  loadGrid();
  message.textContent = model.get("message");
}

export default { render };
