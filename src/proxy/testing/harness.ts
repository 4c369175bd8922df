// Test support: a real proxy server on port 0 in front of the fake exchange's simulator, plus a raw HTTP client
// that sends request targets exactly as written (fetch would normalise `..` and refuses a custom Host).
import { request } from 'node:http';
import type { AccountConfig, RunningSimulator } from '../../exchanges/server-types.ts';
import { AccountManager } from '../accounts.ts';
import { catalogOf } from '../exchanges.ts';
import { StreamHub } from '../hub.ts';
import { createLogger, Redactor } from '../log.ts';
import { memoryNonceSource } from '../../exchanges/kit/signing.ts';
import { API_HEADER } from '../security.ts';
import { createServer, type RunningServer, type ServerOptions } from '../server.ts';
import {
  fakeEntry,
  fakeHits,
  fakeServer,
  FAKE_ID,
  FAKE_KEY,
  FAKE_SECRET,
  type FakeHit,
} from './fake-exchange.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request with the target and headers exactly as given. */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path: target, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The header the dashboard sends on every API request (see API_HEADER). */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = { [API_HEADER]: '1' };

/** rawRequest as the dashboard sends API requests: with the X-Margin-Watch header. */
export function apiRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(port, method, target, { ...DASHBOARD_HEADERS, ...headers });
}

export interface Harness {
  server: RunningServer;
  port: number;
  hub: StreamHub;
  accounts: AccountManager;
  simulator: RunningSimulator;
  /** Requests the fake exchange received. */
  hits(): FakeHit[];
  /** Everything logged. */
  logs: string[];
  close(): Promise<void>;
}

export const HARNESS_ACCOUNT = 'fake-a';

/** Starts the fake simulator and a proxy with one account on it (upstreams not started: hits come from the relay). */
export async function startHarness(overrides: Partial<ServerOptions> = {}): Promise<Harness> {
  const simulator = await fakeServer.startSimulator({
    seed: 1,
    scenario: 'steady',
    account: { credentials: { apiKey: FAKE_KEY, apiSecret: FAKE_SECRET } },
  });
  const account: AccountConfig = {
    id: HARNESS_ACCOUNT,
    exchange: FAKE_ID,
    label: 'Fake A',
    credentials: { apiKey: FAKE_KEY, apiSecret: FAKE_SECRET },
    endpoints: simulator.endpoints,
    pollSeconds: 5,
    options: {},
  };
  const logs: string[] = [];
  const redactor = new Redactor([FAKE_SECRET, ...(overrides.accessToken ? [overrides.accessToken] : [])]);
  const log = createLogger({ redactor, write: (line) => logs.push(line), pretty: false });
  const hub = new StreamHub({ heartbeatMs: 0, redactor });
  const catalog = catalogOf([fakeEntry]);
  const nonces = memoryNonceSource();
  const accounts = new AccountManager({ accounts: [account], catalog, hub, log, nonces });
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
    ...overrides,
  });
  const port = Number(new URL(server.url).port);
  return {
    server,
    port,
    hub,
    accounts,
    simulator,
    logs,
    hits: () => fakeHits.get(simulator.url) ?? [],
    close: async () => {
      await server.close();
      await accounts.stop();
      hub.close();
      await simulator.close();
    },
  };
}
