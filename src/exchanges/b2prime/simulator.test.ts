import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as signalR from '@microsoft/signalr';
import WebSocket from 'ws';
import { Dec, dec } from '../../domain/decimal.ts';
import type { RiskZone } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import { pause as sleep, until } from '../kit/testing/session-harness.ts';
import type { RunningSimulator, SimulatorOptions } from '../server-types.ts';
import fullBalanceSubscribe from './fixtures/full-balance-subscribe.json' with { type: 'json' };
import marginDataSubscribe from './fixtures/margin-data-subscribe.json' with { type: 'json' };
import { normalizeB2prime } from './normalize.ts';
import { SimB2primeAccount, startB2primeSimulator } from './simulator.ts';

const TOKEN = 'demo-b2prime-token-not-real';
const ACCOUNT = '67d0456f8c7b1108e4cf5d46';
const RS = '\u001e';
/** 15 s ping → 300 ms, 30 s client timeout → 600 ms, 2 s push → 40 ms. */
const TIME_SCALE = 0.02;
const thresholds = { marginCall: dec('100'), liquidation: dec('50') };

const options: SimulatorOptions = {
  seed: 7,
  scenario: 'demo',
  account: { credentials: { accessToken: TOKEN }, options: { accountId: ACCOUNT } },
  timeScale: TIME_SCALE,
};

let sim: RunningSimulator;
const opened: WebSocket[] = [];

beforeEach(async () => {
  sim = await startB2primeSimulator(options);
});

afterEach(async () => {
  for (const ws of opened.splice(0)) ws.terminate();
  await sim.close();
});

function streamUrl(path = '/frontoffice/ws/v3/account', token: string | null = TOKEN): string {
  const url = new URL(sim.endpoints.ws ?? '');
  url.pathname = path;
  if (token !== null) url.searchParams.set('access_token', token);
  return url.toString();
}

