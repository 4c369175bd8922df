import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseRawMessages } from '../contract/accounts.ts';
import { errorText } from '../contract/errors.ts';
import { snapshotFrame } from '../contract/stream.ts';
import { DatabaseUnavailableError } from './db/sql.ts';
import type { StreamFrame } from './hub.ts';
import { FAKE_KEY, FAKE_SECRET } from './testing/fake-exchange.ts';
import { apiRequest, HARNESS_ACCOUNT, rawRequest, startHarness, type Harness } from './testing/harness.ts';

function collect(ws: WebSocket): StreamFrame[] {
  const frames: StreamFrame[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8')) as StreamFrame));
  return frames;
}

/** A snapshot frame of the harness account (no figures: the server only relays it). */
const frameAt = (receivedAt: number) =>
  snapshotFrame({
    accountId: HARNESS_ACCOUNT,
    channel: 'account',
    receivedAt,
    snapshot: null,
    lastGood: null,
    levelAt: null,
  });

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('API', () => {
  let h: Harness;
  let origin = '';
  let dist = '';
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'mw-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Margin Watch</title>');
    writeFileSync(join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
    h = await startHarness({ distDir: dist });
    origin = `http://127.0.0.1:${h.port}`;
  });
  afterAll(async () => {
    await h.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('GET /api/health', async () => {
    const res = await rawRequest(h.port, 'GET', '/api/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok', mode: 'live', accounts: 1 });
  });

  it('GET /api/accounts lists accounts without credentials', async () => {
    const res = await apiRequest(h.port, 'GET', '/api/accounts');
    expect(JSON.parse(res.body)).toEqual([
      {
        id: HARNESS_ACCOUNT,
        exchange: 'fakex',
        exchangeName: 'Fake',
        unit: { name: 'Level', kind: 'ratio' },
        label: 'Fake A',
        status: { state: 'connecting', at: expect.any(Number) as number },
        pollSeconds: 5,
      },
    ]);
    expect(res.body).not.toContain(FAKE_SECRET);
    expect(res.body).not.toContain(FAKE_KEY);
  });

  it('GET /api/accounts/:id/raw answers the latest raw messages (none yet), and 404 for an unknown account', async () => {
    const res = await apiRequest(h.port, 'GET', `/api/accounts/${HARNESS_ACCOUNT}/raw`);
    expect(res.status).toBe(200);
    expect(parseRawMessages(JSON.parse(res.body))).toEqual({ accountId: HARNESS_ACCOUNT, messages: [] });
    const unknown = await apiRequest(h.port, 'GET', '/api/accounts/nobody/raw');
    expect(unknown.status).toBe(404);
    expect(errorText(JSON.parse(unknown.body))).toBe('no account nobody');
  });

  it('unknown API paths are JSON 404s, not the SPA', async () => {
    const res = await apiRequest(h.port, 'GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: 'not found' });
  });

  it('a plain GET of /api/stream (no upgrade) is a 404', async () => {
    expect((await rawRequest(h.port, 'GET', '/api/stream')).status).toBe(404);
  });

  it('serves the dashboard and falls back to index.html for client routes', async () => {
    const root = await rawRequest(h.port, 'GET', '/');
    expect(root.status).toBe(200);
    expect(root.body).toContain('<title>Margin Watch</title>');
    expect(root.headers['cache-control']).toBe('no-cache');
    const route = await rawRequest(h.port, 'GET', '/accounts/bitopro-main');
    expect(route.status).toBe(200);
    expect(route.body).toContain('<title>Margin Watch</title>');
    const asset = await rawRequest(h.port, 'GET', '/assets/app-abc123.js');
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-security-policy']).toContain("script-src 'self'");
  });

  // The router refuses these before any hook runs: they must still pass the Host and Origin checks, carry the
  // security headers and the API's error shape, and never repeat the URL.
  it.each(['/%zz', '/assets/%E0%A4%A', '/api/accounts/%zz/history', '/api/accounts/fake-a/rest/%zz'])(
    'answers the malformed URL %s like any other refusal',
    async (target) => {
      const foreign = await rawRequest(h.port, 'GET', target, { host: 'evil.example' });
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body)).toEqual({ error: 'Host header not allowed' });
      expect(foreign.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(foreign.headers['x-content-type-options']).toBe('nosniff');

      const crossOrigin = await rawRequest(h.port, 'GET', target, { origin: 'http://evil.example' });
      expect(crossOrigin.status).toBe(403);
      expect(JSON.parse(crossOrigin.body)).toEqual({ error: 'Origin not allowed' });

      const own = await apiRequest(h.port, 'GET', target, { origin });
      expect(own.status).toBe(400);
      expect(JSON.parse(own.body)).toEqual({ error: 'malformed URL (invalid percent-encoding)' });
      expect(own.headers['content-type']).toMatch(/^application\/json/);
      expect(own.headers['content-security-policy']).toContain("default-src 'self'");
      expect(own.headers['cache-control']).toBe('no-store');
      for (const answer of [foreign, crossOrigin, own]) expect(answer.body).not.toMatch(/%zz|%E0|%A4/i);
      expect(h.hits()).toEqual([]);
    },
  );

  it('answers a WebSocket upgrade to a malformed URL and closes its socket', async () => {
    const socket = connect(h.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      [
        'GET /%zz HTTP/1.1',
        `Host: 127.0.0.1:${h.port}`,
        `Origin: ${origin}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        '',
        '',
      ].join('\r\n'),
    );
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('{"error":"malformed URL (invalid percent-encoding)"}');
  });

  it('streams: replays on connect, relays new frames, ignores what the browser sends', async () => {
    h.hub.status(HARNESS_ACCOUNT, 'live');
    h.hub.snapshot(frameAt(1234));
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/api/stream`, { headers: { origin } });
    const frames = collect(ws);
    await new Promise((r) => ws.once('open', r));
    ws.send(
      JSON.stringify({ type: 'message', accountId: HARNESS_ACCOUNT, channel: 'order', payload: 'buy' }),
    );
    ws.send('not json');
    await settle();
    h.hub.snapshot(frameAt(1235));
    await settle();
    expect(frames).toEqual([
      { type: 'ping', at: expect.any(Number) as number },
      { type: 'status', accountId: HARNESS_ACCOUNT, state: 'live', at: expect.any(Number) as number },
      frameAt(1234),
      frameAt(1235),
    ]);
    expect(h.hits()).toEqual([]);
    ws.terminate();
  });

  it('closes a socket that sends an oversized frame (1009) and keeps serving others', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/api/stream`, { headers: { origin } });
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
    ws.send('x'.repeat(64 * 1024));
    expect(await closed).toBe(1009);
    expect((await rawRequest(h.port, 'GET', '/api/health')).status).toBe(200);
  });
});

describe('extra routes', () => {
  it('are served behind the same guard', async () => {
    const h = await startHarness({
      extraRoutes: (app) => {
        app.get('/api/extra', async () => ({ extra: true }));
      },
    });
    try {
      expect(JSON.parse((await apiRequest(h.port, 'GET', '/api/extra')).body)).toEqual({ extra: true });
      expect((await apiRequest(h.port, 'GET', '/api/extra', { host: 'evil.example' })).status).toBe(403);
      expect((await rawRequest(h.port, 'POST', '/api/extra')).status).toBe(405);
    } finally {
      await h.close();
    }
  });
});

describe('a history database that does not answer', () => {
  it('is a 503 saying so in one line, logged without a stack', async () => {
    const h = await startHarness({
      extraRoutes: (app) => {
        app.get('/api/slow-db', async () => {
          throw new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)');
        });
      },
    });
    try {
      const res = await apiRequest(h.port, 'GET', '/api/slow-db');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body)).toEqual({
        error: 'the history database is not answering: connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)',
      });
      const lines = h.logs.filter((line) => line.includes('/api/slow-db'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('the history database is not answering');
      expect(lines[0]).not.toContain('stack');
    } finally {
      await h.close();
    }
  });
});

describe('without a built dashboard', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ distDir: join(tmpdir(), 'mw-no-such-dist') });
  });
  afterAll(async () => {
    await h.close();
  });

  it('explains how to build on /, and the API still works', async () => {
    const res = await rawRequest(h.port, 'GET', '/');
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/npm run build/);
    expect((await rawRequest(h.port, 'GET', '/api/health')).status).toBe(200);
  });
});
