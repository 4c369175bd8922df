import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { historyResponseSchema } from '../../contract/history.ts';
import { getJson } from '../../transport/http.ts';
import { openHistory, type HistoryDb } from '../db/open.ts';
import { createReader } from './query.ts';
import { createRecorder, type Recorder } from './recorder.ts';
import { registerHistoryRoutes, parseHistoryParams, type HistoryResponse } from './routes.ts';
import { NO_DEBT, levelOf, snapshotAt } from './testing/samples.ts';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const NOW = T0 + 3_600_000;

let app: FastifyInstance;
let history: HistoryDb;
let recorder: Recorder;

beforeAll(async () => {
  history = openHistory(':memory:');
  recorder = createRecorder({ db: history, flushMs: 0, pruneEveryMs: 0 });
  for (let i = 0; i < 120; i += 1) {
    const t = T0 + i * 30_000;
    recorder.recordSnapshot(snapshotAt('valr-1', t, i === 60 ? NO_DEBT : levelOf(`1.${400 + i}`)), t);
  }
  app = Fastify();
  const reader = createReader(history);
  registerHistoryRoutes(app, {
    query: (request) => reader.query(request),
    hasAccount: (id) => id === 'valr-1' || id === 'empty',
    recorder,
    now: () => NOW,
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  recorder.close();
  history.close();
});

async function get(url: string): Promise<{ status: number; body: unknown }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

describe('GET /api/accounts/:id/history', () => {
  it('returns buckets with exact level texts, flushing samples still queued by the recorder', async () => {
    expect(recorder.stats().pending).toBe(120);
    const res = await app.inject({ method: 'GET', url: '/api/accounts/valr-1/history?maxPoints=1000' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<HistoryResponse>();
    expect(recorder.stats().pending).toBe(0);
    expect(body).toMatchObject({ accountId: 'valr-1', from: T0, to: NOW, source: 'samples', gapMs: 90_000 });
    expect(body.buckets).toHaveLength(120);
    expect(body.buckets[0]).toMatchObject({
      start: T0,
      count: 1,
      min: { kind: 'value', text: '1.400' },
      last: { kind: 'value', text: '1.400' },
      zone: 'caution',
      cushion: '0.21428571',
      assets: '1000.50',
      liabilities: '400.00',
      equity: null,
      gapBefore: false,
      profile: 0,
    });
    expect(body.buckets[60]?.last).toEqual({ kind: 'no-debt', text: '0' });
    expect(body.profiles).toEqual([
      {
        unit: { name: 'Margin fraction', kind: 'fraction' },
        bands: [
          { kind: 'caution', threshold: '1.5', label: 'marginCall', source: 'config' },
          { kind: 'liquidation', threshold: '1.1', label: 'maintenance', source: 'exchange' },
          { kind: 'takeover', threshold: '1.05', label: 'autoClose', source: 'exchange' },
        ],
        currency: 'USDC',
      },
    ]);
  });

  describe('read by the browser', () => {
    /** The browser's HTTP client, answered by this route. */
    function browserFetchesFromRoute(): void {
      vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
        const res = await app.inject({ method: 'GET', url, headers: init.headers as Record<string, string> });
        return new Response(res.body, { status: res.statusCode });
      });
    }
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it('is exactly what the browser accepts (the contract schema parses it unchanged)', async () => {
      const { body } = await get('/api/accounts/valr-1/history?maxPoints=7');
      browserFetchesFromRoute();
      const read = await getJson('/api/accounts/valr-1/history?maxPoints=7', historyResponseSchema);
      expect(read).toEqual(body);
      expect(read.buckets.length).toBeGreaterThan(0);
    });

    it('gives the browser the route’s reason for a refusal', async () => {
      browserFetchesFromRoute();
      await expect(getJson('/api/accounts/gone/history', historyResponseSchema)).rejects.toThrow(
        'HTTP 404: unknown account "gone"',
      );
    });
  });

  it('buckets a range into at most maxPoints buckets, keeping the minimum', async () => {
    const { status, body } = await get(`/api/accounts/valr-1/history?from=${T0}&to=${NOW}&maxPoints=12`);
    expect(status).toBe(200);
    const result = body as HistoryResponse;
    expect(result.buckets.length).toBeLessThanOrEqual(12);
    expect(result.buckets[0]?.min.text).toBe('1.400');
    expect(result.buckets.reduce((n, b) => n + b.count, 0)).toBe(120);
  });

  it('an account configured but never recorded has an empty history', async () => {
    const { status, body } = await get('/api/accounts/empty/history');
    expect(status).toBe(200);
    expect(body).toMatchObject({ accountId: 'empty', buckets: [], from: NOW, to: NOW });
  });

  it('404 for an account that is not configured', async () => {
    const { status, body } = await get('/api/accounts/nope/history');
    expect(status).toBe(404);
    expect(body).toEqual({ error: 'unknown account "nope"' });
  });

  const bad: [string, string][] = [
    [
      'from=yesterday',
      'from must be a time in milliseconds since 1970-01-01 UTC (a whole number), got "yesterday"',
    ],
    ['to=-5', 'to must be a time in milliseconds since 1970-01-01 UTC (a whole number), got "-5"'],
    ['to=1.5', 'to must be a time in milliseconds since 1970-01-01 UTC (a whole number), got "1.5"'],
    [
      'from=99999999999999999',
      'from must be a time in milliseconds since 1970-01-01 UTC (a whole number), got "99999999999999999"',
    ],
    ['maxPoints=5000', 'maxPoints must be a whole number from 2 to 1000, got "5000"'],
    ['maxPoints=1', 'maxPoints must be a whole number from 2 to 1000, got "1"'],
    ['maxPoints=ten', 'maxPoints must be a whole number from 2 to 1000, got "ten"'],
    ['from=10&to=5', 'from (10) is after to (5)'],
    [`from=${NOW + 1}`, `from (${NOW + 1}) is after to (now, ${NOW})`],
    ['from=1&from=2', 'from must be given once'],
    ['limit=5', 'unknown parameter "limit"; expected from, to and maxPoints'],
  ];
  it.each(bad)('400 for ?%s', async (query, message) => {
    const { status, body } = await get(`/api/accounts/valr-1/history?${query}`);
    expect(status).toBe(400);
    expect(body).toEqual({ error: message });
  });
});

describe('parseHistoryParams', () => {
  it('treats empty values as absent and defaults maxPoints to 1000', () => {
    expect(parseHistoryParams({ from: '', to: '', maxPoints: '' })).toEqual({
      ok: true,
      params: { maxPoints: 1000 },
    });
    expect(parseHistoryParams({ from: '0', to: '8640000000000000', maxPoints: '2' })).toEqual({
      ok: true,
      params: { from: 0, to: 8_640_000_000_000_000, maxPoints: 2 },
    });
    expect(parseHistoryParams(undefined)).toEqual({ ok: true, params: { maxPoints: 1000 } });
  });
});
