import { describe, expect, it } from 'vitest';
import type { UpstreamState } from '../exchanges/server-types.ts';
import {
  authRetryDelay,
  DEFAULT_BACKOFF,
  fullJitterDelay,
  MAX_RETRY_AFTER_MS,
  pollingUpstream,
  reconnectingUpstream,
  sleep,
  type PollResult,
  type SessionContext,
  type SessionEnd,
} from './upstream-kit.ts';

const quietLog = { info: () => {}, warn: () => {}, error: () => {} };

function recorder(): {
  states: [UpstreamState, string | undefined][];
  setStatus: (s: UpstreamState, d?: string) => void;
} {
  const states: [UpstreamState, string | undefined][] = [];
  return { states, setStatus: (s, d) => states.push([s, d]) };
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(5);
  }
}

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

describe('reconnectingUpstream', () => {
  it('reconnects after a closed session, resets the attempt after live, and stops cleanly', async () => {
    const rec = recorder();
    const attempts: number[] = [];
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 1000,
      deadAfterMs: 2000,
      stableAfterMs: 0,
      backoff: { baseMs: 5, maxMs: 20, random: () => 0.5 },
      session: async (ctx: SessionContext): Promise<SessionEnd> => {
        attempts.push(ctx.attempt);
        if (attempts.length === 3) ctx.data();
        await sleep(5);
        return { kind: 'closed', detail: 'socket closed (1006)' };
      },
    });
    upstream.start();
    await until(() => attempts.length >= 5);
    await upstream.stop();
    expect(attempts.slice(0, 5)).toEqual([0, 1, 2, 1, 2]);
    expect(rec.states[0]).toEqual(['connecting', undefined]);
    expect(rec.states.some(([s, d]) => s === 'reconnecting' && d?.startsWith('socket closed (1006)'))).toBe(
      true,
    );
    expect(rec.states.some(([s]) => s === 'live')).toBe(true);
  });

  it('keeps backing off when sessions go live but do not last', async () => {
    const attempts: number[] = [];
    const upstream = reconnectingUpstream({
      deps: { setStatus: () => {}, log: quietLog },
      staleAfterMs: 1000,
      deadAfterMs: 2000,
      stableAfterMs: 10_000,
      backoff: { baseMs: 1, maxMs: 4, random: () => 0.5 },
      session: async (ctx) => {
        attempts.push(ctx.attempt);
        ctx.data();
        await sleep(1);
        return { kind: 'closed', detail: 'dropped right after auth' };
      },
    });
    upstream.start();
    await until(() => attempts.length >= 4);
    await upstream.stop();
    expect(attempts.slice(0, 4)).toEqual([0, 1, 2, 3]);
  });

  it('turns a silent live session stale, then replaces it', async () => {
    const rec = recorder();
    let sessions = 0;
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 40,
      deadAfterMs: 120,
      watchdogMs: 10,
      backoff: { baseMs: 5, maxMs: 5, random: () => 0 },
      session: (ctx) =>
        new Promise<SessionEnd>((resolve) => {
          sessions += 1;
          ctx.data();
          ctx.signal.addEventListener('abort', () => resolve({ kind: 'closed', detail: 'closed by us' }));
        }),
    });
    upstream.start();
    await until(() => sessions >= 2);
    await upstream.stop();
    const kinds = rec.states.map(([s]) => s);
    expect(kinds.slice(0, 4)).toEqual(['connecting', 'live', 'stale', 'reconnecting']);
    expect(rec.states[3]?.[1]).toMatch(/^no data for \d+ s; connection replaced/);
  });

  it('keeps a session live while it shows signs of life', async () => {
    const rec = recorder();
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 40,
      deadAfterMs: 80,
      watchdogMs: 10,
      session: async (ctx) => {
        ctx.data();
        while (!ctx.signal.aborted) {
          await sleep(10, ctx.signal);
          ctx.alive();
        }
        return { kind: 'closed', detail: 'stopped' };
      },
    });
    upstream.start();
    await sleep(250);
    await upstream.stop();
    expect(rec.states.map(([s]) => s)).toEqual(['connecting', 'live']);
  });

  it('reports auth failures and waits the slow auth delay before retrying', async () => {
    const rec = recorder();
    const times: number[] = [];
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 1000,
      deadAfterMs: 2000,
      backoff: { authRetryMs: 100, authRetryMaxMs: 1000, random: () => 0.5 },
      session: async () => {
        times.push(Date.now());
        return { kind: 'auth', detail: 'Invalid Signature' };
      },
    });
    upstream.start();
    await until(() => times.length >= 3);
    await upstream.stop();
    expect(rec.states).toEqual([
      ['connecting', undefined],
      ['auth_failed', 'Invalid Signature'],
    ]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(95);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(190);
  });

  it('treats a throwing session as an error and keeps going', async () => {
    const rec = recorder();
    let n = 0;
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 1000,
      deadAfterMs: 2000,
      backoff: { baseMs: 1, maxMs: 1 },
      session: async () => {
        n += 1;
        throw new Error('ECONNREFUSED');
      },
    });
    upstream.start();
    await until(() => n >= 3);
    await upstream.stop();
    expect(rec.states[1]?.[1]).toMatch(/^ECONNREFUSED; retrying/);
  });
});

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
    expect(rec.states.at(-1)).toEqual([
      'reconnecting',
      `HTTP 429; retrying in ${MAX_RETRY_AFTER_MS / 1000} s`,
    ]);
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
