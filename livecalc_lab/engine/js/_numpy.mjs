// _numpy.mjs — numpy's float64 summation orders, so that the preview computed in JavaScript gives
// the same bits as livecalc_lab/preview.py, which uses numpy (private to preview.mjs).
//
// numpy (2.x, checked by tests/engine/test_js_preview.py against the installed numpy) sums a contiguous
// float64 reduction with pairwise summation: blocks of at most 128 values summed with eight interleaved
// accumulators, ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest one by one; longer runs
// split in two halves (the first a multiple of 8 long) summed recursively; the result is added to the
// identity 0.0. A reduction over the leading axis of a 2-D array whose rows hold more than one value adds
// whole rows one after the other instead (numpy's inner loop runs along the rows).

const BLOCK = 128;

function pairwise(a, lo, n, stride) {
  if (n < 8) {
    let res = -0.0;
    for (let i = 0; i < n; i++) res += a[lo + i * stride];
    return res;
  }
  if (n <= BLOCK) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[lo + j * stride];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[lo + (i + j) * stride];
    }
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[lo + i * stride];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, lo, n2, stride) + pairwise(a, lo + n2 * stride, n - n2, stride);
}

/** numpy.sum of a 1-D float64 array (np.add.reduce). */
export function npSum(a) {
  return 0.0 + pairwise(a, 0, a.length, 1);
}

/** numpy.var(y, ddof=ddof): mean = sum / n; sum((y - mean)^2) / max(n - ddof, 0). */
export function npVar(y, ddof = 0) {
  const n = y.length;
  const mean = npSum(y) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = y[i] - mean;
    sq[i] = d * d;
  }
  return npSum(sq) / Math.max(n - ddof, 0);
}

/**
 * numpy's D.mean(axis=0) of D = rows 0 .. nRows - 1 of a row-major array with `stride` values per row,
 * first `nCols` columns: Float64Array(nCols).
 */
export function npMeanAxis0(D, nRows, nCols, stride) {
  const out = new Float64Array(nCols);
  if (nCols === 1) {
    out[0] = (0.0 + pairwise(D, 0, nRows, stride)) / nRows;
    return out;
  }
  for (let s = 0; s < nRows; s++) {
    const row = s * stride;
    for (let t = 0; t < nCols; t++) out[t] += D[row + t];
  }
  for (let t = 0; t < nCols; t++) out[t] /= nRows;
  return out;
}
