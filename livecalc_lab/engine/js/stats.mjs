// stats.mjs — the project's exact summary statistics, ported to JavaScript for the in-browser preview.
//
// A faithful port of livecalc_lab/stats/summary.py, livecalc_lab/stats/_exact.py and
// livecalc_lab/stats/tvog.py (read their docstrings for the definitions; DESIGN.md §5). The same
// inputs give the same doubles as the Python functions, bit for bit:
//
// - percentile (nearest rank, Hyndman & Fan 1996 type 1): x(r) of the sorted values,
//   r = ceil(p * n / 100), with the level p an exact decimal and r computed in integer arithmetic;
// - CTE(alpha): with k = n (100 - alpha) / 100 exact and m = floor(k),
//   (x(1) + ... + x(m) + (k - m) x(m+1)) / k over the values sorted ascending (lowest = worst),
//   evaluated exactly and rounded once (Acerbi & Tasche 2002, lower tail);
// - mean = fsum(x) / n, fsum being the exact sum rounded once (Python's math.fsum);
// - sample std (ddof = 1) from deviations taken from the mean carried to ~106 bits;
// - TVOG = pv_ce - fsum(x) / n.
//
// Exactness: a double is an integer multiple of 2^-1074, so a sum of doubles is held exactly as a BigInt
// in those units, and a rational is rounded to the nearest double (ties to even) by ratioToDouble,
// as CPython's int / int and float(Fraction) do. -0.0 is read as +0.0; NaN and infinities are errors.
// Levels are given by the caller (the preview payload carries livecalc_lab.stats.PERCENTILES and
// CTE_LEVELS), so the default levels stay defined once, in Python.

export class StatsError extends Error {
  constructor(message) {
    super(message);
    this.name = "StatsError";
  }
}

const UNIT_BITS = 1074n;
const UNIT = 1n << UNIT_BITS; // one in units of 2^-1074
const F = new Float64Array(1);
const W = new BigUint64Array(F.buffer);
const MANTISSA = (1n << 52n) - 1n;

/** The exact value of the finite double `x` as a BigInt in units of 2^-1074. */
export function units(x) {
  F[0] = x;
  const bits = W[0];
  const exp = Number((bits >> 52n) & 0x7FFn);
  if (exp === 0x7FF) throw new StatsError(`${x} is not finite`);
  const frac = bits & MANTISSA;
  const u = exp === 0 ? frac : (frac | (1n << 52n)) << BigInt(exp - 1);
  return bits >> 63n ? -u : u;
}

function bitLength(a) {
  const hex = a.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}

/**
 * The double nearest num / den (BigInts, den > 0), ties to even: correctly rounded, as CPython's
 * int / int true division. Throws StatsError when the result overflows float64.
 */
export function ratioToDouble(num, den) {
  if (den <= 0n) throw new RangeError("ratioToDouble needs a positive denominator");
  if (num === 0n) return 0;
  const neg = num < 0n;
  const a = neg ? -num : num;
  let E = bitLength(a) - bitLength(den); // 2^E <= a / den < 2^(E + 1) after the correction
  if (E >= 0 ? a < den << BigInt(E) : a << BigInt(-E) < den) E -= 1;
  const e = Math.max(E, -1022) - 52; // weight of the last mantissa bit
  const n2 = e >= 0 ? a : a << BigInt(-e);
  const d2 = e >= 0 ? den << BigInt(e) : den;
  let q = n2 / d2;
  const twice = 2n * (n2 - q * d2);
  if (twice > d2 || (twice === d2 && (q & 1n))) q += 1n;
  const x = Number(q) * 2 ** e; // exact: q <= 2^53 and the product is representable or overflows
  if (!Number.isFinite(x)) throw new StatsError("the value overflows float64");
  return neg ? -x : x;
}

/** [rounded, exact]: the exact sum of the doubles `values` (BigInt, units of 2^-1074) and that sum rounded once. */
export function exactSum(values) {
  let total = 0n;
  for (let i = 0; i < values.length; i++) total += units(values[i]);
  return [ratioToDouble(total, UNIT), total];
}

/** Python's math.fsum: the exact sum of `values`, correctly rounded. */
export function fsum(values) {
  return exactSum(values)[0];
}

/** `values` as a new Float64Array of finite numbers with -0.0 made +0.0 (_exact.clean). */
export function clean(values, what = "values") {
  const x = Float64Array.from(values);
  if (x.length === 0) throw new StatsError(`${what} is empty: a statistic needs at least one value`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new StatsError(`${what}[${i}] = ${x[i]} is not finite`);
    x[i] += 0.0;
  }
  return x;
}

// ---- levels: exact decimals --------------------------------------------------------

const DECIMAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/**
 * A level in percent (decimal text such as "99.5", or a Number read by its shortest text) as an exact
 * fraction {num, den} (BigInts, den a power of ten) and its plain text without trailing zeros.
 */
