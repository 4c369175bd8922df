// BitoPro's proxy-only half: credentials, request signing, the account's upstream, the simulator and the demo.
import { z } from 'zod';
import type { ExchangeServerModule } from '../server-types.ts';
import { bitoproCredentials, inNonceOrder, signedHeaders } from './sign.ts';
import { DEMO_LEVELS, startBitoproSimulator } from './simulator.ts';
import { bitoproTicker } from './ticker.ts';
import { DEFAULT_WS_URL, createBitoproUpstream } from './upstream.ts';

const nonEmpty = (field: string) =>
  z.string({ error: `${field} must be a string` }).min(1, `${field} is empty`);

/** BitoPro account credentials: API key and secret, and the account's e-mail (BitoPro's `identity`). */
export const credentialsSchema = z.strictObject({
  apiKey: nonEmpty('apiKey'),
  apiSecret: nonEmpty('apiSecret'),
  identity: nonEmpty('identity').includes('@', { error: 'identity must be the account e-mail address' }),
});

export const server: ExchangeServerModule = {
  id: 'bitopro',
  defaultEndpoints: { rest: 'https://api.bitopro.com/v3', ws: DEFAULT_WS_URL },
  credentials: credentialsSchema,
  accountOptions: {},
  // Authenticated API: 600 requests/min per account and 600/min per IP; a poll reads the margin balances.
  requestBudget: {
    limits: [
      { perMinute: 600, scope: 'key' },
      { perMinute: 600, scope: 'ip' },
    ],
    requestsPerPoll: 1,
    keyField: 'apiKey',
  },
  // BitoPro signs neither the URL nor the method: only the {identity, nonce} payload.
  signRest: (_req, account, nonces) => signedHeaders(bitoproCredentials(account.credentials), nonces),
  // BitoPro wants nonces to increase: the relay's signed reads queue behind the stream handshake and the poll.
  inSigningOrder: (account, signAndSend, signal) =>
    inNonceOrder(bitoproCredentials(account.credentials).apiKey, signAndSend, signal),
  // The key and the account e-mail are masked in logs too: they identify the account.
  secretFields: ['apiKey', 'apiSecret', 'identity'],
  createUpstream: (deps) => createBitoproUpstream(deps),
  startSimulator: startBitoproSimulator,
  demoAccount: {
    id: 'bitopro-demo',
    label: 'BitoPro (demo)',
    credentials: {
      apiKey: 'demo-bitopro-key',
      apiSecret: 'demo-bitopro-secret-not-real',
      identity: 'demo@bitopro.invalid',
    },
    // BitoPro publishes no numeric margin-call or liquidation level and sends none: these demo lines are
    // placeholders (the config example's), not BitoPro's levels.
    thresholds: {
      marginCall: String(DEMO_LEVELS.marginCall),
      liquidation: String(DEMO_LEVELS.liquidation),
    },
  },
  ticker: bitoproTicker,
  // The AD ratio is totalAssetAmount ÷ totalDebtAmount (truncated to 2 decimals).
  priceMoves: { kind: 'assets-over-liabilities' },
};
