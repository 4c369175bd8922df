import { describe, expect, it } from 'vitest';
import { dec } from '../domain/decimal.ts';
import type { AccountConfig, ExchangeServerModule, UpstreamDeps } from '../exchanges/server-types.ts';
import { AccountManager, type AccountMessage } from './accounts.ts';
import { catalogOf } from './exchanges.ts';
import { StreamHub, type HubSocket } from './hub.ts';
import { createLogger, Redactor } from './log.ts';
import { memoryNonceSource } from './nonce.ts';
import { fakeBrowser, fakeServer, FAKE_ID } from './testing/fake-exchange.ts';

function account(id: string, extra: Partial<AccountConfig> = {}): AccountConfig {
  return {
    id,
    exchange: FAKE_ID,
    label: `Label ${id}`,
    credentials: { apiKey: 'k', apiSecret: 'very-secret' },
    endpoints: { rest: 'http://127.0.0.1:1' },
    pollSeconds: 5,
    options: {},
    ...extra,
  };
}

function setup(createUpstream: ExchangeServerModule['createUpstream']) {
  const lines: string[] = [];
  const log = createLogger({
    redactor: new Redactor(['very-secret']),
    write: (l) => lines.push(l),
    pretty: false,
  });
  const hub = new StreamHub({ heartbeatMs: 0, now: () => 100 });
  const server: ExchangeServerModule = { ...fakeServer, createUpstream };
  const manager = new AccountManager({
    accounts: [
      account('a', { thresholds: { marginCall: dec('1.50'), liquidation: dec('1.1') } }),
      account('b'),
    ],
    catalog: catalogOf([{ id: FAKE_ID, browser: fakeBrowser, server }]),
    hub,
    log,
    nonces: memoryNonceSource(),
    now: () => 42,
  });
  return { manager, hub, lines };
}

function socket(): HubSocket & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    readyState: 1,
    bufferedAmount: 0,
    send: (d) => sent.push(d),
    close: () => {},
    terminate: () => {},
    ping: () => {},
  };
}

describe('AccountManager', () => {
  it('routes publish to the hub and hooks, and setStatus to status frames', async () => {
    const deps = new Map<string, UpstreamDeps>();
    let stops = 0;
    const { manager, hub } = setup((d) => {
      deps.set(d.account.id, d);
      return { start: () => {}, stop: async () => void (stops += 1) };
    });
    const seen: AccountMessage[] = [];
    const unsubscribe = manager.onMessage((m) => seen.push(m));
    manager.onMessage(() => {
      throw new Error('a broken subscriber does not stop others');
    });
    manager.start();
    const client = socket();
    hub.attach(client);
    deps.get('a')?.setStatus('live');
    deps.get('a')?.publish('account', { level: '2' });
    deps.get('b')?.publish('balances', 'text', 7);
    unsubscribe();
    deps.get('b')?.publish('balances', 'later', 8);

    expect(seen.map((m) => [m.account.id, m.channel, m.payload, m.receivedAt])).toEqual([
      ['a', 'account', { level: '2' }, 42],
      ['b', 'balances', 'text', 7],
    ]);
    expect(client.sent.map((s) => JSON.parse(s) as unknown)).toEqual([
      { type: 'status', accountId: 'a', state: 'connecting', at: 100 },
      { type: 'status', accountId: 'b', state: 'connecting', at: 100 },
      { type: 'status', accountId: 'a', state: 'live', at: 100 },
      { type: 'message', accountId: 'a', channel: 'account', receivedAt: 42, payload: { level: '2' } },
      { type: 'message', accountId: 'b', channel: 'balances', receivedAt: 7, payload: 'text' },
      { type: 'message', accountId: 'b', channel: 'balances', receivedAt: 8, payload: 'later' },
    ]);

    await manager.stop();
    expect(stops).toBe(2);
    deps.get('a')?.publish('account', 'after stop');
    deps.get('a')?.setStatus('error', 'after stop');
    expect(client.sent).toHaveLength(6);
  });

  it('lists accounts without credentials, thresholds as strings, with status', () => {
    let setStatus: UpstreamDeps['setStatus'] = () => {};
    const { manager } = setup((d) => {
      if (d.account.id === 'b') setStatus = (state, detail) => d.setStatus(state, detail);
      return { start: () => {}, stop: async () => {} };
    });
    manager.start();
    setStatus('auth_failed', 'key very-secret rejected');
    const list = manager.summaries();
    expect(list).toEqual([
      {
        id: 'a',
        exchange: FAKE_ID,
        label: 'Label a',
        thresholds: { marginCall: '1.5', liquidation: '1.1' },
        status: { state: 'connecting', at: 100 },
        pollSeconds: 5,
      },
      {
        id: 'b',
        exchange: FAKE_ID,
        label: 'Label b',
        status: { state: 'auth_failed', detail: 'key *** rejected', at: 100 },
        pollSeconds: 5,
      },
    ]);
    expect(JSON.stringify(list)).not.toContain('very-secret');
  });

  it('marks an account error when its upstream cannot be created, and keeps the others', () => {
    const started: string[] = [];
    const { manager, lines } = setup((d) => {
      if (d.account.id === 'a') throw new Error('bad option very-secret');
      return { start: () => started.push(d.account.id), stop: async () => {} };
    });
    manager.start();
    expect(started).toEqual(['b']);
    expect(manager.summaries()[0]?.status).toEqual({
      state: 'error',
      detail: 'could not start: bad option ***',
      at: 100,
    });
    expect(lines.join('\n')).not.toContain('very-secret');
  });
});

describe('AccountManager with a payload JSON cannot encode', () => {
  it('logs the problem instead of throwing into the upstream', () => {
    let publish: UpstreamDeps['publish'] = () => {};
    const { manager, lines } = setup((d) => {
      publish = (channel, payload) => d.publish(channel, payload);
      return { start: () => {}, stop: async () => {} };
    });
    manager.start();
    expect(() => publish('account', { n: 1n })).not.toThrow();
    expect(lines.join('\n')).toContain('message could not be streamed');
  });
});
