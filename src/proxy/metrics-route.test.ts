import { afterEach, describe, expect, it } from 'vitest';
import { memoryNonceSource } from '../exchanges/kit/signing.ts';
import type { AccountConfig } from '../exchanges/server-types.ts';
import { AccountManager } from './accounts.ts';
import { catalogOf } from './exchanges.ts';
import { StreamHub } from './hub.ts';
import { createLogger, Redactor } from './log.ts';
import { createMetrics } from './metrics.ts';
import { createServer, type ServerOptions } from './server.ts';
import { apiRequest, rawRequest } from './testing/harness.ts';
import { fakeEntry, FAKE_ID, FAKE_SECRET } from './testing/fake-exchange.ts';
import { sampleValue } from './testing/metrics-text.ts';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const ACCESS_TOKEN = 'access-token-for-tests-9876543210';

const account: AccountConfig = {
  id: 'fake-a',
  exchange: FAKE_ID,
  label: 'Fake A',
  credentials: { apiKey: 'fake-key', apiSecret: FAKE_SECRET },
  endpoints: { rest: 'http://127.0.0.1:1' },
  pollSeconds: 5,
  options: {},
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(options: Partial<ServerOptions> = {}, withMetrics = true) {
  const logs: string[] = [];
  const redactor = new Redactor([FAKE_SECRET, METRICS_TOKEN, ACCESS_TOKEN]);
  const log = createLogger({ redactor, write: (line) => logs.push(line), pretty: false });
  const hub = new StreamHub({ heartbeatMs: 0, redactor });
  const catalog = catalogOf([fakeEntry]);
  const nonces = memoryNonceSource();
  const accounts = new AccountManager({ accounts: [account], catalog, hub, log, nonces });
  const metrics = createMetrics({ accounts, hub, catalog, processMetrics: false });
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    mode: 'live',
    accounts,
    hub,
    catalog,
    nonces,
    log,
    distDir: null,
    ...(withMetrics ? { metrics } : {}),
    ...options,
  });
  closers.push(async () => {
    await server.close();
    await accounts.stop();
    hub.close();
    metrics.close();
  });
  const port = Number(new URL(server.url).port);
  return {
    port,
    logs,
    get: (headers: Record<string, string> = {}) => rawRequest(port, 'GET', '/metrics', headers),
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('GET /metrics access', () => {
  it('serves the Prometheus text format without the dashboard header when no token is configured', async () => {
    const s = await serve();
    const res = await s.get();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const labels = { account: 'fake-a', exchange: FAKE_ID, unit: 'ratio', state: 'connecting' };
    expect(sampleValue(res.body, 'margin_watch_upstream_state', labels)).toBe(1);
  });

  it('requires server.metricsToken as a bearer token when it is configured', async () => {
    const s = await serve({ metricsToken: METRICS_TOKEN });
    const missing = await s.get();
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(JSON.parse(missing.body)).toEqual({
      error: 'metrics need Authorization: Bearer <server.metricsToken>',
    });
    expect((await s.get(bearer(`${METRICS_TOKEN}x`))).status).toBe(401);
    expect((await s.get(bearer(METRICS_TOKEN.slice(0, -1)))).status).toBe(401);
    expect((await s.get({ authorization: `Basic ${METRICS_TOKEN}` })).status).toBe(401);
    const ok = await s.get(bearer(METRICS_TOKEN));
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('margin_watch_upstream_state');
    expect((await s.get({ authorization: `bearer ${METRICS_TOKEN}` })).status).toBe(200);
    // The refusal is logged with the client's address, never the token.
    expect(s.logs.some((line) => line.includes('metrics token refused'))).toBe(true);
    expect(s.logs.join('\n')).not.toContain(METRICS_TOKEN.slice(0, 20));
  });

  it('refuses every request that comes from a browser, even with the right token', async () => {
    const s = await serve({ metricsToken: METRICS_TOKEN });
    const own = `http://127.0.0.1:${s.port}`;
    const refusals: Record<string, string>[] = [
      { origin: own },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
    ];
    for (const headers of refusals) {
      const res = await s.get({ ...bearer(METRICS_TOKEN), ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body).not.toContain('margin_watch');
    }
    // The guard's Host check applies as to every request (DNS rebinding).
    const rebound = await s.get({ ...bearer(METRICS_TOKEN), host: `evil.example:${s.port}` });
    expect(rebound.status).toBe(403);
  });

  it('with only an access token, asks for it as a bearer token; a browser session does not open /metrics', async () => {
    const s = await serve({ accessToken: ACCESS_TOKEN });
    expect((await s.get()).status).toBe(401);
    expect(JSON.parse((await s.get()).body)).toEqual({
      error: 'metrics need Authorization: Bearer <server.accessToken>',
    });
    expect((await s.get(bearer(ACCESS_TOKEN))).status).toBe(200);

    const login = await rawRequest(s.port, 'GET', `/?token=${ACCESS_TOKEN}`);
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    expect((await apiRequest(s.port, 'GET', '/api/accounts', { cookie })).status).toBe(200);
    expect((await s.get({ cookie })).status).toBe(401);
  });

  it('with both tokens, /metrics takes the metrics token only, and the metrics token opens nothing else', async () => {
    const s = await serve({ accessToken: ACCESS_TOKEN, metricsToken: METRICS_TOKEN });
    expect((await s.get(bearer(ACCESS_TOKEN))).status).toBe(401);
    expect((await s.get(bearer(METRICS_TOKEN))).status).toBe(200);
    expect((await apiRequest(s.port, 'GET', '/api/accounts', bearer(METRICS_TOKEN))).status).toBe(401);
    expect((await apiRequest(s.port, 'GET', '/api/accounts', bearer(ACCESS_TOKEN))).status).toBe(200);
  });

  it('refuses a client after too many wrong tokens, before comparing the next one', async () => {
    const s = await serve({ metricsToken: METRICS_TOKEN, failedTokenLimit: { max: 2, windowMs: 60_000 } });
    expect((await s.get(bearer('wrong-token-number-one'))).status).toBe(401);
    expect((await s.get(bearer('wrong-token-number-two'))).status).toBe(401);
    const blocked = await s.get(bearer(METRICS_TOKEN));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('is absent when the server has no metrics', async () => {
    const s = await serve({}, false);
    const res = await s.get();
    expect(res.status).toBe(503);
    expect(res.body).not.toContain('margin_watch');
  });
});
