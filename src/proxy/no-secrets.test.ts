// "No secret leaves the proxy": every outbound request's credential-bearing headers are recorded, and with all
// four exchanges running — in demo mode, and in live mode against the simulators with an access token and a
// webhook — every /api response, stream frame and log line (and in live mode the SQLite database, the nonce
// file and the webhook bodies) is checked for credentials, the token, the webhook URL and signatures.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ExchangeServerModule, RunningSimulator } from '../exchanges/server-types.ts';
import { exchangeCatalog, type ExchangeCatalog } from './exchanges.ts';
import { startMarginWatch, type MarginWatch } from './start.ts';

/** Outbound header names that carry no credential (or are random per connection). */
const HARMLESS =
  /^(host|connection|upgrade|content-type|content-length|accept.*|user-agent|origin|sec-websocket-.*)$/i;

const sentValues = new Set<string>();

function record(headers: unknown): void {
  const entries: [string, unknown][] =
    headers instanceof Headers
      ? [...headers.entries()]
      : Array.isArray(headers)
        ? (headers as [string, unknown][])
        : typeof headers === 'object' && headers !== null
          ? Object.entries(headers)
          : [];
  for (const [name, value] of entries) {
    if (HARMLESS.test(name) || typeof value !== 'string') continue;
    // Whole values and their parts ("Bitso key:nonce:signature", "Bearer token").
    for (const part of [value, ...value.split(/[\s:]+/)]) {
      if (part.length >= 16 && !/^\d+$/.test(part)) sentValues.add(part);
    }
  }
}

type RequestFn = typeof http.request;

function wrapRequest(original: RequestFn): RequestFn {
  return (...args: unknown[]) => {
    for (const arg of args)
      if (typeof arg === 'object' && arg !== null && 'headers' in arg) record(arg.headers);
    return (original as (...a: unknown[]) => http.ClientRequest)(...args);
  };
}

function demoSecrets(catalog: ExchangeCatalog): string[] {
  return [...catalog.values()].flatMap((e) =>
    e.server.secretFields.map((f) => e.server.demoAccount.credentials[f] ?? '').filter((v) => v !== ''),
  );
}

const originals = { fetch: globalThis.fetch, http: http.request, https: https.request };
let catalog: ExchangeCatalog;

beforeAll(async () => {
  globalThis.fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    if (init?.headers) record(new Headers(init.headers));
    if (input instanceof Request) record(input.headers);
    return originals.fetch(input, init);
  };
  http.request = wrapRequest(originals.http);
  https.request = wrapRequest(originals.https);

  const loaded = exchangeCatalog();
  // Record what each module's signRest returns too (relay signatures).
  catalog = new Map(
    [...loaded].map(([id, entry]) => {
      const server: ExchangeServerModule = {
        ...entry.server,
        signRest: (req, account, nonces) => {
          const headers = entry.server.signRest(req, account, nonces);
          record(headers);
          return headers;
        },
      };
      return [id, { ...entry, server }];
    }),
  );
});

afterAll(() => {
  globalThis.fetch = originals.fetch;
  http.request = originals.http;
  https.request = originals.https;
});

/** Waits until `check()` holds or `ms` passed. */
async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !check()) await new Promise((r) => setTimeout(r, 200));
}

