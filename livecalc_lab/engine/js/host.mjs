// host.mjs — a JavaScript host for the LiveCalc engine (engine.wasm), for Node and browsers.
//
// The same module the Python host runs in wasmtime: it imports nothing, so it
// instantiates with an empty import object anywhere WebAssembly runs. This host
// mirrors livecalc_lab/engine/host.py (method for method, in camelCase) and
// livecalc_lab/engine/_abi.py (the layouts of engine/include/livecalc.h for
// wasm32, little-endian): it writes the inputs into linear memory as columnar
// arrays, calls the kernel, and copies the outputs out before freeing them.
// Totals are the engine's exact sums (lc_exact), rounded by the engine, so they
// are the same doubles as in Python.
//
// Exact accumulators (lc_exact, 552 bytes: 68 signed 64-bit limbs then a
// `special` word) travel in JS as BigInt64Array of EXACT_WORDS words per
// accumulator, in the engine's own layout, so they can be merged and rounded
// by the engine again (exactMerge, exactRound).
//
// Unlike wasmtime, a browser gives no epoch deadline: run the engine in a Web
// Worker (preview_worker.mjs) and terminate the worker to stop a runaway call.

export const ABI_VERSION = 4;
export const EXACT_BYTES = 552;
export const EXACT_WORDS = EXACT_BYTES / 8;
const N_PV = 5;
const N_CF = 10;
const MAX_BATCH = 1 << 26;
export const PV_NAMES = ["pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf"];
export const CF_NAMES = ["pols_if", "pols_death", "pols_lapse", "pols_maturity", "pols_new_biz",
  "premiums", "claims", "expenses", "commissions", "net_cf"];
const PREMIUM_BASIS = { equivalence: 0, table: 1 };
const ERRORS = {
  1: "LC_E_ARG: bad call block",
  2: "LC_E_AGE: attained age outside the mortality table",
  3: "LC_E_CURVE: projection month beyond the discount curve",
  4: "LC_E_TERM: policy_term or duration_mth out of range",
  5: "LC_E_VALUE: policy_count, sum_assured or premium_rate negative or not finite",
  6: "LC_E_NOMEM: the engine ran out of memory",
};

export class EngineError extends Error {
  constructor(message, call, policyIndex = null) {
    super(message);
    this.name = "EngineError";
    this.call = call;
    this.policyIndex = policyIndex;
  }
}

/**
 * Projection months the policies' cashflows span, t = 0 .. result - 1 (host.py's _months_needed):
 * max(12 * policy_term - duration_mth) + 1, and with `forPremium` on an equivalence-premium basis
 * at least 12 * policy_term + 1 (the premium is priced by projecting from issue). 0 for no policies.
 */
export function monthsNeeded(policies, basis, forPremium = false) {
  const term = policies.policy_term, dur = policies.duration_mth;
  if (term.length === 0) return 0;
  const fromIssue = forPremium && basis.premium_basis === "equivalence";
  let last = -Infinity;
  for (let i = 0; i < term.length; i++) {
    const T = 12 * term[i];
    const l = fromIssue ? Math.max(T - dur[i], T) : T - dur[i];
    if (l > last) last = l;
  }
  return Math.max(last + 1, 0);
}

/** One engine allocation carved into 16-byte-aligned named buffers (host.py's _Arena). */
class Arena {
  constructor(engine, sizes) {
    this.engine = engine;
    this.sizes = sizes;
    this.offsets = {};
    let total = 0;
    for (const [name, bytes] of Object.entries(sizes)) {
      this.offsets[name] = total;
      total += Math.ceil(bytes / 16) * 16;
    }
    this.base = engine.fn.lc_alloc(Math.max(total, 16)) >>> 0;
    if (!this.base) throw new EngineError(`engine out of memory allocating ${total} bytes`, "lc_alloc");
  }

  /** Address of buffer `name`, or 0 (NULL) when it has no bytes. */
  ptr(name) {
    return this.sizes[name] ? this.base + this.offsets[name] : 0;
  }

