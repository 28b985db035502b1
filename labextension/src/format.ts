/**
 * How the side panel writes numbers, sizes, progress and times.
 *
 * Pure functions (no DOM, no JupyterLab): unit-tested in `test/format.test.ts`.
 */

/**
 * A count in short form: `950`, `10K`, `1.34M`, `2M`, `3.5B`.
 *
 * At most three significant digits after scaling, trailing zeros dropped;
 * counts below 1,000 are written in full. Fractional counts (a portfolio's
 * `policy_count` is a float) are rounded to the nearest whole number first.
 *
 * @throws RangeError for a negative or non-finite count.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(`not a count: ${n}`);
  }
  const whole = Math.round(n);
  const units: Array<[number, string]> = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K']
  ];
  for (let i = 0; i < units.length; i++) {
    const [scale, suffix] = units[i];
    if (whole >= scale) {
      const scaled = whole / scale;
      if (scaled >= 999.5 && i > 0) {
        // 999,999 would round to "1000K": carry into the next unit up.
        return `${threeDigits(whole / units[i - 1][0])}${units[i - 1][1]}`;
      }
      return `${threeDigits(scaled)}${suffix}`;
    }
  }
  return String(whole);
}

/** Three significant digits without trailing zeros (`1.5`, `2`, `12.3`); whole from 100 up (`464`, `1500`). */
function threeDigits(value: number): string {
  if (value >= 100) {
    return String(Math.round(value));
  }
  const text = value.toPrecision(3);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * A count with thousands separators (`2,000,000`), for the metadata table.
 *
 * @throws RangeError for a non-finite number.
 */
export function formatInteger(n: number): string {
  if (!Number.isFinite(n)) {
    throw new RangeError(`not a number: ${n}`);
  }
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.round(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A size in bytes with binary units: `512 B`, `1.5 KiB`, `64 MiB`, `2.31 GiB`.
 *
 * Three significant digits above 1 KiB.
 *
 * @throws RangeError for a negative or non-finite size.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new RangeError(`not a size in bytes: ${bytes}`);
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let k = 0;
  while (value >= 1024 && k < units.length - 1) {
    value /= 1024;
    k++;
  }
  if (k === 0) {
    return `${Math.round(value)} B`;
  }
  if (Math.round(value) >= 1024 && k < units.length - 1) {
    // 1023.9 KiB rounds to 1024 KiB: say 1 MiB instead.
    value /= 1024;
    k++;
  }
  const text = threeDigits(value);
  return `${text} ${units[k]}`;
}

/** What the panel needs of a job to write its progress. */
export interface IProgressFields {
  rows_done: number;
  rows_total: number;
  chunks_done: number;
  chunks_total: number;
}

/**
 * The share of a job done, from 0 to 1: model points when the row count is
 * known, chunks otherwise (as `ProgressEvent.fraction` in Python).
 */
export function progressFraction(p: IProgressFields): number {
  if (p.rows_total > 0) {
    return Math.min(p.rows_done / p.rows_total, 1);
  }
  return p.chunks_total > 0 ? p.chunks_done / p.chunks_total : 1;
}

/**
 * A job's progress in words: `1.34M / 2M policies, 67%`.
 *
 * The percentage is rounded down, so a job shows 100% only when every
 * policy is done. Without a row count it counts chunks: `3 / 8 chunks, 37%`.
 */
export function formatProgress(p: IProgressFields): string {
  const pct = Math.floor(progressFraction(p) * 100 + 1e-9);
  if (p.rows_total > 0) {
    return `${formatCount(p.rows_done)} / ${formatCount(p.rows_total)} policies, ${pct}%`;
  }
  return `${p.chunks_done} / ${p.chunks_total} chunks, ${pct}%`;
}

/**
 * A duration in seconds, to the second: `42 s`, `3 min 05 s`, `1 h 02 min`.
 *
 * @throws RangeError for a negative or non-finite duration.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`not a duration: ${seconds}`);
  }
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min ${pad2(s % 60)} s`;
  }
  return `${Math.floor(s / 3600)} h ${pad2(Math.floor((s % 3600) / 60))} min`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * When something started, in local time: `14:03:12` on the same day as
 * `now`, else `2026-11-29 14:03`.
 *
 * @param epochSeconds - seconds since 1970-01-01 UTC (Python's `time.time()`), or null.
 * @param now - the current time (a parameter so that tests are deterministic).
 * @returns `—` when `epochSeconds` is null (a job not started yet).
 */
export function formatStarted(epochSeconds: number | null | undefined, now: Date = new Date()): string {
  if (epochSeconds === null || epochSeconds === undefined) {
    return '—';
  }
  const d = new Date(epochSeconds * 1000);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  if (sameDay) {
    return `${time}:${pad2(d.getSeconds())}`;
  }
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}