describe('no secret leaves the proxy (demo mode, four exchanges)', () => {
  let mw: MarginWatch;
  const outputs: string[] = [];
  const logs: string[] = [];
  const frames: string[] = [];

  beforeAll(async () => {
    mw = await startMarginWatch({
      env: {},
      port: 0,
      seed: 7,
      timeScale: 0.2,
      distDir: null,
      catalog,
      logWrite: (line) => logs.push(line),
      prettyLogs: false,
    });
  }, 30_000);

  afterAll(async () => {
    await mw?.stop();
  });

  async function get(path: string): Promise<void> {
    const res = await originals.fetch(`${mw.url}${path}`, { headers: { 'x-margin-watch': '1' } });
    outputs.push(`${res.status} ${JSON.stringify([...res.headers.entries()])} ${await res.text()}`);
  }

  it('collects responses, frames and logs while every account runs, faults included', async () => {
    const origin = mw.url;
    const ws = new WebSocket(`${mw.url.replace('http', 'ws')}/api/stream`, { headers: { origin } });
    ws.on('message', (data: Buffer) => frames.push(data.toString('utf8')));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });

    const accounts = mw.config.accounts;
    const deadline = Date.now() + 20_000;
    const hasMessage = (id: string) =>
      frames.some((f) => f.includes(`"type":"snapshot","accountId":"${id}"`));
    while (Date.now() < deadline && !accounts.every((a) => hasMessage(a.id))) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(accounts.filter((a) => !hasMessage(a.id)).map((a) => a.id)).toEqual([]);

    await get('/api/health');
    await get('/api/accounts');
    for (const account of accounts) {
      for (const path of catalog.get(account.exchange)?.browser.restPaths ?? []) {
        await get(`/api/accounts/${account.id}/rest/${path}`);
      }
      await get(`/api/accounts/${account.id}/raw`);
    }
    // Faults: revoked keys and HTTP errors produce error bodies, auth_failed statuses and log lines.
    for (const s of mw.demo?.simulators ?? []) s.simulator.control({ kind: 'revoke' });
    for (const account of accounts) {
      const first = catalog.get(account.exchange)?.browser.restPaths[0];
      if (first) await get(`/api/accounts/${account.id}/rest/${first}`);
    }
    for (const s of mw.demo?.simulators ?? []) s.simulator.control({ kind: 'drop' });
    await new Promise((r) => setTimeout(r, 2_500));
    for (const s of mw.demo?.simulators ?? []) {
      s.simulator.control({ kind: 'restore' });
      s.simulator.control({ kind: 'http-error', status: 500, count: 1 });
    }
    for (const account of accounts) {
      const first = catalog.get(account.exchange)?.browser.restPaths[0];
      if (first) await get(`/api/accounts/${account.id}/rest/${first}`);
      await get(`/api/accounts/${account.id}/raw`);
    }
    await get('/api/accounts');
    ws.close();
  }, 45_000);

  it('found something to check (the test is not vacuous)', () => {
    expect(frames.length).toBeGreaterThan(4);
    expect(outputs.filter((o) => o.includes('"messages":[{"channel"')).length).toBeGreaterThan(0);
    expect(logs.length).toBeGreaterThan(4);
    expect(outputs.length).toBeGreaterThan(8);
    // Signatures and tokens of the relay and of the upstream sessions were recorded.
    expect(sentValues.size).toBeGreaterThan(4);
    for (const entry of catalog.values()) expect(entry.server.secretFields.length).toBeGreaterThan(0);
    expect(demoSecrets(catalog).length).toBeGreaterThanOrEqual(catalog.size);
  });

  it('no demo secret appears in any /api response, stream frame or log line', () => {
    const all = [...outputs, ...frames, ...logs].join('\n');
    for (const secret of demoSecrets(catalog)) {
      expect(all.includes(secret), `secret of length ${secret.length} leaked`).toBe(false);
      expect(all.includes(encodeURIComponent(secret)), 'URL-encoded secret leaked').toBe(false);
    }
  });

  it('no signature or credential header value sent upstream appears in any output', () => {
    const all = [...outputs, ...frames, ...logs].join('\n');
    const leaked = [...sentValues].filter((value) => all.includes(value));
    expect(leaked.map((v) => `${v.slice(0, 6)}… (${v.length} chars)`)).toEqual([]);
  });
});

