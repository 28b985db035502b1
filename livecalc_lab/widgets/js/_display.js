// @ts-check
// What the preview panel shows of a result computed in the page (the browser preview): a port of
// livecalc_lab/widgets/_format.py and _display.py, giving the kernel's text character for character
// and its histogram bit for bit (tests/widgets/test_display_js.py runs both on the same numbers).
//
// Python writes a float with correct rounding of its exact binary value, ties to even; JavaScript's
// toFixed and toPrecision round ties away from zero. So the decimal text is made here from the exact
// value (a double is m * 2^e, m and e integers) in BigInt arithmetic. Labels, their order and the
// number of bins come from the kernel (the panel's display_spec trait): they are defined once, in Python.

/**
 * @typedef {{ n: number, mean: number, std: number, min: number, max: number,
 *             percentiles: Record<string, number>, cte: Record<string, number> }} Summary
 * @typedef {{ pv_net_cf: number, ci95: number[], std_error: number, relative_halfwidth: number,
 *             sample_size: number, total_rows: number, totals: Record<string, number>,
 *             statistics: Summary | null, pv_net_cf_ce: number | null, tvog: number | null,
 *             per_scenario: Record<string, ArrayLike<number>> | null, compute_ms?: number }} PreviewNumbers
 *   A preview as the worker gives it (PreviewSession.compute in livecalc_lab/engine/js/preview.mjs).
 * @typedef {{ statistics: [string, string][], deterministic: [string, string][], bins: number }} DisplaySpec
 * @typedef {[string, string, string, number]} StatRow   key, label, text, value
 * @typedef {[string, number, string]} Mark             label, value, text
 */

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/**
 * |x| = m * 2^e exactly, for a finite double x.
 * @param {number} x
 * @returns {[bigint, number]}
 */
function binary(x) {
  F64[0] = x;
  const bits = U64[0];
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  return exp === 0 ? [frac, -1074] : [frac | (1n << 52n), exp - 1075];
}

/**
 * |x| * 10^k rounded to an integer, ties to even.
 * @param {number} x
 * @param {number} k
 * @returns {bigint}
 */
function scaledRound(x, k) {
  const [m, e] = binary(x);
  let num = m, den = 1n;
  if (k >= 0) num *= 10n ** BigInt(k); else den *= 10n ** BigInt(-k);
  if (e >= 0) num <<= BigInt(e); else den <<= BigInt(-e);
  let q = num / den;
  const twice = 2n * (num - q * den);
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  return q;
}

/**
 * Python's `f"{x:.{d}f}"` for a finite x and d >= 0 (a negative x keeps its sign, even as "-0.0").
 * @param {number} x
 * @param {number} d
 */
export function fixed(x, d) {
  let s = scaledRound(x, d).toString();
  if (d > 0) {
    s = s.padStart(d + 1, "0");
    s = `${s.slice(0, -d)}.${s.slice(-d)}`;
  }
  return (x < 0 || Object.is(x, -0) ? "-" : "") + s;
}

/**
 * `float(f"{x:.{p}g}")` and its decimal exponent: x (finite, non-zero) to p significant digits.
 * @param {number} x
 * @param {number} p
 * @returns {[number, number]}
 */
function roundSignificant(x, p) {
  let e = Math.floor(Math.log10(Math.abs(x)));
  const top = 10n ** BigInt(p), bottom = 10n ** BigInt(p - 1);
  for (let tries = 0; tries < 4; tries++) {
    const q = scaledRound(x, p - 1 - e);
    if (q >= top) e += 1;
    else if (q < bottom) e -= 1;
    else return [(x < 0 ? -1 : 1) * Number(`${q}e${e - p + 1}`), e];
  }
  throw new Error(`cannot round ${x} to ${p} significant digits`);
}

/** @param {number} v @param {number} digits */
function significant(v, digits) {
  if (v === 0) return "0";
  const [r, e] = roundSignificant(v, digits); // e = floor(log10(|r|)) exactly
  return fixed(r, Math.max(digits - 1 - e, 0));
}

