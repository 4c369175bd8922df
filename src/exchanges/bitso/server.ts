// Bitso: the proxy-only half of the exchange module (signing, polling upstream, simulator, demo account).
import { z } from 'zod';
import type { ExchangeServerModule } from '../server-types.ts';
import { inNonceOrder, signRest } from './sign.ts';
import { startBitsoSimulator } from './simulator.ts';
import { bitsoTicker } from './ticker.ts';
import { createBitsoUpstream } from './upstream.ts';

/** Bitso's REST base; margin paths live under /margin_trading/v1alpha. */
export const BITSO_REST = 'https://api.bitso.com';

/** Bitso's server module. */
export const server: ExchangeServerModule = {
  id: 'bitso',
  defaultEndpoints: { rest: BITSO_REST },
  credentials: z.strictObject({
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
  }),
  accountOptions: {},
  // Private API: 300 requests/min per user (one-minute windows; over it, the key is locked out for a minute).
  requestBudget: { limits: [{ perMinute: 300, scope: 'key' }], requestsPerPoll: 1, keyField: 'apiKey' },
  signRest,
  inSigningOrder: inNonceOrder,
  // The key is masked in logs too: it identifies the account.
  secretFields: ['apiKey', 'apiSecret'],
  createUpstream: (deps) => createBitsoUpstream(deps),
  startSimulator: startBitsoSimulator,
  // Bitso sends its own thresholds (safe, maintenance), so the demo account needs none.
  demoAccount: {
    id: 'bitso-demo',
    label: 'Bitso (demo)',
    credentials: { apiKey: 'demo-bitso-key', apiSecret: 'demo-bitso-secret-not-real' },
    pollSeconds: 5,
  },
  ticker: bitsoTicker,
  // The margin level is total assets ÷ total liabilities.
  priceMoves: { kind: 'assets-over-liabilities' },
};