  /** Copy a typed array into buffer `name`; returns its address. */
  write(name, arr) {
    const p = this.ptr(name);
    new Uint8Array(this.engine.memory, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    return p;
  }

  zero(name) {
    new Uint8Array(this.engine.memory, this.ptr(name), this.sizes[name]).fill(0);
  }

  /** A copy of `count` elements of buffer `name` as typed array class `Type`. */
  read(name, Type, count) {
    return new Type(this.engine.memory, this.ptr(name), count).slice();
  }

  view(name, size) {
    return new DataView(this.engine.memory, this.ptr(name), size);
  }

  /** The doubles nearest the `count` exact accumulators in buffer `acc`, rounded by the engine into buffer `out`. */
  round(acc, out, count) {
    this.engine.call("lc_exact_round", this.ptr(acc), count, this.ptr(out));
    return this.read(out, Float64Array, count);
  }

  free() {
    this.engine.fn.lc_free(this.base);
  }
}

function f64(a) {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

export class Engine {
  /** Compile and instantiate `source`: engine.wasm's bytes (ArrayBuffer or typed array) or a compiled WebAssembly.Module. */
  static async load(source) {
    const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source);
    const imports = WebAssembly.Module.imports(module);
    if (imports.length) {
      throw new EngineError(`engine module imports ${imports.map((i) => `${i.module}.${i.name}`).join(", ")}; ` +
        "the engine must import nothing", "load");
    }
    return new Engine(await WebAssembly.instantiate(module, {}));
  }

  constructor(instance) {
    this.fn = instance.exports;
    if (this.fn._initialize) this.fn._initialize();
    const v = this.fn.lc_abi_version();
    if (v !== ABI_VERSION) {
      throw new EngineError(`engine module ABI version ${v}, this host speaks version ${ABI_VERSION}`, "lc_abi_version");
    }
    this.statusPtr = this.fn.lc_status_ptr() >>> 0;
  }

  get memory() {
    return this.fn.memory.buffer; // re-read after every allocation: memory may grow
  }

  /** Call export `name`, turning a trap into an EngineError that names the policy being valued. */
  call(name, ...args) {
    try {
      return this.fn[name](...args);
    } catch (err) {
      if (!(err instanceof WebAssembly.RuntimeError)) throw err;
      const idx = new DataView(this.memory, this.statusPtr, 16).getInt32(4, true);
      const where = idx >= 0 ? ` at policy index ${idx}` : "";
      throw new EngineError(`engine call ${name} trapped${where}: ${err.message}`, name, idx >= 0 ? idx : null);
    }
  }

  raiseCode(name, rc) {
    if (rc === 0) return;
    const st = new DataView(this.memory, this.statusPtr, 16);
    const idx = st.getInt32(4, true), detail = st.getInt32(8, true);
    const where = idx >= 0 ? ` at policy index ${idx}` : "";
    throw new EngineError(`engine call ${name} failed${where}: ${ERRORS[rc] ?? `error code ${rc}`} (detail ${detail})`,
      name, idx >= 0 ? idx : null);
  }

  // -- exact sums -------------------------------------------------------------

  /** Exact accumulator (BigInt64Array of EXACT_WORDS) of `values` (Float64Array). */
  exactAdd(values) {
    const x = f64(values);
    const arena = new Arena(this, { acc: EXACT_BYTES, x: x.byteLength });
    try {
      arena.zero("acc");
      arena.write("x", x);
      this.call("lc_exact_add", arena.ptr("acc"), arena.ptr("x"), x.length);
      return arena.read("acc", BigInt64Array, EXACT_WORDS);
    } finally {
      arena.free();
    }
  }

  /** Merge exact accumulators elementwise: `parts` are BigInt64Arrays of the same length. */
  exactMerge(parts) {
    if (!parts.length) throw new RangeError("exactMerge needs at least one part");
    const out = parts[0].slice();
    if (parts.length === 1) return out;
    const arena = new Arena(this, { dst: out.byteLength, src: out.byteLength });
    try {
      arena.write("dst", out);
      for (const p of parts.slice(1)) {
        if (p.length !== out.length) throw new RangeError("exactMerge: parts of different lengths");
        arena.write("src", p);
        this.call("lc_exact_merge", arena.ptr("dst"), arena.ptr("src"), out.length / EXACT_WORDS);
      }
      return arena.read("dst", BigInt64Array, out.length);
    } finally {
      arena.free();
    }
  }

  /** The doubles nearest the exact values of the accumulators in `acc` (Float64Array, one per accumulator). */
  exactRound(acc) {
    const n = acc.length / EXACT_WORDS;
    const arena = new Arena(this, { acc: acc.byteLength, out: 8 * n });
    try {
      arena.write("acc", acc);
      this.call("lc_exact_round", arena.ptr("acc"), n, arena.ptr("out"));
      return arena.read("out", Float64Array, n);
    } finally {
      arena.free();
    }
  }

  // -- level term -------------------------------------------------------------

  /** The term basis block (lc_term_basis) and its arrays, in a new arena with room for `extra`. */
  basisArena(basis, extra) {
    const qx = f64(basis.mort_qx ?? []), lapse = f64(basis.lapse_ann ?? []), disc = f64(basis.disc_zero_ann);
    const comm = f64(basis.commission_rates ?? []);
    const arena = new Arena(this, { basis: 88, qx: qx.byteLength, lapse: lapse.byteLength, disc: disc.byteLength,
      comm: comm.byteLength, ...extra });
    try {
      const b = arena.view("basis", 88);
      for (let k = 0; k < 88; k += 4) b.setUint32(k, 0, true);
      b.setUint32(0, qx.length ? arena.write("qx", qx) : 0, true);
      b.setInt32(4, basis.mort_min_age ?? 0, true);
      b.setInt32(8, basis.mort_n_ages ?? 0, true);
      b.setInt32(12, basis.mort_n_select ?? 0, true);
      b.setUint32(16, lapse.length ? arena.write("lapse", lapse) : 0, true);
      b.setInt32(20, lapse.length, true);
      b.setUint32(24, arena.write("disc", disc), true);
      b.setInt32(28, disc.length, true);
      b.setUint32(32, comm.length ? arena.write("comm", comm) : 0, true);
      b.setInt32(36, comm.length, true);
      b.setInt32(40, PREMIUM_BASIS[basis.premium_basis] ?? 0, true);
      b.setInt32(44, basis.premium_round_decimals ?? -1, true);
      b.setFloat64(48, basis.premium_loading ?? 0, true);
      b.setFloat64(56, basis.acquisition ?? 0, true);
      b.setFloat64(64, basis.maintenance_ann ?? 0, true);
      b.setFloat64(72, basis.inflation_ann ?? 0, true);
      b.setFloat64(80, basis.maturity_benefit ?? 0, true);
    } catch (err) {
      arena.free();
      throw err;
    }
    return arena;
  }

  /**
   * v(t) for t < nMonths, as the engine computes them: Float64Array(nMonths) (host.py's discount_factors).
   * Only basis.disc_zero_ann (annual zero-spot rates by projection year) is used:
   * v(t) = (1 + j)^(-t), j = (1 + r[floor(t / 12)])^(1/12) - 1.
   */
  discountFactors(basis, nMonths) {
    if (nMonths === 0) return new Float64Array(0);
    const arena = this.basisArena({ disc_zero_ann: basis.disc_zero_ann }, { v: 8 * nMonths });
    try {
      this.raiseCode("lc_discount_factors", this.call("lc_discount_factors", arena.ptr("basis"), nMonths, arena.ptr("v")));
      return arena.read("v", Float64Array, nMonths);
    } finally {
      arena.free();
    }
  }

  /**
   * Value level-term policies (host.py's value_term, one batch).
   *
   * basis: {mort_qx: Float64Array (mort_n_ages * mort_n_select, row-major, annual qx), mort_min_age,
   *         mort_n_ages, mort_n_select, lapse_ann, disc_zero_ann, commission_rates (Float64Array),
   *         premium_basis ("equivalence" | "table"), premium_round_decimals, premium_loading, acquisition,
   *         maintenance_ann, inflation_ann, maturity_benefit}
   * policies: {age_at_entry, policy_term, duration_mth (Int32Array), policy_count, sum_assured,
   *            premium_rate (Float64Array, table basis only)}
   * options: cashflows — false, true (every line of CF_NAMES) or an array of line names (the others stay 0):
   *            monthly cashflows t = 0 .. n_months - 1 summed exactly over the policies,
   *            n_months = monthsNeeded(policies, basis);
   *          altDisc — Float64Array covering monthsNeeded(policies, basis, true) months: also each policy's
   *            PVs under this discount vector (premiums stay those priced on the curve);
   *          exact — also return the exact accumulators (default true; false saves copying them out).
   * Returns {pv: 5 Float64Array(n) in PV_NAMES order, premium_pp: Float64Array(n), totals: Float64Array(5),
   *          totals_exact: BigInt64Array(5 * EXACT_WORDS) or null, n_months, cashflows: Float64Array(10 * n_months)
   *          line-major in CF_NAMES order or null, cashflows_exact or null, pv_alt: 5 Float64Array(n) or null,
   *          engine_ms: time inside lc_value_term}.
   * Throws EngineError (code and policy index) or RangeError (bad options).
   */
  valueTerm(basis, policies, { cashflows = false, altDisc = null, exact = true } = {}) {
    const n = policies.age_at_entry.length;
    if (n > MAX_BATCH) throw new RangeError(`valueTerm takes at most ${MAX_BATCH} policies per call, got ${n}`);
    const table = basis.premium_basis === "table";
    const nMonths = cashflows ? monthsNeeded(policies, basis) : 0;
    let cfLines = 0;
    if (Array.isArray(cashflows)) {
      const unknown = cashflows.filter((c) => !CF_NAMES.includes(c));
      if (unknown.length) throw new RangeError(`unknown cashflow lines ${unknown}; known: ${CF_NAMES.join(", ")}`);
      for (const c of new Set(cashflows)) cfLines |= 1 << CF_NAMES.indexOf(c);
    }
    let alt = null;
    if (altDisc) {
      const need = monthsNeeded(policies, basis, true);
      alt = f64(altDisc);
      if (alt.length < need) throw new RangeError(`altDisc must cover ${need} months, has ${alt.length}`);
    }
    const arena = this.basisArena(basis, {
      policies: 28, results: 48, age: 4 * n, term: 4 * n, dur: 4 * n, count: 8 * n, sa: 8 * n,
      rate: table ? 8 * n : 0, pv: 8 * N_PV * n, prem: 8 * n, totals: N_PV * EXACT_BYTES, totals_out: 8 * N_PV,
      cashflows: N_CF * nMonths * EXACT_BYTES, cf_out: 8 * N_CF * nMonths, alt_disc: alt ? alt.byteLength : 0,
      pv_alt: alt ? 8 * N_PV * n : 0,
    });
    try {
      const p = arena.view("policies", 28);
      p.setInt32(0, n, true);
      p.setUint32(4, n ? arena.write("age", policies.age_at_entry) : 0, true);
      p.setUint32(8, n ? arena.write("term", policies.policy_term) : 0, true);
      p.setUint32(12, n ? arena.write("dur", policies.duration_mth) : 0, true);
      p.setUint32(16, n ? arena.write("count", policies.policy_count) : 0, true);
      p.setUint32(20, n ? arena.write("sa", policies.sum_assured) : 0, true);
      p.setUint32(24, table && n ? arena.write("rate", policies.premium_rate) : 0, true);
      arena.zero("totals");
      if (nMonths) arena.zero("cashflows");
      const r = arena.view("results", 48);
      for (let k = 0; k < 48; k += 4) r.setUint32(k, 0, true);
      r.setUint32(0, arena.ptr("pv"), true);
      r.setUint32(4, arena.ptr("prem"), true);
      r.setUint32(8, arena.ptr("totals"), true);
      r.setUint32(12, arena.ptr("cashflows"), true);
      r.setInt32(16, nMonths, true);
      r.setInt32(20, cfLines, true);
      if (alt) {
        r.setUint32(40, arena.write("alt_disc", alt), true);
        r.setUint32(44, arena.ptr("pv_alt"), true);
      }
      const t0 = performance.now();
      const rc = this.call("lc_value_term", arena.ptr("basis"), arena.ptr("policies"), arena.ptr("results"));
      const engineMs = performance.now() - t0;
      this.raiseCode("lc_value_term", rc);
      const split = (all) => PV_NAMES.map((_, k) => all.subarray(k * n, (k + 1) * n));
      return {
        pv: split(arena.read("pv", Float64Array, N_PV * n)),
        premium_pp: arena.read("prem", Float64Array, n),
        totals: arena.round("totals", "totals_out", N_PV),
        totals_exact: exact ? arena.read("totals", BigInt64Array, N_PV * EXACT_WORDS) : null,
        n_months: nMonths,
        cashflows: cashflows ? arena.round("cashflows", "cf_out", N_CF * nMonths) : null,
        cashflows_exact: cashflows && exact ? arena.read("cashflows", BigInt64Array, N_CF * nMonths * EXACT_WORDS) : null,
        pv_alt: alt ? split(arena.read("pv_alt", Float64Array, N_PV * n)) : null,
        engine_ms: engineMs,
      };
    } finally {
      arena.free();
    }
  }

  // -- scenarios ---------------------------------------------------------------

  /**
   * Hull-White scenarios firstId .. firstId + nScenarios - 1 (id 0: certainty equivalent), generated in the
   * engine (host.py's hull_white; lc_hull_white in livecalc.h states the model and the random numbers).
   *
   * spec: {a, sigma, fund_sigma, fund_excess, seed (a Number up to 2^53 - 1, a BigInt or a decimal string
   *        below 2^64), zcb: Float64Array(n_months + 1) zero-coupon prices P(0, m), firstId, nScenarios,
   *        shortRate = true, fundReturn = true}
   * Returns {n_months, disc_factor: Float64Array(nScenarios * (n_months + 1)) scenario-major,
   *          short_rate and fund_return: Float64Array(nScenarios * n_months) when asked}.
   * Throws EngineError (parameters out of range, memory) or RangeError.
   */
  hullWhite({ a, sigma, fund_sigma, fund_excess, seed, zcb, firstId, nScenarios, shortRate = true, fundReturn = true }) {
    const P = f64(zcb);
    const T = P.length - 1;
    const S = nScenarios;
    if (T < 0 || !(Number.isInteger(firstId) && firstId >= 0 && Number.isInteger(S) && S >= 0 && firstId + S <= 2 ** 32)) {
      throw new RangeError("need at least P(0, 0) and scenario ids within 0 .. 2**32 - 1");
    }
    const s = BigInt(seed);
    if (s < 0n || s >= 1n << 64n) throw new RangeError(`seed ${seed} is outside 0 <= seed < 2**64`);
    const arena = new Arena(this, { spec: 48, zcb: P.byteLength, disc: 8 * S * (T + 1),
      short_rate: shortRate ? 8 * S * T : 0, fund_return: fundReturn ? 8 * S * T : 0 });
    try {
      const sp = arena.view("spec", 48);
      sp.setFloat64(0, a, true);
      sp.setFloat64(8, sigma, true);
      sp.setFloat64(16, fund_sigma, true);
      sp.setFloat64(24, fund_excess, true);
      sp.setUint32(32, Number(s & 0xFFFFFFFFn), true);
      sp.setUint32(36, Number(s >> 32n), true);
      sp.setUint32(40, arena.write("zcb", P), true);
      sp.setInt32(44, T, true);
      const rc = this.call("lc_hull_white", arena.ptr("spec"), firstId, S, arena.ptr("disc"), arena.ptr("short_rate"),
        arena.ptr("fund_return"));
      this.raiseCode("lc_hull_white", rc);
      const out = { n_months: T, disc_factor: arena.read("disc", Float64Array, S * (T + 1)) };
      if (shortRate) out.short_rate = arena.read("short_rate", Float64Array, S * T);
      if (fundReturn) out.fund_return = arena.read("fund_return", Float64Array, S * T);
      return out;
    } finally {
      arena.free();
    }
  }

  /**
   * Exact per-scenario present values of aggregate cashflows (host.py's discount_totals):
   * out[s][k] = sum_t fl(cf[k][t] * D[s][t]) exactly.
   *
   * cashflows: Float64Array(nLines * nMonths), line-major. disc: Float64Array holding nScen rows of
   * discStride doubles (row s starts at s * discStride; discStride >= nMonths), or one shared vector
   * with discStride 0 (then nScen is 1 unless given).
   * Returns BigInt64Array(nScen * nLines * EXACT_WORDS): accumulator [s][k]; round with exactRound. With
   * `rounded`, the rounded sums instead: Float64Array(nScen * nLines) (rounded in place, saving the copies).
   */
  discountTotals(cashflows, nLines, nMonths, disc, { nScen = 1, discStride = 0, rounded = false } = {}) {
    const cf = f64(cashflows), D = f64(disc);
    if (cf.length !== nLines * nMonths) throw new RangeError(`cashflows hold ${cf.length} values, not ${nLines} x ${nMonths}`);
    const need = discStride ? (nScen - 1) * discStride + nMonths : nMonths;
    if ((discStride && discStride < nMonths) || (nScen > 0 && D.length < need)) {
      throw new RangeError(`discount factors cover ${D.length} values, the cashflows need ${need}`);
    }
    // An empty portfolio projects zero months (an empty set: zero scenarios): the sums are then
    // empty, and the kernel still needs valid (non-NULL) buffers, so none is sized 0.
    const arena = new Arena(this, { cf: Math.max(cf.byteLength, 8), disc: Math.max(D.byteLength, 8),
      out: Math.max(nScen * nLines * EXACT_BYTES, 8), values: rounded ? Math.max(8 * nScen * nLines, 8) : 0 });
    try {
      arena.write("cf", cf);
      arena.write("disc", D);
      arena.zero("out");
      const rc = this.call("lc_discount_totals", arena.ptr("cf"), nLines, nMonths, arena.ptr("disc"), nScen, discStride,
        arena.ptr("out"));
      this.raiseCode("lc_discount_totals", rc);
      if (rounded) return arena.round("out", "values", nScen * nLines);
      return arena.read("out", BigInt64Array, nScen * nLines * EXACT_WORDS);
    } finally {
      arena.free();
    }
  }
}
