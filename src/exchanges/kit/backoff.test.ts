// Every wait of the upstreams: the jittered backoff windows, an abortable sleep, and scaled protocol intervals.
import { describe, expect, it } from 'vitest';
import {
  authRetryDelay,
  backoffWithJitter,
  DEFAULT_BACKOFF,
  fullJitterDelay,
  scaled,
  sleep,
} from './backoff.ts';

describe('sleep', () => {
  it('waits at most as long as a timer can, and never fires a huge wait at once', async () => {
    const aborter = new AbortController();
    let done = false;
    void sleep(2 ** 40, aborter.signal).then(() => (done = true));
    await sleep(50);
    expect(done).toBe(false);
    aborter.abort();
    await sleep(0);
    expect(done).toBe(true);
  });

  it('treats a negative or unreadable wait as none', async () => {
    await expect(sleep(-5)).resolves.toBeUndefined();
    await expect(sleep(Number.NaN)).resolves.toBeUndefined();
  });
});

describe('fullJitterDelay', () => {
  it('is uniform in [0, min(max, base·2^attempt))', () => {
    const opts = { baseMs: 1000, maxMs: 60_000 };
    expect(fullJitterDelay(0, { ...opts, random: () => 0 })).toBe(0);
    expect(fullJitterDelay(0, { ...opts, random: () => 0.999 })).toBe(999);
    expect(fullJitterDelay(3, { ...opts, random: () => 0.5 })).toBe(4000);
    expect(fullJitterDelay(20, { ...opts, random: () => 0.999 })).toBe(59_940);
  });
  it('auth retries are slow and grow', () => {
    const opts = { ...DEFAULT_BACKOFF, random: () => 0 };
    expect(authRetryDelay(0, opts)).toBe(48_000);
    expect(authRetryDelay(1, opts)).toBe(96_000);
    expect(authRetryDelay(50, opts)).toBe(0.8 * 15 * 60_000);
  });
});

describe('backoffWithJitter', () => {
  it('draws from [window·(1 − below), window·(1 + above)) of a capped exponential window', () => {
    const wait = { baseMs: 1_000, attempt: 3, maxMs: 5_000 };
    expect(backoffWithJitter(wait, () => 0.5)).toBe(5_000);
    expect(backoffWithJitter({ ...wait, below: 1 }, () => 0)).toBe(0);
    expect(backoffWithJitter({ ...wait, below: 1 }, () => 0.5)).toBe(2_500);
    expect(backoffWithJitter({ baseMs: 60_000, above: 0.2 }, () => 0)).toBe(60_000);
    expect(backoffWithJitter({ baseMs: 60_000, above: 0.2 }, () => 0.999)).toBe(71_988);
    expect(backoffWithJitter({ baseMs: 100, below: 0.2, above: 0.2 }, () => 0)).toBe(80);
  });

  it('is the auth retry formula too (±20 %)', () => {
    expect(authRetryDelay(0, { ...DEFAULT_BACKOFF, random: () => 0.999 })).toBe(71_976);
  });
});

describe('scaled', () => {
  it.each([
    [20_000, 0.05, 1_000],
    [15_000, undefined, 15_000],
    [10, 0.01, 5],
    [333, 0.5, 167],
  ])('%i ms × %s = %i ms (never below 5 ms)', (ms, scale, expected) => {
    expect(scaled(ms, scale)).toBe(expected);
  });
});
