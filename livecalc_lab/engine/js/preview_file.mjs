// preview_file.mjs — run the in-browser preview in Node on a payload saved by browser_preview.save_payload.
//   node preview_file.mjs ENGINE.wasm PAYLOAD_DIR EDITS.json OUTPUT.json
// EDITS: a JSON list of `changes` objects (the first is often {}: the payload as sent). OUTPUT: a JSON list
// with, per edit, the preview (typed arrays as lists; numbers printed as their shortest round-trip text, so
// Python reads back the same doubles; NaN and infinities as strings) or {"error": {name, message, keys}}.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PreviewSession, assemblePayload } from "./preview.mjs";

const [enginePath, payloadDir, editsPath, outputPath] = process.argv.slice(2);
const meta = JSON.parse(await readFile(join(payloadDir, "meta.json"), "utf8"));
const buffers = await Promise.all(meta.buffers.map((_, i) => readFile(join(payloadDir, `buffer-${i}.bin`))));
const session = await PreviewSession.load(assemblePayload(meta, buffers), await readFile(enginePath));
const edits = JSON.parse(await readFile(editsPath, "utf8"));

const plain = (key, value) => {
  if (typeof value === "bigint") return String(value);
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (ArrayBuffer.isView(value)) return Array.from(value, (x) => (Number.isFinite(x) ? x : String(x)));
  return value;
};
const out = edits.map((changes) => {
  try {
    return session.compute(changes);
  } catch (err) {
    return { error: { name: err.name, message: err.message, keys: err.keys ?? null } };
  }
});
await writeFile(outputPath, JSON.stringify(out, plain));
