// host.mjs — a JavaScript host for the LiveCalc engine (engine.wasm), for Node and browsers.
//
// The same module the Python host runs in wasmtime: it imports nothing, so it
// instantiates with an empty import object anywhere WebAssembly runs. This host
// mirrors livecalc_lab/engine/_abi.py (the layouts of engine/include/livecalc.h
// for wasm32, little-endian): it writes the inputs into linear memory as
// columnar arrays, calls lc_value_term, and copies the outputs out. Totals are
// the engine's exact sums (lc_exact), rounded by the engine, so they are the
// same doubles as in Python.

export const ABI_VERSION = 4;
const EXACT_BYTES = 552;
const N_PV = 5;
export const PV_NAMES = ["pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf"];
const PREMIUM_BASIS = { equivalence: 0, table: 1 };

export class EngineError extends Error {
  constructor(message, call, policyIndex = null) {
    super(message);
    this.name = "EngineError";
    this.call = call;
    this.policyIndex = policyIndex;
  }
}

export class Engine {
  /** Compile and instantiate `bytes` (an ArrayBuffer or typed array holding engine.wasm). */
  static async load(bytes) {
    const { instance, module } = await WebAssembly.instantiate(bytes, {});
    const imports = WebAssembly.Module.imports(module);
    if (imports.length) {
      throw new EngineError(`engine module imports ${imports.map((i) => `${i.module}.${i.name}`).join(", ")}`, "load");
    }
    return new Engine(instance);
  }

  constructor(instance) {
    this.fn = instance.exports;
    if (this.fn._initialize) this.fn._initialize();
    const v = this.fn.lc_abi_version();
    if (v !== ABI_VERSION) {
      throw new EngineError(`engine module ABI version ${v}, this host speaks version ${ABI_VERSION}`, "lc_abi_version");
    }
    this.statusPtr = this.fn.lc_status_ptr();
  }

  get memory() {
    return this.fn.memory.buffer; // re-read after every allocation: memory may grow
  }

  /**
   * Value level-term policies.
   * basis: {mort_qx: Float64Array (n_ages*n_select, row-major), mort_min_age, mort_n_ages, mort_n_select,
   *         lapse_ann, disc_zero_ann, commission_rates (Float64Array), premium_basis ("equivalence"|"table"),
   *         premium_round_decimals, premium_loading, acquisition, maintenance_ann, inflation_ann, maturity_benefit}
   * policies: {age_at_entry, policy_term, duration_mth (Int32Array), policy_count, sum_assured,
   *            premium_rate (Float64Array, table basis only)}
   * Returns {pv: Float64Array[5][n] as an array of 5 Float64Array, premium_pp: Float64Array, totals: Float64Array(5)}.
   */
  valueTerm(basis, policies) {
    const n = policies.age_at_entry.length;
    const table = basis.premium_basis === "table";
    const parts = [
      ["basis", 88], ["policies", 28], ["results", 48],
      ["qx", basis.mort_qx.byteLength], ["lapse", basis.lapse_ann.byteLength],
      ["disc", basis.disc_zero_ann.byteLength], ["comm", basis.commission_rates.byteLength],
      ["age", 4 * n], ["term", 4 * n], ["dur", 4 * n], ["count", 8 * n], ["sa", 8 * n],
      ["rate", table ? 8 * n : 0], ["pv", 8 * N_PV * n], ["prem", 8 * n], ["totals", N_PV * EXACT_BYTES],
      ["out", 8 * N_PV],
    ];
    const off = {};
    let size = 0;
    for (const [name, bytes] of parts) {
      off[name] = size;
      size += Math.ceil(bytes / 16) * 16;
    }
    const base = this.fn.lc_alloc(Math.max(size, 16));
    if (!base) throw new EngineError(`engine out of memory allocating ${size} bytes`, "lc_alloc");
    const at = (name) => base + off[name];
    try {
      const put = (name, arr) => {
        new Uint8Array(this.memory, at(name), arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
        return at(name);
      };
      const b = new DataView(this.memory, at("basis"), 88);
      b.setUint32(0, put("qx", basis.mort_qx), true);
      b.setInt32(4, basis.mort_min_age, true);
      b.setInt32(8, basis.mort_n_ages, true);
      b.setInt32(12, basis.mort_n_select, true);
      b.setUint32(16, put("lapse", basis.lapse_ann), true);
      b.setInt32(20, basis.lapse_ann.length, true);
      b.setUint32(24, put("disc", basis.disc_zero_ann), true);
      b.setInt32(28, basis.disc_zero_ann.length, true);
      b.setUint32(32, basis.commission_rates.length ? put("comm", basis.commission_rates) : 0, true);
      b.setInt32(36, basis.commission_rates.length, true);
      b.setInt32(40, PREMIUM_BASIS[basis.premium_basis], true);
      b.setInt32(44, basis.premium_round_decimals, true);
      b.setFloat64(48, basis.premium_loading, true);
      b.setFloat64(56, basis.acquisition, true);
      b.setFloat64(64, basis.maintenance_ann, true);
      b.setFloat64(72, basis.inflation_ann, true);
      b.setFloat64(80, basis.maturity_benefit, true);
      const p = new DataView(this.memory, at("policies"), 28);
      p.setInt32(0, n, true);
      p.setUint32(4, put("age", policies.age_at_entry), true);
      p.setUint32(8, put("term", policies.policy_term), true);
      p.setUint32(12, put("dur", policies.duration_mth), true);
      p.setUint32(16, put("count", policies.policy_count), true);
      p.setUint32(20, put("sa", policies.sum_assured), true);
      p.setUint32(24, table ? put("rate", policies.premium_rate) : 0, true);
      new Uint8Array(this.memory, at("totals"), N_PV * EXACT_BYTES).fill(0);
      const r = new DataView(this.memory, at("results"), 48);
      for (let k = 0; k < 48; k += 4) r.setUint32(k, 0, true);
      r.setUint32(0, at("pv"), true);
      r.setUint32(4, at("prem"), true);
      r.setUint32(8, at("totals"), true);
      const rc = this.fn.lc_value_term(at("basis"), at("policies"), at("results"));
      if (rc !== 0) {
        const st = new DataView(this.memory, this.statusPtr, 16);
        const idx = st.getInt32(4, true);
        throw new EngineError(`engine call lc_value_term failed with code ${rc} at policy index ${idx}`,
          "lc_value_term", idx >= 0 ? idx : null);
      }
      this.fn.lc_exact_round(at("totals"), N_PV, at("out"));
      const pvAll = new Float64Array(this.memory, at("pv"), N_PV * n).slice();
      return {
        pv: PV_NAMES.map((_, k) => pvAll.subarray(k * n, (k + 1) * n)),
        premium_pp: new Float64Array(this.memory, at("prem"), n).slice(),
        totals: new Float64Array(this.memory, at("out"), N_PV).slice(),
      };
    } finally {
      this.fn.lc_free(base);
    }
  }
}
