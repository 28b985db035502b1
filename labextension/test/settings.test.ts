import { describe, expect, it } from 'vitest';

import { DEFAULT_SETTINGS, MIN_REFRESH_INTERVAL, readSettings } from '../src/settings';

describe('readSettings', () => {
  it('reads valid values', () => {
    expect(readSettings({ refreshInterval: 5, maxJobs: 3, confirmCancel: false })).toEqual({
      refreshInterval: 5,
      maxJobs: 3,
      confirmCancel: false
    });
  });

  it('falls back to the defaults for missing or mistyped values', () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ refreshInterval: '5', maxJobs: -2, confirmCancel: 'yes' })).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ refreshInterval: Number.NaN })).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps the interval at or above the minimum and the job count whole', () => {
    expect(readSettings({ refreshInterval: 0.01 }).refreshInterval).toBe(MIN_REFRESH_INTERVAL);
    expect(readSettings({ maxJobs: 2.7 }).maxJobs).toBe(2);
    expect(readSettings({ maxJobs: 0.3 }).maxJobs).toBe(1);
  });
});