/** @param {string} digits  an integer's decimal text, maybe signed */
function grouped(digits) {
  const neg = digits.startsWith("-");
  const d = neg ? digits.slice(1) : digits;
  return (neg ? "-" : "") + d.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** @param {number} n  an integer (Python's `f"{n:,}"`) */
export function integer(n) {
  return grouped(String(Math.trunc(n)));
}

const UNITS = /** @type {[number, string][]} */ ([[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]]);

/**
 * A money amount with `digits` significant digits and a K/M/B/T suffix (_format.amount).
 * @param {number | null | undefined} x
 * @param {number} [digits]
 */
export function amount(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) {
    return x === null || x === undefined || Number.isNaN(x) ? "—" : (x > 0 ? "∞" : "-∞");
  }
  for (const [div, unit] of UNITS) {
    if (Math.abs(x) >= div * 0.9995) return significant(x / div, digits) + unit;
  }
  return significant(x, digits);
}

/** A count of things: 10K, 2M, 1.34M, 950 (_format.count). @param {number} n */
export function count(n) {
  if (n < 1000) return grouped(fixed(n, 0));
  const text = amount(n, 3);
  return text.includes(".") ? text.replaceAll(".00", "").replaceAll(".0K", "K").replaceAll(".0M", "M") : text;
}

/** A share as a percentage, 0.0198 → 2.0% (_format.percent). @param {number} share @param {number} [decimals] */
export function percent(share, decimals = 1) {
  return Number.isFinite(share) ? `${fixed(100 * share, decimals)}%` : "—";
}

/** A change as a signed percentage: +1.2%, -0.4%, ±0.0% (_format.signed_percent). @param {number} share @param {number} [decimals] */
export function signedPercent(share, decimals = 1) {
  if (!Number.isFinite(share)) return "—";
  const text = `${fixed(100 * Math.abs(share), decimals)}%`;
  if (Number(text.slice(0, -1)) === 0) return `±${text}`;
  return (share > 0 ? "+" : "-") + text;
}

/** Python's round() of a double to an integer: ties to even. @param {number} x */
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** A duration: 0.12 s, 12 s, 3 min 05 s, 1 h 02 min (_format.seconds). @param {number | null | undefined} s */
export function seconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  if (s < 10) return s < 1 ? `${fixed(s, 2)} s` : `${fixed(s, 1)} s`;
  if (s < 60) return `${fixed(s, 0)} s`;
  const whole = roundHalfEven(s);
  const m = Math.floor(whole / 60), sec = whole - 60 * m;
  if (m < 60) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

// ---- the panel's parts (_display.py) -------------------------------------------------------------------

/**
 * The shown statistics by key, in the spec's order (_display.statistic_values).
 * @param {PreviewNumbers} r
 * @param {DisplaySpec} spec
 * @returns {[string, number][]}
 */
export function statisticValues(r, spec) {
  const s = r.statistics;
  if (!s) return spec.deterministic.filter(([k]) => k in r.totals).map(([k]) => [k, r.totals[k]]);
  /** @type {Record<string, number | null | undefined>} */
  const values = { pv_net_cf: s.mean, std: s.std, ...s.percentiles, ...s.cte, pv_net_cf_ce: r.pv_net_cf_ce, tvog: r.tvog };
  return spec.statistics.filter(([k]) => values[k] !== null && values[k] !== undefined)
    .map(([k]) => [k, /** @type {number} */ (values[k])]);
}

/**
 * `[[key, label, text, value], ...]` of the statistics table (_display.statistics_rows).
 * @param {PreviewNumbers} r
 * @param {DisplaySpec} spec
 * @returns {StatRow[]}
 */
export function statisticsRows(r, spec) {
  const labels = Object.fromEntries(r.statistics ? spec.statistics : spec.deterministic);
  return statisticValues(r, spec).map(([k, v]) => [k, labels[k], amount(v), v]);
}

/**
 * "Preview: mean PV 1.21M ± 2.0% (95%), 10K sample" (_display.headline).
 * @param {PreviewNumbers} r
 */
export function headline(r) {
  const what = r.statistics ? "mean PV" : "PV";
  const pv = amount(r.pv_net_cf);
  if (r.sample_size >= r.total_rows) return `Preview: ${what} ${pv} (exact: all ${integer(r.total_rows)} model points)`;
  return `Preview: ${what} ${pv} ± ${percent(r.relative_halfwidth)} (95%), ${count(r.sample_size)} sample`;
}

/**
 * The line under the headline, as the kernel writes it, saying where the preview ran.
 * @param {PreviewNumbers} r
 * @param {number} elapsedSeconds
 */
export function detail(r, elapsedSeconds) {
  const n = r.statistics ? r.statistics.n : 0;
  const scen = n ? `, ${integer(n)} scenarios` : ", deterministic";
  return `${integer(r.sample_size)} of ${integer(r.total_rows)} model points${scen}; ${seconds(elapsedSeconds)} in the browser`;
}

/**
 * The change against the previous preview's mean PV, "" without one (PreviewPanel._delta_text).
 * @param {number} pv
 * @param {number | null | undefined} old
 */
export function delta(pv, old) {
  if (old === null || old === undefined || !old || !Number.isFinite(old)) return "";
  return `${signedPercent((pv - old) / Math.abs(old))} vs previous preview (${amount(old)})`;
}

/**
 * Bin edges and counts of `values` (_display.histogram): `bins` equal bins from the minimum to the
 * maximum, numpy's linspace and histogram to the bit (edge i = i * step + lo, the last = hi; a value
 * falls in [edge i, edge i+1), the last bin closed). All values equal: one bin 1% of the value wide (or 1).
 * @param {ArrayLike<number>} values
 * @param {number} bins
 * @returns {{ edges: Float64Array, counts: Float64Array }}
 */
export function histogram(values, bins) {
  const n = values.length;
  let lo = 0.0, hi = 1.0;
  if (n) {
    lo = Infinity; hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (values[i] < lo) lo = values[i];
      if (values[i] > hi) hi = values[i];
    }
  }
  if (hi <= lo) {
    const pad = Math.abs(lo) * 0.01 || 1.0;
    lo -= pad / 2;
    hi += pad / 2;
  }
  const k = Math.max(Math.trunc(bins), 1);
  const edges = new Float64Array(k + 1);
  const step = (hi - lo) / k;
  for (let i = 0; i <= k; i++) edges[i] = step === 0 ? (i / k) * (hi - lo) + lo : i * step + lo;
  edges[k] = hi;
  const counts = new Float64Array(k);
  for (let j = 0; j < n; j++) {
    const v = values[j];
    if (!(v >= edges[0] && v <= edges[k])) continue;
    if (v === edges[k]) { counts[k - 1] += 1; continue; }
    let a = 0, b = k; // the last edge <= v: edges[a] <= v < edges[b]
    while (b - a > 1) {
      const mid = (a + b) >> 1;
      if (edges[mid] <= v) a = mid; else b = mid;
    }
    counts[a] += 1;
  }
  return { edges, counts };
}

/**
 * The mean, P95 and CTE95 marked on the chart (_display.marks).
 * @param {PreviewNumbers} r
 * @returns {Mark[]}
 */
export function marks(r) {
  const s = r.statistics;
  if (!s) return [];
  /** @type {[string, number | undefined][]} */
  const out = [["mean", s.mean], ["P95", s.percentiles.p95], ["CTE95", s.cte.cte95]];
  return out.filter(([, v]) => v !== undefined && v !== null && Number.isFinite(v))
    .map(([label, v]) => [label, /** @type {number} */ (v), amount(v)]);
}
