import { describe, expect, it } from 'vitest';
import type { UpstreamState } from '../server-types.ts';
import { sleep } from './backoff.ts';
import { reconnectingUpstream, type SessionContext, type SessionEnd } from './reconnecting.ts';

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
    expect(rec.states[3]?.[1]).toMatch(/^no data for \d+ m?s; connection replaced/);
  });

  it('keeps a session live while it shows signs of life', async () => {
    const rec = recorder();
    // Signs of life every 10 ms against a stale limit 100 times longer: a loaded machine never makes it stale.
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 1_000,
      deadAfterMs: 2_000,
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
