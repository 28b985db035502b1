/**
 * The side panel's settings (`schema/plugin.json`), read from the setting registry.
 *
 * Pure: unit-tested in `test/settings.test.ts`.
 */

/** What the panel reads from the user's settings. */
export interface IPanelSettings {
  /** Seconds between two polls of the jobs list while the panel is visible. */
  refreshInterval: number;
  /** Jobs listed at most, newest first. */
  maxJobs: number;
  /** Ask before cancelling a job. */
  confirmCancel: boolean;
}

/** The schema's defaults. */
export const DEFAULT_SETTINGS: Readonly<IPanelSettings> = Object.freeze({
  refreshInterval: 2,
  maxJobs: 20,
  confirmCancel: true
});

/** The smallest polling interval honoured, in seconds (the schema's minimum). */
export const MIN_REFRESH_INTERVAL = 0.5;

/**
 * The panel's settings from the registry's composite values: a value of the
 * wrong type falls back to the default, an interval below
 * {@link MIN_REFRESH_INTERVAL} is raised to it, and `maxJobs` is a whole number >= 1.
 */
export function readSettings(composite: Readonly<Record<string, unknown>>): IPanelSettings {
  const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const interval = positive(composite.refreshInterval) ? composite.refreshInterval : DEFAULT_SETTINGS.refreshInterval;
  return {
    refreshInterval: Math.max(interval, MIN_REFRESH_INTERVAL),
    maxJobs: positive(composite.maxJobs) ? Math.max(1, Math.floor(composite.maxJobs)) : DEFAULT_SETTINGS.maxJobs,
    confirmCancel: typeof composite.confirmCancel === 'boolean' ? composite.confirmCancel : DEFAULT_SETTINGS.confirmCancel
  };
}
