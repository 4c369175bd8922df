// "No secret leaves the proxy": demo mode with all four exchanges, every outbound request's credential-bearing
// headers recorded, and every /api response, stream frame and log line checked for secrets and signatures.
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ExchangeServerModule } from '../exchanges/server-types.ts';
import { loadExchangeCatalog, type ExchangeCatalog } from './exchanges.ts';
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

describe('no secret leaves the proxy (demo mode, four exchanges)', () => {
  let mw: MarginWatch;
  let catalog: ExchangeCatalog;
  const outputs: string[] = [];
  const logs: string[] = [];
  const frames: string[] = [];
  const originals = { fetch: globalThis.fetch, http: http.request, https: https.request };

  beforeAll(async () => {
    globalThis.fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      if (init?.headers) record(new Headers(init.headers));
      if (input instanceof Request) record(input.headers);
      return originals.fetch(input, init);
    };
    http.request = wrapRequest(originals.http);
    https.request = wrapRequest(originals.https);

    const loaded = await loadExchangeCatalog();
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
    globalThis.fetch = originals.fetch;
    http.request = originals.http;
    https.request = originals.https;
  });

  async function get(path: string): Promise<void> {
    const res = await originals.fetch(`${mw.url}${path}`);
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
    const hasMessage = (id: string) => frames.some((f) => f.includes(`"type":"message","accountId":"${id}"`));
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
    }
    await get('/api/accounts');
    ws.close();
  }, 45_000);

  it('found something to check (the test is not vacuous)', () => {
    expect(frames.length).toBeGreaterThan(4);
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
