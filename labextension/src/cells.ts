/**
 * The code the side panel inserts into a notebook.
 *
 * Pure: unit-tested in `test/cells.test.ts`, and the quoting is checked
 * against Python itself in `tests/lab/test_typescript.py`.
 */

/**
 * A Python string literal whose value is exactly `text`.
 *
 * Double-quoted; backslash, double quote and control characters are escaped
 * (`\\`, `\"`, `\n`, `\r`, `\t`, `\xNN`, `\u2028`/`\u2029`), and so is a lone
 * UTF-16 surrogate (`\udNNN`, which Python holds as the same code point); every
 * other character, accented or not, is written as itself (notebooks are UTF-8).
 * So a URI such as `C:\data\"q1".csv` or one with a newline cannot end the
 * literal early or change the code around it.
 */
export function pythonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ch = text[i];
    if (ch === '\\') {
      out += '\\\\';
    } else if (ch === '"') {
      out += '\\"';
    } else if (ch === '\n') {
      out += '\\n';
    } else if (ch === '\r') {
      out += '\\r';
    } else if (ch === '\t') {
      out += '\\t';
    } else if (c < 0x20 || c === 0x7f) {
      out += `\\x${c.toString(16).padStart(2, '0')}`;
    } else if (c === 0x2028 || c === 0x2029 || (c >= 0x80 && c <= 0x9f)) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text.slice(i, i + 2); // a proper pair: one astral character
        i++;
      } else {
        out += `\\u${c.toString(16)}`;
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += `\\u${c.toString(16)}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

/** The line every inserted cell starts with. */
export const IMPORT_LINE = 'import livecalc_lab as lc';

/** Catalog id prefixes whose `uri` alone opens the dataset with `lc.open_dataset` (no configuration, no credential). */
export const PLAIN_URI_PREFIXES: readonly string[] = ['bundled:', 'file:', 'blob:'];

/**
 * A cell that opens a catalog dataset in the Workbench widget.
 *
 * Files, blobs and the bundled portfolio open from their URI
 * (`lc.open_dataset("<uri>")`). A configured dataset (`config:<id>`: its
 * filter, read options and credential reference live in `config.toml`) and a
 * Data API dataset (`api:...`: its token comes from the configured credential)
 * open through the catalog (`find("<id>").open()`), which resolves them as the
 * side panel's metadata did.
 *
 * @param entry - the catalog entry's `id` and `uri`.
 */
export function workbenchCode(entry: { id: string; uri: string }): string {
  if (PLAIN_URI_PREFIXES.some(p => entry.id.startsWith(p))) {
    return `${IMPORT_LINE}\nwb = lc.Workbench(lc.open_dataset(${pythonString(entry.uri)}))\nwb`;
  }
  return `${IMPORT_LINE}\nfrom livecalc_lab.catalog import find\nwb = lc.Workbench(find(${pythonString(entry.id)}).open())\nwb`;
}

/**
 * A cell that re-attaches to a job and shows its result (waiting for it if it is still running).
 *
 * @param jobId - the job's id.
 */
export function openResultCode(jobId: string): string {
  return `${IMPORT_LINE}\njob = lc.attach(${pythonString(jobId)})\njob.result()`;
}

/**
 * Where inserted code goes: into the active cell when it is an empty code
 * cell (a fresh notebook's first cell), else into a new cell below it.
 */
export function insertionMode(activeCell: { type: string; source: string } | null): 'replace' | 'below' {
  if (activeCell && activeCell.type === 'code' && activeCell.source.trim() === '') {
    return 'replace';
  }
  return 'below';
}