describe('no secret leaves the proxy (live mode, access token, webhook)', () => {
  const TOKEN = 'live-test-access-token-0123456789';
  const HOOK_PATH = '/hooks/receiver-path-secret-0123456789';
  let dir: string;
  let mw: MarginWatch;
  let hookUrl: string;
  let receiver: http.Server;
  const simulators: RunningSimulator[] = [];
  const credentials: string[] = [];
  const outputs: string[] = [];
  const logs: string[] = [];
  const frames: string[] = [];
  const posted: string[] = [];
  let stored = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mw-no-secrets-'));
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posted.push(`${req.url ?? ''} ${Buffer.concat(chunks).toString('utf8')}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    const address = receiver.address();
    hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}${HOOK_PATH}`;

    // Each exchange's simulator, and an account on it whose credentials come from the environment.
    const env: NodeJS.ProcessEnv = { MW_TOKEN: TOKEN, MW_HOOK: hookUrl };
    const accounts: Record<string, unknown>[] = [];
    let index = 0;
    for (const entry of catalog.values()) {
      const demo = entry.server.demoAccount;
      const simulator = await entry.server.startSimulator({
        host: '127.0.0.1',
        port: 0,
        seed: 11 + index,
        scenario: 'demo',
        account: { credentials: demo.credentials, ...(demo.options ? { options: demo.options } : {}) },
        timeScale: 0.2,
      });
      simulators.push(simulator);
      const refs: Record<string, string> = {};
      for (const [field, value] of Object.entries(demo.credentials)) {
        const name = `CRED_${index}_${field.toUpperCase()}`;
        env[name] = value;
        refs[field] = `\${${name}}`;
        credentials.push(value);
      }
      accounts.push({
        id: `${entry.id}-live`,
        exchange: entry.id,
        credentials: refs,
        endpoints: simulator.endpoints,
        ...(demo.thresholds ? { thresholds: demo.thresholds } : {}),
        ...(demo.pollSeconds !== undefined ? { pollSeconds: demo.pollSeconds } : {}),
        ...demo.options,
      });
      index += 1;
    }
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        server: { port: 0, accessToken: '${MW_TOKEN}' },
        history: { path: 'data/history.sqlite' },
        // A cushion alert on every account at once: alerts reach the database, the stream and the webhook.
        alerts: {
          webhooks: [{ url: '${MW_HOOK}', format: 'generic' }],
          rules: { defaults: { cushionBelow: { percent: '99.9' } } },
        },
        accounts,
      }),
    );
    mw = await startMarginWatch({
      configPath: file,
      env,
      port: 0,
      distDir: null,
      catalog,
      logWrite: (line) => logs.push(line),
      prettyLogs: false,
    });
  }, 30_000);

  afterAll(async () => {
    await mw?.stop();
    for (const simulator of simulators) await simulator.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const bearer = { authorization: `Bearer ${TOKEN}`, 'x-margin-watch': '1' };

  async function call(path: string, init: RequestInit = {}): Promise<void> {
    const res = await originals.fetch(`${mw.url}${path}`, {
      ...init,
      headers: { ...bearer, ...(init.headers as Record<string, string> | undefined) },
      redirect: 'manual',
    });
    outputs.push(`${res.status} ${JSON.stringify([...res.headers.entries()])} ${await res.text()}`);
  }

  it('collects responses, frames, logs, webhook bodies, the database and the nonce file', async () => {
    const origin = mw.url;
    const ws = new WebSocket(`${mw.url.replace('http', 'ws')}/api/stream`, {
      headers: { origin, authorization: `Bearer ${TOKEN}` },
    });
    ws.on('message', (data: Buffer) => frames.push(data.toString('utf8')));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });

    const accounts = mw.config.accounts;
    const hasMessage = (id: string) =>
      frames.some((f) => f.includes(`"type":"snapshot","accountId":"${id}"`));
    await waitFor(() => accounts.every((a) => hasMessage(a.id)), 25_000);
    expect(accounts.filter((a) => !hasMessage(a.id)).map((a) => a.id)).toEqual([]);
    await waitFor(() => posted.length > 0, 10_000);

    // The token traded for a cookie, and the cookie used.
    const traded = await originals.fetch(`${mw.url}/?token=${TOKEN}`, { redirect: 'manual' });
    outputs.push(`${traded.status} ${JSON.stringify([...traded.headers.entries()])}`);
    const cookie = (traded.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    await originals
      .fetch(`${mw.url}/api/accounts`, { headers: { cookie, 'x-margin-watch': '1' } })
      .then(async (res) => outputs.push(`${res.status} ${await res.text()}`));

    await call('/api/health');
    await call('/api/accounts');
    for (const account of accounts) {
      for (const path of catalog.get(account.exchange)?.browser.restPaths ?? []) {
        await call(`/api/accounts/${account.id}/rest/${path}`);
      }
      await call(`/api/accounts/${account.id}/history?from=0&to=${Date.now()}`);
      await call(`/api/accounts/${account.id}/raw`);
      await call(`/api/alerts?account=${account.id}`);
    }
    await call('/api/alerts');
    await call('/api/alerts/rules');
    await call('/api/alerts/rules', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ defaults: { stale: { seconds: 30 } } }),
    });
    await call('/api/alerts/webhooks');
    // Errors and refusals: no token, a wrong one, an unknown account, a path off the allowlist.
    outputs.push(await (await originals.fetch(`${mw.url}/api/accounts`)).text());
    outputs.push(await (await originals.fetch(`${mw.url}/?token=wrong-${TOKEN.slice(0, 4)}`)).text());
    await call('/api/accounts/nobody/history');
    await call(`/api/accounts/${accounts[0]?.id ?? ''}/rest/not/allowed`);

    // Faults: revoked keys and HTTP errors produce error bodies, auth_failed statuses, alerts and log lines.
    for (const simulator of simulators) simulator.control({ kind: 'revoke' });
    for (const account of accounts) {
      const first = catalog.get(account.exchange)?.browser.restPaths[0];
      if (first) await call(`/api/accounts/${account.id}/rest/${first}`);
    }
    for (const simulator of simulators) simulator.control({ kind: 'drop' });
    await new Promise((r) => setTimeout(r, 2_500));
    for (const simulator of simulators) {
      simulator.control({ kind: 'restore' });
      simulator.control({ kind: 'http-error', status: 500, count: 1 });
    }
    for (const account of accounts) {
      const first = catalog.get(account.exchange)?.browser.restPaths[0];
      if (first) await call(`/api/accounts/${account.id}/rest/${first}`);
      await call(`/api/accounts/${account.id}/raw`);
    }
    await call('/api/accounts');
    await call('/api/alerts');
    ws.close();

    await mw.stop();
    const db = new Database(mw.config.history.path, { readonly: true });
    try {
      const tables = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all();
      for (const { name } of tables)
        stored += `${name}: ${JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())}\n`;
    } finally {
      db.close();
    }
    stored += readFileSync(join(dir, 'data', 'nonces.json'), 'utf8');
  }, 90_000);

  it('found something to check (the test is not vacuous)', () => {
    expect(frames.some((f) => f.includes('"type":"alert"'))).toBe(true);
    expect(posted.length).toBeGreaterThan(0);
    expect(stored).toContain('alert_events');
    expect(stored).toMatch(/"level_text":"/);
    expect(stored).toContain('"reserved"');
    expect(outputs.length).toBeGreaterThan(20);
    expect(credentials.length).toBeGreaterThanOrEqual(catalog.size);
  });

  it('no credential, token or webhook URL appears in any response, frame, log line, webhook body, the database or the nonce file', () => {
    const all = [...outputs, ...frames, ...logs, ...posted, stored].join('\n');
    const hookSecret = HOOK_PATH.split('/').at(-1) ?? HOOK_PATH;
    for (const secret of [...credentials, TOKEN, hookUrl]) {
      expect(all.includes(secret), `a value of length ${secret.length} leaked`).toBe(false);
      expect(all.includes(encodeURIComponent(secret)), 'a URL-encoded value leaked').toBe(false);
    }
    // The webhook's secret path reaches the receiver as its request path only, never a body or any output.
    expect([...outputs, ...frames, ...logs, stored].join('\n')).not.toContain(hookSecret);
    expect(
      posted.every((p) => p.startsWith(`${HOOK_PATH} `) && !p.slice(HOOK_PATH.length).includes(hookSecret)),
    ).toBe(true);
  });

  it('no signature or credential header value sent upstream appears in any output', () => {
    const all = [...outputs, ...frames, ...logs, ...posted, stored].join('\n');
    const leaked = [...sentValues].filter((value) => all.includes(value));
    expect(leaked.map((v) => `${v.slice(0, 6)}… (${v.length} chars)`)).toEqual([]);
  });
});
