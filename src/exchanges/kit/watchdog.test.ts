// The watchdog of a reconnecting session, on fake timers: when a session may be called live, and each data
// channel watched against its own cadence.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UpstreamState } from '../server-types.ts';
import { reconnectingUpstream, type SessionContext, type SessionEnd } from './reconnecting.ts';

const quietLog = { info: () => {}, warn: () => {}, error: () => {} };

function recorder(): {
  states: [UpstreamState, string | undefined][];
  setStatus: (s: UpstreamState, d?: string) => void;
  kinds: () => UpstreamState[];
} {
  const states: [UpstreamState, string | undefined][] = [];
  return { states, setStatus: (s, d) => states.push([s, d]), kinds: () => states.map(([s]) => s) };
}

/** A session that stays open until aborted, handing its context to the test. */
function openSessions(contexts: SessionContext[]) {
  return (ctx: SessionContext): Promise<SessionEnd> =>
    new Promise((resolve) => {
      contexts.push(ctx);
      ctx.signal.addEventListener('abort', () => resolve({ kind: 'closed', detail: 'closed by us' }));
    });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reconnectingUpstream: live means data', () => {
  it('an open connection with keep-alives but no data is not live; its first data is', async () => {
    const rec = recorder();
    const contexts: SessionContext[] = [];
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 15_000,
      deadAfterMs: 30_000,
      session: openSessions(contexts),
    });
    upstream.start();
    await vi.advanceTimersByTimeAsync(10);
    for (let i = 0; i < 5; i += 1) {
      contexts[0]?.alive();
      await vi.advanceTimersByTimeAsync(2_000);
    }
    expect(rec.kinds()).toEqual(['connecting']);
    contexts[0]?.data();
    expect(rec.kinds()).toEqual(['connecting', 'live']);
    await upstream.stop();
  });

  it('a silent outage stays stale/reconnecting with the reason: reconnecting into silence is never live', async () => {
    const rec = recorder();
    const contexts: SessionContext[] = [];
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 15_000,
      deadAfterMs: 30_000,
      backoff: { baseMs: 1_000, maxMs: 4_000, random: () => 0.5 },
      session: openSessions(contexts),
    });
    upstream.start();
    await vi.advanceTimersByTimeAsync(10);
    contexts[0]?.data();
    // The exchange goes silent for three minutes; every new connection opens but delivers nothing.
    await vi.advanceTimersByTimeAsync(180_000);
    expect(contexts.length).toBeGreaterThanOrEqual(4);
    const afterLive = rec.states.slice(rec.kinds().indexOf('live') + 1);
    expect(afterLive.map(([s]) => s)).not.toContain('live');
    expect(afterLive[0]?.[0]).toBe('stale');
    expect(rec.states.at(-1)?.[0]).toBe('reconnecting');
    expect(rec.states.at(-1)?.[1]).toMatch(/^no data for 30 s; connection replaced/);
    // Data on the current connection: live again.
    contexts.at(-1)?.data();
    expect(rec.states.at(-1)).toEqual(['live', undefined]);
    await upstream.stop();
  });

  it('firstDataWithinMs replaces a connection that only pings', async () => {
    const rec = recorder();
    const contexts: SessionContext[] = [];
    const upstream = reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 15_000,
      deadAfterMs: 30_000,
      firstDataWithinMs: 20_000,
      backoff: { baseMs: 1_000, maxMs: 1_000, random: () => 0 },
      session: openSessions(contexts),
    });
    upstream.start();
    for (let i = 0; i < 12; i += 1) {
      contexts.at(-1)?.alive();
      await vi.advanceTimersByTimeAsync(2_000);
    }
    expect(contexts.length).toBe(2);
    expect(rec.states[1]?.[1]).toMatch(/^connected, but no data for 20 s; connection replaced/);
    expect(rec.kinds()).not.toContain('live');
    await upstream.stop();
  });
});

describe('reconnectingUpstream: a data channel watched against its own cadence', () => {
  function watched(rec: ReturnType<typeof recorder>, contexts: SessionContext[]) {
    return reconnectingUpstream({
      deps: { setStatus: rec.setStatus, log: quietLog },
      staleAfterMs: 15_000,
      deadAfterMs: 30_000,
      channels: [{ name: 'MARGIN_INFO', cadenceMs: 5_000 }],
      backoff: { baseMs: 1_000, maxMs: 1_000, random: () => 0 },
      session: openSessions(contexts),
    });
  }

  /** Keep-alives every second for `ms`, and MARGIN_INFO every 5 s while `feeding()` says so. */
  async function run(contexts: SessionContext[], ms: number, feeding: () => boolean): Promise<void> {
    for (let t = 0; t < ms; t += 1_000) {
      const ctx = contexts.at(-1);
      ctx?.alive();
      if (feeding() && t % 5_000 === 0) ctx?.data('MARGIN_INFO');
      await vi.advanceTimersByTimeAsync(1_000);
    }
  }

  it('MARGIN_INFO stopping while PONGs continue: stale and subscribed again after 3 × 5 s, then replaced', async () => {
    const rec = recorder();
    const contexts: SessionContext[] = [];
    const asked: string[] = [];
    const upstream = watched(rec, contexts);
    upstream.start();
    await vi.advanceTimersByTimeAsync(10);
    contexts[0]?.onQuiet((channel) => asked.push(channel));
    await run(contexts, 20_000, () => true);
    expect(rec.kinds()).toEqual(['connecting', 'live']);

    await run(contexts, 16_000, () => false);
    expect(asked).toEqual(['MARGIN_INFO']);
    expect(rec.states.at(-1)?.[0]).toBe('stale');
    expect(rec.states.at(-1)?.[1]).toBe('no MARGIN_INFO for over 15 s; subscribed again');
    expect(contexts.length).toBe(1);

    await run(contexts, 15_000, () => false);
    expect(asked).toEqual(['MARGIN_INFO']);
    expect(contexts.length).toBe(2);
    expect(contexts[0]?.signal.aborted).toBe(true);
    expect(rec.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^no MARGIN_INFO for \d+ m?s, also after subscribing again; connection replaced/,
    );
    await upstream.stop();
  });

  it('a resubscription that brings the data back keeps the connection', async () => {
    const rec = recorder();
    const contexts: SessionContext[] = [];
    let feeding = true;
    const upstream = watched(rec, contexts);
    upstream.start();
    await vi.advanceTimersByTimeAsync(10);
    contexts[0]?.onQuiet(() => {
      feeding = true;
    });
    await run(contexts, 10_000, () => feeding);
    feeding = false;
    await run(contexts, 60_000, () => feeding);
    expect(contexts.length).toBe(1);
    expect(rec.states).toEqual([
      ['connecting', undefined],
      ['live', undefined],
      ['stale', 'no MARGIN_INFO for over 15 s'],
      ['stale', 'no MARGIN_INFO for over 15 s; subscribed again'],
      ['live', undefined],
    ]);
    await upstream.stop();
  });

  it('without a resubscribe handler a quiet channel replaces the connection', async () => {
    const rec = recorder();
    const contexts: SessionContext[] = [];
    const upstream = watched(rec, contexts);
    upstream.start();
    await vi.advanceTimersByTimeAsync(10);
    await run(contexts, 10_000, () => true);
    await run(contexts, 16_000, () => false);
    expect(contexts.length).toBe(2);
    expect(rec.states.find(([s]) => s === 'reconnecting')?.[1]).toMatch(
      /^no MARGIN_INFO for \d+ m?s; connection replaced/,
    );
    await upstream.stop();
  });
});
