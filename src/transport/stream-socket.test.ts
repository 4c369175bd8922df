import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamFrame } from '../contract/stream.ts';
import {
  LIVENESS_CLOSE_CODE,
  StreamSocket,
  backoffDelay,
  streamUrl,
  type SocketStatus,
  type WebSocketLike,
} from './stream-socket.ts';

class FakeSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(readonly url: string) {}

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
  }

  open(): void {
    this.onopen?.(new Event('open'));
  }

  receive(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) } as MessageEvent);
  }

  serverClose(code = 1006, reason = ''): void {
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

function setup(options: { random?: () => number } = {}) {
  const sockets: FakeSocket[] = [];
  const frames: StreamFrame[] = [];
  const statuses: SocketStatus[] = [];
  const invalid: string[] = [];
  const onReconnected = vi.fn();
  const client = new StreamSocket({
    url: 'ws://127.0.0.1:5178/api/stream',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    random: options.random ?? (() => 0.5),
    baseDelayMs: 500,
    maxDelayMs: 30_000,
    livenessTimeoutMs: 35_000,
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    onReconnected,
    onInvalidFrame: (t) => invalid.push(t),
  });
  const last = () => {
    const s = sockets.at(-1);
    if (!s) throw new Error('no socket yet');
    return s;
  };
  return { client, sockets, frames, statuses, invalid, onReconnected, last };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_700_000_000_000);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('backoffDelay (full jitter)', () => {
  it.each([
    // attempt, random, expected: floor(random × min(cap, base × 2^attempt))
    [0, 0, 0],
    [0, 0.999, 499],
    [1, 0.999, 999],
    [2, 0.5, 1000],
    [5, 0.999, 15984],
    [6, 0.999, 29970],
    [20, 0.999, 29970],
    [1000, 0.5, 15000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, 500, 30_000, () => random)).toBe(expected);
  });

  it('stays within [0, min(cap, base·2^n)) for many random draws', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const ceiling = Math.min(30_000, 500 * 2 ** attempt);
      for (let i = 0; i < 200; i += 1) {
        const d = backoffDelay(attempt, 500, 30_000, Math.random);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });
});

describe('streamUrl', () => {
  it.each([
    ['http:', 'localhost:5178', 'ws://localhost:5178/api/stream'],
    ['https:', 'watch.example', 'wss://watch.example/api/stream'],
  ])('%s//%s → %s', (protocol, host, expected) => {
    expect(streamUrl({ protocol, host })).toBe(expected);
  });
});

describe('StreamSocket', () => {
  it('passes valid frames on and reports invalid ones', () => {
    const t = setup();
    t.client.start();
    t.last().open();
    t.last().receive({ type: 'ping', at: 5 });
    t.last().receive({ type: 'status', accountId: 'a', state: 'live', at: 6 });
    t.last().receive('not json');
    t.last().receive({ type: 'nonsense' });
    // A raw exchange message is not a frame of the stream (the proxy sends its reading instead).
    t.last().receive({ type: 'message', accountId: 'a', channel: 'risk', receivedAt: 7, payload: {} });
    expect(t.frames).toEqual([
      { type: 'ping', at: 5 },
      { type: 'status', accountId: 'a', state: 'live', at: 6 },
    ]);
    expect(t.invalid).toEqual([
      'not json',
      '{"type":"nonsense"}',
      '{"type":"message","accountId":"a","channel":"risk","receivedAt":7,"payload":{}}',
    ]);
  });

  it('retries with growing full-jitter delays and resets them after a healthy connection', () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      t.last().serverClose(1006);
      const status = t.statuses.at(-1);
      expect(status?.phase).toBe('waiting');
      const delay = (status?.retryAt ?? 0) - Date.now();
      delays.push(delay);
      const before = t.sockets.length;
      vi.advanceTimersByTime(Math.max(0, delay - 1));
      expect(t.sockets.length).toBe(before);
      vi.advanceTimersByTime(1);
      expect(t.sockets.length).toBe(before + 1);
    }
    expect(delays).toEqual([499, 999, 1998, 3996, 7992, 15984, 29970, 29970]);

    t.last().open();
    t.last().receive({ type: 'ping', at: 1 });
    t.last().serverClose(1001, 'going away');
    expect(t.statuses.at(-1)).toMatchObject({ phase: 'waiting', reason: 'going away', attempt: 1 });
    expect((t.statuses.at(-1)?.retryAt ?? 0) - Date.now()).toBe(499);
  });

  it('closes a silent connection after the liveness timeout and reconnects', () => {
    const t = setup({ random: () => 0 });
    t.client.start();
    const first = t.last();
    first.open();
    // Frames keep the connection alive…
    vi.advanceTimersByTime(30_000);
    first.receive({ type: 'ping', at: 1 });
    vi.advanceTimersByTime(30_000);
    expect(first.closedWith).toBeNull();
    // …silence does not.
    vi.advanceTimersByTime(5_000);
    expect(first.closedWith).toEqual({ code: LIVENESS_CLOSE_CODE, reason: 'no frame from the proxy' });
    expect(t.statuses.at(-1)).toMatchObject({ phase: 'waiting', reason: 'no frame from the proxy for 35 s' });
    vi.advanceTimersByTime(1);
    expect(t.sockets).toHaveLength(2);
    // The abandoned socket's late events are ignored.
    first.receive({ type: 'ping', at: 2 });
    first.serverClose();
    expect(t.frames).toEqual([{ type: 'ping', at: 1 }]);
    expect(t.sockets).toHaveLength(2);
  });

  it('calls onReconnected on every connection after the first', () => {
    const t = setup({ random: () => 0 });
    t.client.start();
    t.last().open();
    expect(t.onReconnected).not.toHaveBeenCalled();
    t.last().serverClose();
    vi.advanceTimersByTime(0);
    t.last().open();
    expect(t.onReconnected).toHaveBeenCalledTimes(1);
    t.last().serverClose();
    vi.advanceTimersByTime(0);
    t.last().serverClose(); // a failed attempt does not count
    vi.advanceTimersByTime(1000);
    t.last().open();
    expect(t.onReconnected).toHaveBeenCalledTimes(2);
  });

  it('reconnectNow skips the remaining backoff; stop ends everything', () => {
    const t = setup({ random: () => 0.999 });
    t.client.start();
    t.last().serverClose();
    vi.advanceTimersByTime(499);
    t.last().serverClose();
    expect(t.sockets).toHaveLength(2);
    t.client.reconnectNow();
    expect(t.sockets).toHaveLength(3);
    t.last().open();
    t.client.stop();
    expect(t.last().closedWith).toEqual({ code: 1000, reason: 'client stopped' });
    expect(t.statuses.at(-1)?.phase).toBe('stopped');
    vi.advanceTimersByTime(120_000);
    expect(t.sockets).toHaveLength(3);
  });
});