export function parseLevel(level, what = "level") {
  if (typeof level === "boolean" || (typeof level !== "string" && typeof level !== "number")) {
    throw new StatsError(`${what} ${level} is not a number`);
  }
  if (typeof level === "number" && !Number.isFinite(level)) throw new StatsError(`${what} ${level} is not finite`);
  const m = DECIMAL.exec(String(level));
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new StatsError(`${what} '${level}' is not a decimal number`);
  const digits = (m[2] + (m[3] ?? "")).replace(/^0+(?=\d)/, "") || "0";
  let scale = (m[3] ?? "").length - Number(m[4] ?? 0); // value = digits * 10^-scale
  let num = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  while (scale > 0 && num % 10n === 0n && num !== 0n) { num /= 10n; scale -= 1; }
  if (num === 0n) scale = 0;
  if (scale < 0) { num *= 10n ** BigInt(-scale); scale = 0; }
  const den = 10n ** BigInt(scale);
  const abs = (num < 0n ? -num : num).toString().padStart(scale + 1, "0");
  const text = (num < 0n ? "-" : "") + (scale ? `${abs.slice(0, -scale)}.${abs.slice(-scale)}` : abs);
  return { num, den, text };
}

/** JSON key of a percentile level: "p" and the level with "." as "_" ("p99_5"). */
export function percentileKey(p) {
  return "p" + parseLevel(p, "percentile").text.replace(".", "_");
}

/** JSON key of a CTE level: "cte" and the level with "." as "_" ("cte95"). */
export function cteKey(alpha) {
  return "cte" + parseLevel(alpha, "CTE level").text.replace(".", "_");
}

function percentileLevel(p) {
  const lv = parseLevel(p, "percentile");
  if (!(lv.num > 0n && lv.num <= 100n * lv.den)) throw new StatsError(`percentile ${p} is outside (0, 100]`);
  return lv;
}

function cteLevel(alpha) {
  const lv = parseLevel(alpha, "CTE level");
  if (!(lv.num >= 0n && lv.num < 100n * lv.den)) throw new StatsError(`CTE level ${alpha} is outside [0, 100)`);
  return lv;
}

/** The 1-based nearest rank ceil(p * n / 100) in integer arithmetic. */
function nearestRank(lv, n) {
  const num = lv.num * BigInt(n), den = lv.den * 100n;
  return Number((num + den - 1n) / den); // num >= 0
}

/** CTE(alpha) of n values from their lowest ceil(k), sorted ascending: exact, rounded once. */
function cteFromSorted(x, n, lv) {
  // k = n (100 - alpha) / 100 = kn / kd; m = floor(k); frac(k) = fn / kd.
  const kn = BigInt(n) * (100n * lv.den - lv.num), kd = 100n * lv.den;
  const whole = kn / kd, fn = kn - whole * kd;
  const [, S] = exactSum(x.subarray(0, Number(whole)));
  // (S + (fn / kd) X) / k = (S kd + fn X) / kn, in units of 2^-1074.
  const numer = S * kd + (fn ? fn * units(x[Number(whole)]) : 0n);
  return ratioToDouble(numer, kn * UNIT) + 0.0;
}

/** Nearest-rank percentile (summary.percentile): p in (0, 100], values finite, n >= 1. */
export function percentile(values, p) {
  const lv = percentileLevel(p);
  const x = clean(values).sort();
  return x[nearestRank(lv, x.length) - 1];
}

/** Conditional tail expectation (summary.cte): mean of the lowest (100 - alpha)%, alpha in [0, 100). */
export function cte(values, alpha) {
  const lv = cteLevel(alpha);
  const x = clean(values).sort();
  return cteFromSorted(x, x.length, lv);
}

/**
 * [mean, meanLo, M2] of a clean, non-empty sample (_exact.mean_m2): mean = fsum(x) / n; meanLo the exact
 * mean minus mean, rounded once; M2 = fsum(((x - mean) - meanLo)^2).
 */
export function meanM2(x) {
  const n = x.length;
  const [s1, total] = exactSum(x);
  const mean = s1 / n;
  const meanLo = ratioToDouble(total - units(mean) * BigInt(n), BigInt(n) * UNIT);
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dev = (x[i] - mean) - meanLo;
    sq[i] = dev * dev;
    if (sq[i] === Infinity) throw new StatsError("squared deviations overflow float64");
  }
  return [mean, meanLo, fsum(sq)];
}

/**
 * Mean, sample std, min, max, nearest-rank percentiles and CTEs of a sample (summary.summarise).
 *
 * values: array-like of finite doubles, n >= 1. percentiles, cteLevels: levels in percent (decimal text).
 * Returns {n, mean, std (NaN when n = 1), min, max, percentiles: {p1: ...}, cte: {cte70: ...}}, the same
 * doubles as Summary in Python, whatever the order of `values`.
 */
export function summarise(values, percentiles, cteLevels) {
  const pLevels = percentiles.map((p) => [percentileKey(p), percentileLevel(p)]);
  const cLevels = cteLevels.map((a) => [cteKey(a), cteLevel(a)]);
  const x = clean(values);
  const n = x.length;
  const [mean, , m2] = meanM2(x);
  const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : NaN;
  x.sort();
  return {
    n, mean, std, min: x[0], max: x[n - 1],
    percentiles: Object.fromEntries(pLevels.map(([key, lv]) => [key, x[nearestRank(lv, n) - 1]])),
    cte: Object.fromEntries(cLevels.map(([key, lv]) => [key, cteFromSorted(x, n, lv)])),
  };
}

/** TVOG = pv_ce - fsum(perScenario) / n (tvog.tvog). */
export function tvog(pvCe, perScenario) {
  if (!Number.isFinite(pvCe)) throw new StatsError(`pv_ce ${pvCe} is not finite`);
  const x = clean(perScenario, "per_scenario");
  return pvCe - fsum(x) / x.length;
}
