// The exchanges Margin Watch knows, one line each: the exchange's module (wire schemas, normalize, metadata) and
// its proxy-only server module (signing, upstream sessions, simulator). Adding an exchange is a folder and one
// line here. Only the proxy imports this list; the browser renders the proxy's snapshots and never reaches it.
import { b2prime } from './b2prime/index.ts';
import { server as b2primeServer } from './b2prime/server.ts';
import { bitopro } from './bitopro/index.ts';
import { server as bitoproServer } from './bitopro/server.ts';
import { bitso } from './bitso/index.ts';
import { server as bitsoServer } from './bitso/server.ts';
import type { ExchangeServerModule } from './server-types.ts';
import type { ExchangeModule } from './types.ts';
import { valr } from './valr/index.ts';
import { server as valrServer } from './valr/server.ts';

const REGISTRY: readonly (readonly [ExchangeModule, ExchangeServerModule])[] = [
  [bitopro, bitoproServer],
  [bitso, bitsoServer],
  [b2prime, b2primeServer],
  [valr, valrServer],
];

export const exchanges: readonly ExchangeModule[] = REGISTRY.map(([module]) => module);

/** The proxy-only half of each exchange, in the same order. */
export const serverModules: readonly ExchangeServerModule[] = REGISTRY.map(([, server]) => server);

export function exchangeById(id: string): ExchangeModule | undefined {
  return exchanges.find((e) => e.id === id);
}
