/**
 * Polling that the side panel starts when it is shown and stops when it is hidden.
 *
 * One tick at a time: the next tick is scheduled `interval` ms after the
 * previous one settles, so a slow server never piles requests up. Pure
 * (timers only): unit-tested with fake timers in `test/poller.test.ts`.
 */

export class Poller {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private active = false;
  private inFlight: Promise<void> | null = null;
  private intervalMs: number;

  /**
   * @param tick - the work of one poll; a rejection is passed to `onError` and polling goes on.
   * @param intervalMs - milliseconds between the end of one tick and the start of the next (> 0).
   * @param onError - told about a failed tick.
   * @throws RangeError for an interval that is not a positive number.
   */
  constructor(
    private readonly tick: () => Promise<void>,
    intervalMs: number,
    private readonly onError: (err: unknown) => void = () => undefined
  ) {
    this.intervalMs = checkInterval(intervalMs);
  }

  /** Whether polling is on. */
  get isActive(): boolean {
    return this.active;
  }

  /** Milliseconds between ticks; a change takes effect from the next scheduling. */
  get interval(): number {
    return this.intervalMs;
  }

  set interval(ms: number) {
    this.intervalMs = checkInterval(ms);
    if (this.active && this.timer !== null) {
      this.schedule();
    }
  }

  /** Start polling with an immediate tick (no-op when already on). */
  start(): void {
    if (this.active) {
      return;
    }
    this.active = true;
    void this.run();
  }

  /** Stop polling: no tick starts after this (a tick already running finishes). */
  stop(): void {
    this.active = false;
    this.clear();
  }

  /**
   * Tick now (when on), then carry on at the interval. Resolves when that tick settles;
   * while a tick is running, resolves with it instead of starting another.
   */
  refresh(): Promise<void> {
    if (!this.active) {
      return Promise.resolve();
    }
    return this.run();
  }

  private run(): Promise<void> {
    if (this.inFlight) {
      return this.inFlight;
    }
    this.clear();
    const p = (async () => {
      try {
        await this.tick();
      } catch (err) {
        this.onError(err);
      } finally {
        this.inFlight = null;
        if (this.active) {
          this.schedule();
        }
      }
    })();
    this.inFlight = p;
    return p;
  }

  private schedule(): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.intervalMs);
  }

  private clear(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

function checkInterval(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new RangeError(`polling interval must be a positive number of milliseconds, not ${ms}`);
  }
  return ms;
}
