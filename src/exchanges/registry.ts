// The exchanges Margin Watch knows. Adding one: a folder with index.ts (browser-safe) and server.ts
// (proxy-only), and one line here. The proxy loads `<id>/server.ts` for each id listed.
import { b2prime } from './b2prime/index.ts';
import { bitopro } from './bitopro/index.ts';
import { bitso } from './bitso/index.ts';
import type { ExchangeModule } from './types.ts';
import { valr } from './valr/index.ts';

export const exchanges: readonly ExchangeModule[] = [bitopro, bitso, b2prime, valr];

export function exchangeById(id: string): ExchangeModule | undefined {
  return exchanges.find((e) => e.id === id);
}
