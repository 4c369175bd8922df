// The exchanges Margin Watch knows. Adding one: a folder with index.ts (browser-safe) and server.ts
// (proxy-only), one line here and one in servers.ts, which lists the server modules the proxy runs.
import { b2prime } from './b2prime/index.ts';
import { bitopro } from './bitopro/index.ts';
import { bitso } from './bitso/index.ts';
import type { ExchangeModule } from './types.ts';
import { valr } from './valr/index.ts';

export const exchanges: readonly ExchangeModule[] = [bitopro, bitso, b2prime, valr];

export function exchangeById(id: string): ExchangeModule | undefined {
  return exchanges.find((e) => e.id === id);
}
