// The polling loop: statuses, backoff and auth retries on real timers, jitter and the request budget on fake ones.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UpstreamState } from '../server-types.ts';
import { sleep } from './backoff.ts';
import { pollingUpstream, type PollResult } from './polling.ts';
import { until } from './testing/session-harness.ts';

const quietLog = { info: () => {}, warn: () => {}, error: () => {} };

function recorder(): {
  states: [UpstreamState, string | undefined][];
  setStatus: (s: UpstreamState, d?: string) => void;
  kinds: () => UpstreamState[];
} {
  const states: [UpstreamState, string | undefined][] = [];
  return { states, setStatus: (s, d) => states.push([s, d]), kinds: () => states.map(([s]) => s) };
}

describe('pollingUpstream', () => {
  it('polls at the interval, backs off on failures, honours Retry-After and reports auth failures', async () => {
    const rec = recorder();
    const script: PollResult[] = [
      { kind: 'ok' },
      { kind: 'retry', detail: 'HTTP 429', retryAfterMs: 60 },
      { kind: 'ok' },
      { kind: 'auth', detail: 'invalid_signature' },
      { kind: 'ok' },
    ];
    const times: number[] = [];
    const upstream = pollingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      intervalMs: 10,
      backoff: { baseMs: 1, maxMs: 1, authRetryMs: 50, authRetryMaxMs: 50, random: () => 0.5 },
      poll: async () => {
        times.push(Date.now());
        return script[times.length - 1] ?? { kind: 'ok' };
      },
    });
    upstream.start();
    await until(() => times.length >= 5);
    await upstream.stop();
    expect(rec.states.map(([s]) => s)).toEqual([
      'connecting',
      'live',
      'reconnecting',
      'live',
      'auth_failed',
      'live',
    ]);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(55);
    expect(times[4]! - times[3]!).toBeGreaterThanOrEqual(45);
  });

  it('caps Retry-After at 15 minutes: a wait too long for a timer never turns into a hot loop', async () => {
    const rec = recorder();
    let polls = 0;
    const upstream = pollingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      intervalMs: 5,
      backoff: { baseMs: 1, maxMs: 1, random: () => 0 },
      poll: async () => {
        polls += 1;
        return { kind: 'retry', detail: 'HTTP 429', retryAfterMs: 2 ** 32 * 1000 };
      },
    });
    upstream.start();
    await sleep(150);
    await upstream.stop();
    expect(polls).toBe(1);
    expect(rec.states.at(-1)).toEqual(['reconnecting', 'HTTP 429; retrying in 15 min']);
  });

  it('stays silent about status when secondary', async () => {
    const rec = recorder();
    let n = 0;
    const upstream = pollingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      intervalMs: 5,
      reportStatus: false,
      poll: async () => {
        n += 1;
        return n % 2 ? { kind: 'ok' } : { kind: 'retry', detail: 'HTTP 500' };
      },
      backoff: { baseMs: 1, maxMs: 1 },
    });
    upstream.start();
    await until(() => n >= 4);
    await upstream.stop();
    expect(rec.states).toEqual([]);
  });
});

describe('pollingUpstream: jitter and the request budget', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** When each poll went out (fake-clock ms from start), for `results` in turn. */
  async function pollTimes(
    options: {
      random: () => number;
      results?: PollResult[];
      plan?: { intervalMs: number; offsetMs: number };
    },
    forMs: number,
  ): Promise<number[]> {
    const times: number[] = [];
    const start = Date.now();
    const upstream = pollingUpstream({
      deps: {
        setStatus: () => {},
        log: quietLog,
        ...(options.plan ? { pollPlan: options.plan } : {}),
      },
      intervalMs: 5_000,
      backoff: { baseMs: 1_000, maxMs: 1_000, random: options.random },
      poll: async () => {
        times.push(Date.now() - start);
        return options.results?.[times.length - 1] ?? { kind: 'ok' };
      },
    });
    upstream.start();
    await vi.advanceTimersByTimeAsync(forMs);
    await upstream.stop();
    return times;
  }

  it('stretches each interval by up to 10 %, never shortens it', async () => {
    expect(await pollTimes({ random: () => 0 }, 16_000)).toEqual([0, 5_000, 10_000, 15_000]);
    expect(await pollTimes({ random: () => 0.5 }, 16_000)).toEqual([0, 5_250, 10_500, 15_750]);
  });

  it('waits out a Retry-After with jitter, so accounts locked out together do not retry together', async () => {
    const locked: PollResult[] = [{ kind: 'retry', detail: 'HTTP 429', retryAfterMs: 60_000 }];
    const a = await pollTimes({ random: () => 0.1, results: locked }, 80_000);
    const b = await pollTimes({ random: () => 0.7, results: locked }, 80_000);
    expect(a[1]).toBe(61_200);
    expect(b[1]).toBe(68_400);
  });

  it('follows the plan: the first poll after its offset, then the stretched interval', async () => {
    const times = await pollTimes({ random: () => 0, plan: { intervalMs: 12_500, offsetMs: 2_500 } }, 30_000);
    expect(times).toEqual([2_500, 15_000, 27_500]);
  });
});
