// Test support: a small exchange ("fakex") honouring both module contracts, with a simulator that checks
// signatures and counts every request, so proxy tests need no real exchange folder.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type {
  AccountConfig,
  ExchangeServerModule,
  NonceSource,
  RunningSimulator,
  SignRequest,
  SimulatorOptions,
} from '../../exchanges/server-types.ts';
import type { ExchangeModule } from '../../exchanges/types.ts';
import type { ExchangeEntry } from '../exchanges.ts';
import { httpGet } from '../../exchanges/kit/http-client.ts';
import { sendJson, startSimServer, Faults } from '../../exchanges/kit/simkit.ts';
import { pollingUpstream } from '../../exchanges/kit/polling.ts';

export const FAKE_ID = 'fakex';
export const FAKE_KEY = 'demo-fakex-key';
export const FAKE_SECRET = 'demo-fakex-secret-not-real';
export const SIGNATURE_HEADER = 'x-fakex-signature';

/** Paths the fake exchange allows the relay to fetch. */
export const FAKE_REST_PATHS = [
  'account/balances',
  'account/redirect',
  'account/big',
  'account/echo',
  'account/text',
] as const;

/** hex HMAC-SHA256 over nonce + path + query. */
export function fakeSignature(secret: string, nonce: string, url: URL): string {
  return createHmac('sha256', secret).update(`${nonce}${url.pathname}${url.search}`).digest('hex');
}

function signRest(req: SignRequest, account: AccountConfig, nonces: NonceSource): Record<string, string> {
  const key = account.credentials.apiKey ?? '';
  const nonce = String(nonces.next(key));
  return {
    'x-fakex-key': key,
    'x-fakex-nonce': nonce,
    [SIGNATURE_HEADER]: fakeSignature(account.credentials.apiSecret ?? '', nonce, req.url),
  };
}

/** Every request the fake simulator received, in order. */
export interface FakeHit {
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The running fake simulators' hit logs, by simulator URL. */
export const fakeHits = new Map<string, FakeHit[]>();

async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const faults = new Faults();
  const hits: FakeHit[] = [];
  const credentials = options.account.credentials;
  const server = await startSimServer({
    host: options.host,
    port: options.port,
    faults,
    handleHttp(req, res, _body, url): void {
      hits.push({ path: `${url.pathname}${url.search}`, headers: { ...req.headers } });
      const nonce = String(req.headers['x-fakex-nonce'] ?? '');
      const expected = fakeSignature(credentials.apiSecret ?? '', nonce, url);
      if (faults.revoked || req.headers[SIGNATURE_HEADER] !== expected) {
        return sendJson(res, 401, { error: 'bad signature' });
      }
      switch (url.pathname) {
        case '/account/balances':
          return sendJson(res, 200, { level: '1.50', currency: 'USD' }, { 'set-cookie': 'sid=upstream' });
        case '/account/redirect':
          res.writeHead(302, { location: '/account/balances' }).end();
          return;
        case '/account/big':
          return sendJson(res, 200, { blob: 'x'.repeat(3 * 1024 * 1024) });
        case '/account/echo':
          return sendJson(res, 200, { headers: req.headers });
        case '/account/text':
          res.writeHead(503, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
          return;
        default:
          return sendJson(res, 404, { error: 'no such path' });
      }
    },
  });
  fakeHits.set(server.url, hits);
  return {
    url: server.url,
    endpoints: { rest: server.url },
    control: (command) => faults.apply(command),
    close: async () => {
      fakeHits.delete(server.url);
      await server.close();
    },
  };
}

/** The fake exchange's server module. Its upstream polls `account/balances` and publishes on `account`. */
export const fakeServer: ExchangeServerModule = {
  id: FAKE_ID,
  defaultEndpoints: { rest: 'https://fakex.invalid/api' },
  credentials: z.strictObject({ apiKey: z.string().min(1), apiSecret: z.string().min(1) }),
  accountOptions: { subaccountId: z.string().optional() },
  secretFields: ['apiSecret'],
  signRest,
  createUpstream(deps) {
    const url = new URL(`${deps.account.endpoints.rest}/account/balances`);
    return pollingUpstream({
      deps,
      intervalMs: deps.account.pollSeconds * 1000,
      async poll(signal) {
        const headers = signRest({ method: 'GET', url, body: '' }, deps.account, deps.nonces);
        const result = await httpGet(url, headers, { signal });
        if (result.status === 401) return { kind: 'auth', detail: 'API key rejected' };
        if (result.status !== 200) return { kind: 'retry', detail: `HTTP ${result.status}` };
        deps.publish('account', result.json ?? result.text);
        return { kind: 'ok' };
      },
    });
  },
  startSimulator,
  demoAccount: {
    id: 'fakex-demo',
    label: 'Fake demo',
    credentials: { apiKey: FAKE_KEY, apiSecret: FAKE_SECRET },
    thresholds: { marginCall: '1.2', liquidation: '1.05' },
    pollSeconds: 1,
  },
};

/** The fake exchange's browser module. */
export const fakeBrowser: ExchangeModule = {
  id: FAKE_ID,
  name: 'Fake',
  unit: { name: 'Level', kind: 'ratio' },
  channels: [{ id: 'account', description: 'polled account', cadence: 'poll' }],
  normalize: () => ({ kind: 'ignored', reason: 'fake exchange' }),
  restPaths: FAKE_REST_PATHS,
  defaultPollSeconds: 7,
};

export const fakeEntry: ExchangeEntry = { id: FAKE_ID, browser: fakeBrowser, server: fakeServer };