interface Refusal {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Opens a WebSocket that the simulator is expected to refuse; resolves with the HTTP answer. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    opened.push(ws);
    ws.on('open', () => reject(new Error('upgrade was accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
  });
}

/** A bare SignalR JSON client for poking the simulator. */
class HubClient {
  readonly records: Record<string, unknown>[] = [];
  readonly frames: { text: string; binary: boolean }[] = [];
  closed = false;
  private pinger: NodeJS.Timeout | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary) => {
      const text = data.toString('utf8');
      this.frames.push({ text, binary });
      for (const part of text.split(RS)) {
        if (part.length === 0) continue;
        try {
          this.records.push(JSON.parse(part) as Record<string, unknown>);
        } catch {
          this.records.push({ unparsable: part });
        }
      }
    });
    ws.on('close', () => {
      this.closed = true;
      clearInterval(this.pinger);
    });
    ws.on('error', () => {});
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<HubClient> {
    const ws = new WebSocket(url, { headers });
    opened.push(ws);
    const client = new HubClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens, shakes hands and keeps pinging (as a real client does) unless told not to. */
  static async ready(url = streamUrl(), keepAlive = true): Promise<HubClient> {
    const client = await HubClient.open(url);
    client.sendRaw(`{"protocol":"json","version":1}${RS}`);
    await client.waitFor((r) => Object.keys(r).length === 0);
    if (keepAlive) client.pinger = setInterval(() => client.send({ type: 6 }), 100);
    return client;
  }

  send(message: unknown): void {
    this.sendRaw(JSON.stringify(message) + RS);
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  subscribe(invocationId: string, target: string, args: unknown[] = [ACCOUNT]): void {
    this.send({ type: 4, invocationId, target, arguments: args });
  }

  async waitFor(
    match: (r: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await until(() => (found = this.records.find(match)) !== undefined, 'a matching record', timeoutMs);
    return found ?? {};
  }

  items(invocationId: string): Record<string, unknown>[] {
    return this.records.filter((r) => r.type === 2 && r.invocationId === invocationId);
  }
}

describe('b2prime simulator: authentication as ASP.NET does it', () => {
  it('refuses an upgrade without a token: 401, empty body, Bearer challenge', async () => {
    const answer = await refusal(streamUrl(undefined, null));
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('');
    expect(answer.headers['www-authenticate']).toBe('Bearer');
  });

  it('refuses a wrong token: 401 invalid_token', async () => {
    const answer = await refusal(streamUrl(undefined, 'not-the-token'));
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('');
    expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses a revoked token and accepts it again once restored', async () => {
    sim.control({ kind: 'revoke' });
    const answer = await refusal(streamUrl());
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    sim.control({ kind: 'restore' });
    const client = await HubClient.ready();
    expect(client.closed).toBe(false);
  });

  it('accepts the token as an Authorization header too, and the v4 path', async () => {
    const url = streamUrl('/frontoffice/ws/v4/account', null);
    const client = await HubClient.open(url, { Authorization: `Bearer ${TOKEN}` });
    client.sendRaw(`{"protocol":"json","version":1}${RS}`);
    await client.waitFor((r) => Object.keys(r).length === 0);
  });

  it('answers 404 on other paths', async () => {
    const answer = await refusal(streamUrl('/frontoffice/ws/v3/market'));
    expect(answer.status).toBe(404);
  });

  it('checks the bearer token on REST', async () => {
    const accounts = `${sim.url}/frontoffice/api/v3/accounts`;
    const missing = await fetch(accounts);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.text()).toBe('');
    const wrong = await fetch(accounts, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const ok = await fetch(accounts, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>[];
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({
      accountId: ACCOUNT,
      publicAccountId: 1000123,
      accountType: 'Netting',
      isCopyTradingAccount: false,
    });
    expect(body[0]?.totalBalanceInRAT).toMatch(/^\d+(\.\d{1,2})?$/);
    sim.control({ kind: 'revoke' });
    expect((await fetch(accounts, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
  });

  it('serves assets, refuses other methods and paths', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const assets = await fetch(`${sim.url}/frontoffice/api/v3/assets`, { headers: auth });
    expect(await assets.json()).toEqual([
      { assetId: 'usd', assetName: 'US Dollar', isRootAsset: true },
      { assetId: 'btc', assetName: 'Bitcoin', isRootAsset: false },
      { assetId: 'eth', assetName: 'Ether', isRootAsset: false },
    ]);
    const post = await fetch(`${sim.url}/frontoffice/api/v3/accounts`, { method: 'POST', headers: auth });
    expect(post.status).toBe(405);
    expect((await fetch(`${sim.url}/frontoffice/api/v3/orders`, { headers: auth })).status).toBe(404);
  });

  it('answers injected HTTP errors, 429 with Retry-After, then recovers', async () => {
    sim.control({ kind: 'http-error', status: 429, count: 2 });
    const auth = { Authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(`${sim.url}/frontoffice/api/v3/accounts`, { headers: auth });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ title: 'Too Many Requests', status: 429 });
    }
    expect((await fetch(`${sim.url}/frontoffice/api/v3/accounts`, { headers: auth })).status).toBe(200);
  });

  it('applies faults sent to the control route', async () => {
    const res = await fetch(`${sim.url}/__sim/control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'http-error', status: 503, count: 1 }),
    });
    expect(await res.json()).toEqual({ ok: true, applied: 'http-error' });
    const failed = await fetch(`${sim.url}/frontoffice/api/v3/assets`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(failed.status).toBe(503);
  });

  it('answers the negotiate request of clients that send one', async () => {
    const res = await fetch(`${sim.url}/frontoffice/ws/v3/account/negotiate?negotiateVersion=1`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      negotiateVersion: 1,
      availableTransports: [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }],
    });
  });
});

describe('b2prime simulator: SignalR protocol', () => {
  it('answers a good handshake with {} and a bad one with an error, then closes', async () => {
    const good = await HubClient.ready();
    expect(good.frames[0]).toEqual({ text: `{}${RS}`, binary: false });
    for (const [handshake, error] of [
      [`{"protocol":"messagepack","version":1}${RS}`, "The protocol 'messagepack' is not supported."],
      [
        `{"protocol":"json","version":2}${RS}`,
        "The server does not support version 2 of the 'json' protocol.",
      ],
      [`hello${RS}`, 'Error reading JSON.'],
    ] as const) {
      const bad = await HubClient.open(streamUrl());
      bad.sendRaw(handshake);
      await bad.waitFor((r) => r.error !== undefined);
      expect(bad.records[0]).toEqual({ error });
      await until(() => bad.closed);
    }
  });

  it('streams FullBalance and MarginData for the account, as consistent figures', async () => {
    const client = await HubClient.ready();
    client.subscribe('0', 'FullBalance');
    client.subscribe('1', 'MarginData');
    await until(() => client.items('0').length >= 3 && client.items('1').length >= 3);
    for (const [channel, id] of [
      ['FullBalance', '0'],
      ['MarginData', '1'],
    ] as const) {
      for (const record of client.items(id)) {
        const outcome = normalizeB2prime(channel, record, { accountId: 'a', receivedAt: 0, thresholds });
        expect(outcome.kind).toBe('update');
        if (outcome.kind === 'update') expect(outcome.update.warnings).toBeUndefined();
      }
    }
    const [first] = client.items('0');
    expect((first?.item as { assetId: string }[]).map((r) => r.assetId)).toEqual(['usd', 'btc', 'eth']);
    expect(client.frames.every((f) => !f.binary)).toBe(true);
  });

  it.each([
    ['FullBalance', fullBalanceSubscribe],
    ['MarginData', marginDataSubscribe],
  ])('accepts the documented %s subscription as written', async (target, request) => {
    expect(request.target).toBe(target);
    const client = await HubClient.ready();
    client.sendRaw(JSON.stringify(request, null, 2) + RS);
    await until(() => client.items('0').length >= 1);
    const outcome = normalizeB2prime(target, client.items('0')[0], { accountId: 'a', receivedAt: 0 });
    expect(outcome.kind).toBe('update');
  });

  it('sometimes sends several records in one frame', async () => {
    const client = await HubClient.ready();
    client.subscribe('0', 'FullBalance');
    client.subscribe('1', 'MarginData');
    await until(() => client.frames.some((f) => f.text.split(RS).length > 2));
  });

  it('ends a stream for another account with a Completion error', async () => {
    const client = await HubClient.ready();
    client.subscribe('0', 'MarginData', ['000000000000000000000000']);
    client.subscribe('1', 'Orders');
    client.subscribe('2', 'FullBalance', []);
    await until(() => client.records.filter((r) => r.type === 3).length === 3);
    expect(client.records.filter((r) => r.type === 3)).toEqual([
      {
        type: 3,
        invocationId: '0',
        error: 'An error occurred on the server while streaming results. HubException: Account not found.',
      },
      {
        type: 3,
        invocationId: '1',
        error:
          "Failed to invoke 'Orders' due to an error on the server. HubException: Method does not exist.",
      },
      {
        type: 3,
        invocationId: '2',
        error:
          "Failed to invoke 'FullBalance' due to an error on the server. InvalidDataException: Invocation provides 0 argument(s) but target expects 1.",
      },
    ]);
    expect(client.closed).toBe(false);
  });

  it('answers a method call with a Completion error (the account hub has only streams)', async () => {
    const client = await HubClient.ready();
    client.send({ type: 1, invocationId: '0', target: 'PlaceOrder', arguments: [] });
    expect(await client.waitFor((r) => r.type === 3)).toEqual({
      type: 3,
      invocationId: '0',
      error:
        "Failed to invoke 'PlaceOrder' due to an error on the server. HubException: Method does not exist.",
    });
  });

  it.each([
    ['an unknown message type', `{"type":99}${RS}`, "Unknown message type '99'."],
    ['a record that is not JSON', `{"type":${RS}`, 'Error reading JSON.'],
    ['a message without a type', `{"invocationId":"0"}${RS}`, "Missing required property 'type'."],
  ])('closes the connection on %s', async (_name, text, error) => {
    const client = await HubClient.ready();
    client.sendRaw(text);
    expect(await client.waitFor((r) => r.type === 7)).toEqual({
      type: 7,
      error: `Connection closed with an error. InvalidDataException: ${error}`,
      allowReconnect: false,
    });
    await until(() => client.closed);
  });

  it('closes the connection on a binary frame', async () => {
    const client = await HubClient.ready();
    client.ws.send(Buffer.from(`{"type":6}${RS}`), { binary: true });
    const close = await client.waitFor((r) => r.type === 7);
    expect(close.error).toBe(
      'Connection closed with an error. InvalidDataException: Binary frames are not supported by the json protocol.',
    );
  });

  it('closes the connection with an error when an invocation id is reused', async () => {
    const client = await HubClient.ready();
    client.subscribe('0', 'FullBalance');
    client.subscribe('0', 'MarginData');
    const close = await client.waitFor((r) => r.type === 7);
    expect(close).toEqual({
      type: 7,
      error: "Connection closed with an error. InvalidDataException: Invocation ID '0' is already in use.",
      allowReconnect: false,
    });
    await until(() => client.closed);
  });

  it('completes a cancelled stream and stops sending it', async () => {
    const client = await HubClient.ready();
    client.subscribe('0', 'MarginData');
    await until(() => client.items('0').length >= 1);
    client.send({ type: 5, invocationId: '0' });
    await client.waitFor((r) => r.type === 3);
    expect(client.records.find((r) => r.type === 3)).toEqual({ type: 3, invocationId: '0' });
    const count = client.items('0').length;
    await sleep(200);
    expect(client.items('0').length).toBe(count);
  });

  it('pings every 15 s (scaled) and drops a client silent for 30 s (scaled)', async () => {
    const talking = await HubClient.ready();
    const silent = await HubClient.ready(streamUrl(), false);
    await until(() => silent.records.some((r) => r.type === 6), 'a server ping');
    await until(() => silent.closed, 'the silent client dropped');
    expect(silent.records.some((r) => r.type === 7)).toBe(false);
    expect(talking.closed).toBe(false);
    expect(talking.records.filter((r) => r.type === 6).length).toBeGreaterThanOrEqual(1);
  });
});

describe('b2prime simulator: the official SignalR client', () => {
  it.each([
    ['without negotiate', true],
    ['with negotiate', false],
  ])('streams to @microsoft/signalr %s', async (_name, skipNegotiation) => {
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(`${sim.url}/frontoffice/ws/v3/account`, {
        skipNegotiation,
        transport: signalR.HttpTransportType.WebSockets,
        accessTokenFactory: () => TOKEN,
      })
      .configureLogging(signalR.LogLevel.None)
      .build();
    await connection.start();
    try {
      const items: unknown[] = [];
      let refused: unknown;
      connection.stream('MarginData', ACCOUNT).subscribe({
        next: (item) => items.push(item),
        error: () => {},
        complete: () => {},
      });
      connection.stream('FullBalance', 'ffffffffffffffffffffffff').subscribe({
        next: () => {},
        error: (err: unknown) => (refused = err),
        complete: () => {},
      });
      await until(() => items.length >= 2 && refused !== undefined);
      expect(items[0]).toHaveProperty('marginLevel');
      expect(String(refused)).toBe(
        'Error: An error occurred on the server while streaming results. HubException: Account not found.',
      );
    } finally {
      await connection.stop();
    }
  });
});

describe('b2prime simulator: faults', () => {
  async function subscribed(): Promise<HubClient> {
    const client = await HubClient.ready();
    client.subscribe('0', 'FullBalance');
    client.subscribe('1', 'MarginData');
    await until(() => client.items('1').length >= 1);
    return client;
  }

  it('drop closes every connection', async () => {
    const client = await subscribed();
    sim.control({ kind: 'drop' });
    await until(() => client.closed);
  });

  it('silence stops data and pings; resuming restarts them', async () => {
    const client = await subscribed();
    sim.control({ kind: 'silence', on: true });
    await sleep(50);
    const count = client.records.length;
    await sleep(400);
    expect(client.records.length).toBe(count);
    sim.control({ kind: 'silence', on: false });
    await until(() => client.records.length > count + 2);
  });

  it('malformed sends one record that is not JSON', async () => {
    const client = await subscribed();
    sim.control({ kind: 'malformed' });
    const bad = await client.waitFor((r) => 'unparsable' in r);
    const outcome = normalizeB2prime('MarginData', bad.unparsable, { accountId: 'a', receivedAt: 0 });
    expect(outcome.kind === 'error' && outcome.error.field).toBe('(message)');
  });

  it('bad-schema sends one MarginData item with a mistyped and a missing field', async () => {
    const client = await subscribed();
    sim.control({ kind: 'bad-schema' });
    await until(() =>
      client
        .items('1')
        .some((r) => normalizeB2prime('MarginData', r, { accountId: 'a', receivedAt: 0 }).kind === 'error'),
    );
    const bad = client
      .items('1')
      .map((r) => normalizeB2prime('MarginData', r, { accountId: 'a', receivedAt: 0 }))
      .find((o) => o.kind === 'error');
    expect(bad?.kind === 'error' && bad.error.field).toBe('item.equityInRAT');
  });

  it('revoke closes live connections with an error', async () => {
    const client = await subscribed();
    sim.control({ kind: 'revoke' });
    const close = await client.waitFor((r) => r.type === 7);
    expect(close.error).toBe('Connection closed with an error. Unauthorized: the access token was revoked.');
    await until(() => client.closed);
  });

  it('set-level pins marginLevel in percent; resume-walk returns to the path', async () => {
    const client = await subscribed();
    sim.control({ kind: 'set-level', level: '45.67' });
    const pinned = await client.waitFor(
      (r) => r.invocationId === '1' && (r.item as { marginLevel?: string }).marginLevel === '45.67',
    );
    expect(pinned.item).toMatchObject({ usedMarginInRAT: '40000', equityInRAT: '18268' });
    sim.control({ kind: 'resume-walk' });
    const before = client.items('1').length;
    await until(() => client.items('1').length > before + 1);
    const last = client.items('1').at(-1)?.item as { marginLevel: string };
    expect(last.marginLevel).not.toBe('45.67');
  });

  it('set-level and resume-walk push at once, not at the next tick', async () => {
    // At timeScale 1 the next scheduled push is 2 s away.
    await sim.close();
    sim = await startB2primeSimulator({ ...options, timeScale: 1 });
    const client = await HubClient.ready(streamUrl(), false);
    client.subscribe('1', 'MarginData');
    await until(() => client.items('1').length >= 1);
    sim.control({ kind: 'set-level', level: '61.23' });
    await client.waitFor(
      (r) => (r.item as { marginLevel?: string } | undefined)?.marginLevel === '61.23',
      1_500,
    );
    const before = client.items('1').length;
    sim.control({ kind: 'resume-walk' });
    await until(() => client.items('1').length > before, 'the walk pushed at once', 1_500);
  });
});

describe('b2prime simulated account', () => {
  function zonesOver(
    account: SimB2primeAccount,
    start: number,
    seconds: number,
  ): { zones: RiskZone[]; warnings: number } {
    const zones: RiskZone[] = [];
    let warnings = 0;
    for (let s = 0; s <= seconds; s += 0.5) {
      const figures = account.figures(start + s * 1000);
      const { balances, totalBalanceInRAT: _total, ...item } = figures;
      for (const [channel, payload] of [
        ['MarginData', { type: 2, invocationId: '1', item }],
        ['FullBalance', { type: 2, invocationId: '0', item: balances }],
      ] as const) {
        const outcome = normalizeB2prime(channel, payload, { accountId: 'a', receivedAt: 0, thresholds });
        if (outcome.kind !== 'update') throw new Error(JSON.stringify(outcome));
        warnings += outcome.update.warnings?.length ?? 0;
        if (channel === 'MarginData') zones.push(applyUpdate(undefined, outcome.update).zone);
      }
    }
    return { zones, warnings };
  }

  it('demo crosses every band of the demo thresholds within 3 minutes and comes back', () => {
    const start = 1_763_700_000_000;
    const { zones, warnings } = zonesOver(new SimB2primeAccount(7, 'demo', start), start, 180);
    expect(warnings).toBe(0);
    const firstLiquidation = zones.indexOf('liquidation');
    expect(zones[0]).toBe('safe');
    expect(zones.indexOf('caution')).toBeGreaterThan(0);
    expect(firstLiquidation).toBeGreaterThan(zones.indexOf('caution'));
    expect(zones.slice(firstLiquidation).includes('safe')).toBe(true);
  });

  it('sends marginLevel in percent (equity / used margin × 100), truncated to 2 dp', () => {
    const start = 1_763_700_000_000;
    const account = new SimB2primeAccount(7, 'steady', start);
    for (const s of [0, 30, 90]) {
      const figures = account.figures(start + s * 1000);
      const percent = dec(figures.equityInRAT).div(dec(figures.usedMarginInRAT)).times(100);
      expect(figures.marginLevel).toBe(percent.toFixed(2, Dec.ROUND_DOWN));
      expect(figures.marginLevel).toMatch(/^\d{3,}\.\d{2}$/);
    }
  });

  it('steady stays safe', () => {
    const start = 1_763_700_000_000;
    const { zones, warnings } = zonesOver(new SimB2primeAccount(7, 'steady', start), start, 600);
    expect(warnings).toBe(0);
    expect(new Set(zones)).toEqual(new Set(['safe']));
  });

  it('timeScale shrinks the demo cycle: every band within 3 minutes × timeScale', () => {
    const start = 1_763_700_000_000;
    const account = new SimB2primeAccount(7, 'demo', start, 0.1);
    const zones = new Set<RiskZone>();
    for (let ms = 0; ms <= 18_000; ms += 50) {
      const { balances: _rows, totalBalanceInRAT: _total, ...item } = account.figures(start + ms);
      const outcome = normalizeB2prime(
        'MarginData',
        { type: 2, invocationId: '1', item },
        {
          accountId: 'a',
          receivedAt: 0,
          thresholds,
        },
      );
      if (outcome.kind === 'update') zones.add(applyUpdate(undefined, outcome.update).zone);
    }
    expect(zones).toEqual(new Set(['safe', 'caution', 'liquidation']));
  });

  it('is deterministic for a seed and accrues swap on the USD balance', () => {
    const start = 1_763_700_000_000;
    const a = new SimB2primeAccount(11, 'demo', start);
    const b = new SimB2primeAccount(11, 'demo', start);
    for (const s of [0, 10, 60, 90]) expect(a.figures(start + s * 1000)).toEqual(b.figures(start + s * 1000));
    const usd = (s: number): string | undefined =>
      a.figures(start + s * 1000).balances.find((r) => r.assetId === 'usd')?.total;
    expect(usd(100)).toBe('59999.5');
    expect(usd(1000)).toBe('59995');
  });
});
