import { describe, expect, it } from 'vitest';

import {
  formatBytes,
  formatCount,
  formatDuration,
  formatInteger,
  formatProgress,
  formatStarted,
  progressFraction
} from '../src/format';

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [999, '999'],
    [1000, '1K'],
    [10_000, '10K'],
    [12_345, '12.3K'],
    [999_499, '999K'],
    [999_999, '1M'],
    [1_340_000, '1.34M'],
    [2_000_000, '2M'],
    [1_006_000, '1.01M'],
    [3_500_000_000, '3.5B'],
    [10.4, '10'],
    [10.5, '11']
  ])('%d -> %s', (n, text) => {
    expect(formatCount(n)).toBe(text);
  });

  it('refuses what is not a count', () => {
    expect(() => formatCount(-1)).toThrow(RangeError);
    expect(() => formatCount(Number.NaN)).toThrow(/not a count/);
    expect(() => formatCount(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('formatInteger', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [2_000_000, '2,000,000'],
    [-1234567, '-1,234,567'],
    [10_000.4, '10,000']
  ])('%d -> %s', (n, text) => {
    expect(formatInteger(n)).toBe(text);
  });

  it('refuses NaN', () => {
    expect(() => formatInteger(Number.NaN)).toThrow(RangeError);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [64 * 1024 * 1024, '64 MiB'],
    [1024 * 1024 - 1, '1 MiB'],
    [2.31 * 1024 ** 3, '2.31 GiB'],
    [475_377, '464 KiB']
  ])('%d -> %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('refuses a negative size', () => {
    expect(() => formatBytes(-5)).toThrow(/not a size/);
  });
});

describe('progress', () => {
  it('writes rows done of the total with a rounded-down percentage', () => {
    const p = { rows_done: 1_340_000, rows_total: 2_000_000, chunks_done: 27, chunks_total: 40 };
    expect(formatProgress(p)).toBe('1.34M / 2M policies, 67%');
    expect(progressFraction(p)).toBeCloseTo(0.67, 12);
  });

  it('shows 100% only when everything is done', () => {
    expect(formatProgress({ rows_done: 1_999_999, rows_total: 2_000_000, chunks_done: 39, chunks_total: 40 })).toBe(
      '2M / 2M policies, 99%'
    );
    expect(formatProgress({ rows_done: 10_000, rows_total: 10_000, chunks_done: 4, chunks_total: 4 })).toBe(
      '10K / 10K policies, 100%'
    );
  });

  it('counts chunks when the row count is unknown', () => {
    expect(formatProgress({ rows_done: 0, rows_total: 0, chunks_done: 3, chunks_total: 8 })).toBe('3 / 8 chunks, 37%');
    expect(progressFraction({ rows_done: 0, rows_total: 0, chunks_done: 0, chunks_total: 0 })).toBe(1);
  });

  it('never goes past 100%', () => {
    expect(progressFraction({ rows_done: 12, rows_total: 10, chunks_done: 1, chunks_total: 1 })).toBe(1);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [42.4, '42 s'],
    [59.6, '1 min 00 s'],
    [185, '3 min 05 s'],
    [3720, '1 h 02 min'],
    [90_000, '25 h 00 min']
  ])('%d s -> %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it('refuses a negative duration', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
  });
});

describe('formatStarted', () => {
  const now = new Date(2026, 10, 30, 15, 0, 0); // local time
  const epoch = (d: Date): number => d.getTime() / 1000;

  it('writes the time alone on the same day', () => {
    expect(formatStarted(epoch(new Date(2026, 10, 30, 14, 3, 12)), now)).toBe('14:03:12');
  });

  it('writes the date on another day', () => {
    expect(formatStarted(epoch(new Date(2026, 10, 29, 9, 5, 0)), now)).toBe('2026-11-29 09:05');
  });

  it('writes a dash for a job not started', () => {
    expect(formatStarted(null, now)).toBe('—');
    expect(formatStarted(undefined, now)).toBe('—');
  });
});
