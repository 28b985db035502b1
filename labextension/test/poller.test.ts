import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Poller } from '../src/poller';

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks at once on start, then every interval, and not after stop', async () => {
    const tick = vi.fn(async () => undefined);
    const poller = new Poller(tick, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(tick).toHaveBeenCalledTimes(5);
    poller.stop();
    expect(poller.isActive).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tick).toHaveBeenCalledTimes(5);
  });

  it('waits for a slow tick before scheduling the next (no overlap)', async () => {
    let running = 0;
    let maxRunning = 0;
    const tick = vi.fn(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise(resolve => setTimeout(resolve, 5000));
      running--;
    });
    const poller = new Poller(tick, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(5999);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(2);
    void poller.refresh(); // while a tick runs: no second one
    await vi.advanceTimersByTimeAsync(0);
    expect(tick).toHaveBeenCalledTimes(2);
    expect(maxRunning).toBe(1);
    poller.stop();
  });

  it('keeps polling after a failed tick and reports the error', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const poller = new Poller(
      async () => {
        n++;
        if (n === 1) {
          throw new Error('server down');
        }
      },
      500,
      err => errors.push(err)
    );
    poller.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(n).toBe(3);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('server down');
    poller.stop();
  });

  it('resumes after stop and start while a tick is still running', async () => {
    const tick = vi.fn(() => new Promise<void>(resolve => setTimeout(resolve, 300)));
    const poller = new Poller(tick, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(100);
    poller.stop();
    poller.start();
    await vi.advanceTimersByTimeAsync(200 + 1000);
    expect(tick).toHaveBeenCalledTimes(2);
    poller.stop();
  });

  it('uses a new interval from the next scheduling and refuses a bad one', async () => {
    const tick = vi.fn(async () => undefined);
    const poller = new Poller(tick, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    poller.interval = 5000;
    await vi.advanceTimersByTimeAsync(4999);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(2);
    expect(() => (poller.interval = 0)).toThrow(RangeError);
    expect(() => new Poller(tick, Number.NaN)).toThrow(/positive/);
    poller.stop();
  });

  it('does nothing on refresh while stopped', async () => {
    const tick = vi.fn(async () => undefined);
    const poller = new Poller(tick, 1000);
    await poller.refresh();
    expect(tick).not.toHaveBeenCalled();
  });
});
