// value_file.mjs — value a portfolio described in a JSON file with the JS host, in Node.
//   node value_file.mjs ENGINE.wasm INPUT.json OUTPUT.json
// INPUT: {basis: {...numbers and arrays}, policies: {...arrays}} (see tests/engine/test_js_host.py);
// OUTPUT: the results' float64 bits in hex,
// so a caller can compare them with another host bit for bit.
import { readFile, writeFile } from "node:fs/promises";
import { Engine, PV_NAMES } from "./host.mjs";

const [enginePath, inputPath, outputPath] = process.argv.slice(2);
const engine = await Engine.load(await readFile(enginePath));
const input = JSON.parse(await readFile(inputPath, "utf8"));
const f64 = (a) => Float64Array.from(a);
const i32 = (a) => Int32Array.from(a);
const b = input.basis;
const basis = {
  ...b,
  mort_qx: f64(b.mort_qx), lapse_ann: f64(b.lapse_ann), disc_zero_ann: f64(b.disc_zero_ann),
  commission_rates: f64(b.commission_rates),
};
const p = input.policies;
const policies = {
  age_at_entry: i32(p.age_at_entry), policy_term: i32(p.policy_term), duration_mth: i32(p.duration_mth),
  policy_count: f64(p.policy_count), sum_assured: f64(p.sum_assured),
  premium_rate: p.premium_rate ? f64(p.premium_rate) : undefined,
};
const hex = (arr) => Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength).toString("hex");
const res = engine.valueTerm(basis, policies);
const out = { totals: hex(res.totals), premium_pp: hex(res.premium_pp) };
PV_NAMES.forEach((name, k) => { out[name] = hex(Float64Array.from(res.pv[k])); });
await writeFile(outputPath, JSON.stringify(out));
