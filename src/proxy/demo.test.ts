import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExchangeServerModule } from '../exchanges/server-types.ts';
import { startDemo } from './demo.ts';
import { catalogOf } from './exchanges.ts';
import { createLogger } from './log.ts';
import { fakeBrowser, fakeEntry, fakeServer } from './testing/fake-exchange.ts';

function quietLog(lines: string[] = []) {
  return createLogger({ write: (l) => lines.push(l), pretty: false });
}

describe('startDemo', () => {
  it('starts each simulator and validates the demo accounts like a config', async () => {
    const lines: string[] = [];
    const demo = await startDemo({ catalog: catalogOf([fakeEntry]), seed: 3, log: quietLog(lines) });
    try {
      expect(demo.simulators).toHaveLength(1);
      const [sim] = demo.simulators;
      expect(sim?.controlUrl).toBe(`${sim?.simulator.url}/__sim/control`);
      const [account] = demo.config.accounts;
      expect(account?.id).toBe('fakex-demo');
      expect(account?.endpoints).toEqual(sim?.simulator.endpoints);
      expect(account?.pollSeconds).toBe(1);
      expect(account?.thresholds?.liquidation?.toFixed()).toBe('1.05');
      expect(demo.config.history.path.startsWith(demo.dataDir)).toBe(true);
      expect(lines.join('\n')).toContain(`POST ${sim?.controlUrl}`);
      const res = await fetch(sim?.controlUrl ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"kind":"revoke"}',
      });
      expect(res.status).toBe(200);
    } finally {
      await demo.close();
    }
    expect(existsSync(demo.dataDir)).toBe(false);
  });

  it('listens on the port base + index when asked', async () => {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const demo = await startDemo({
      catalog: catalogOf([fakeEntry]),
      seed: 1,
      simulatorPortBase: base,
      log: quietLog(),
    });
    try {
      expect(demo.simulators[0]?.simulator.url).toBe(`http://127.0.0.1:${base}`);
    } finally {
      await demo.close();
    }
  });

  it('rejects a module whose demo account does not pass its own schema, and stops what it started', async () => {
    const broken: ExchangeServerModule = {
      ...fakeServer,
      demoAccount: { ...fakeServer.demoAccount, credentials: { apiKey: 'k' } },
    };
    await expect(
      startDemo({
        catalog: catalogOf([{ id: 'fakex', browser: fakeBrowser, server: broken }]),
        seed: 1,
        log: quietLog(),
      }),
    ).rejects.toThrow(/demo accounts[\s\S]*accounts\[0\]\.credentials\.apiSecret/);
  });
});
