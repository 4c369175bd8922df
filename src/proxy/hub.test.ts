import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { snapshotFrame, type SnapshotFrameDto } from '../contract/stream.ts';
import { Redactor } from './log.ts';
import { attachWebSocket, CLOSE_TOO_SLOW, StreamHub, type HubSocket, type StreamFrame } from './hub.ts';

/** A snapshot frame of `accountId` for a message on `channel` received at `receivedAt` (no figures needed here). */
function snap(accountId: string, channel: string, receivedAt = 1): SnapshotFrameDto {
  return snapshotFrame({ accountId, channel, receivedAt, snapshot: null, lastGood: null, levelAt: null });
}

const expectedSnap = (accountId: string, channel: string, receivedAt: number) => ({
  type: 'snapshot',
  accountId,
  channel,
  receivedAt,
  snapshot: null,
  lastGood: null,
  levelAt: null,
});

/** A socket whose bufferedAmount the test controls. */
class FakeSocket implements HubSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  terminated = false;
  pings = 0;
  /** The ping the hub greets every new client with (kept apart so the tests below see only what follows). */
  hello: string | null = null;
  send(data: string): void {
    if (this.hello === null && this.sent.length === 0 && data.startsWith('{"type":"ping"')) {
      this.hello = data;
      return;
    }
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
  ping(): void {
    this.pings += 1;
  }
  frames(): StreamFrame[] {
    return this.sent.map((s) => JSON.parse(s) as StreamFrame);
  }
}

function hubAt(time: number, options: ConstructorParameters<typeof StreamHub>[0] = {}) {
  return new StreamHub({ heartbeatMs: 0, now: () => time, ...options });
}

describe('StreamHub', () => {
  it('replays the latest status and the latest snapshot of every account on connect', () => {
    const hub = hubAt(1000);
    hub.status('a', 'connecting');
    hub.status('a', 'live');
    hub.status('b', 'error', 'DNS failure');
    hub.snapshot(snap('a', 'account', 10));
    hub.snapshot(snap('a', 'account', 11));
    hub.snapshot(snap('a', 'balances', 12));
    hub.snapshot(snap('b', 'account', 13));
    const socket = new FakeSocket();
    hub.attach(socket);
    expect(socket.frames()).toEqual([
      { type: 'status', accountId: 'a', state: 'live', at: 1000 },
      { type: 'status', accountId: 'b', state: 'error', detail: 'DNS failure', at: 1000 },
      expectedSnap('a', 'balances', 12),
      expectedSnap('b', 'account', 13),
    ]);
  });

  it('broadcasts alerts without replaying them', () => {
    const hub = hubAt(1000);
    const early = new FakeSocket();
    hub.attach(early);
    hub.snapshot(snap('v', 'account', 10));
    hub.alert({
      id: 'x',
      accountId: 'v',
      exchange: 'valr',
      rule: 'zone-worse',
      kind: 'fired',
      level: '0.2',
      zone: 'caution',
      cushion: null,
      message: 'VALR margin entered Caution',
      at: 10,
    });
    expect(early.frames().map((f) => f.type)).toEqual(['snapshot', 'alert']);
    const late = new FakeSocket();
    hub.attach(late);
    expect(late.frames()).toEqual([expectedSnap('v', 'account', 10)]);
  });

  it('greets every new client with a ping carrying the proxy clock, before any replay', () => {
    const hub = hubAt(4242);
    hub.status('a', 'live');
    const socket = new FakeSocket();
    hub.attach(socket);
    expect(socket.hello).toBe('{"type":"ping","at":4242}');
    expect(socket.frames()[0]).toMatchObject({ type: 'status' });
  });

  it('broadcasts to every client and deduplicates unchanged statuses', () => {
    const hub = hubAt(5);
    const one = new FakeSocket();
    const two = new FakeSocket();
    hub.attach(one);
    hub.attach(two);
    hub.status('a', 'live');
    hub.status('a', 'live');
    hub.status('a', 'stale', 'no data for 30 s');
    hub.status('a', 'stale', 'no data for 30 s');
    hub.status('a', 'stale', 'no data for 45 s');
    hub.snapshot(snap('a', 'c', 9));
    const expected = [
      { type: 'status', accountId: 'a', state: 'live', at: 5 },
      { type: 'status', accountId: 'a', state: 'stale', detail: 'no data for 30 s', at: 5 },
      { type: 'status', accountId: 'a', state: 'stale', detail: 'no data for 45 s', at: 5 },
      expectedSnap('a', 'c', 9),
    ];
    expect(one.frames()).toEqual(expected);
    expect(two.frames()).toEqual(expected);
    expect(hub.statusOf('a')?.detail).toBe('no data for 45 s');
  });

  it('drops a slow client with 1013 without delaying the others', () => {
    const hub = hubAt(1, { maxBufferedBytes: 1000 });
    const slow = new FakeSocket();
    const fast = new FakeSocket();
    hub.attach(slow);
    hub.attach(fast);
    slow.bufferedAmount = 950;
    hub.snapshot(snap('a', 'x'.repeat(100)));
    expect(slow.closed).toEqual({ code: CLOSE_TOO_SLOW, reason: 'client too slow' });
    expect(slow.sent).toHaveLength(0);
    expect(fast.sent).toHaveLength(1);
    hub.snapshot(snap('a', 'y'));
    expect(slow.sent).toHaveLength(0);
    expect(fast.sent).toHaveLength(2);
    expect(hub.size).toBe(1);
  });

  it('sends one frame larger than the bound to an idle client', () => {
    const hub = hubAt(1, { maxBufferedBytes: 100 });
    const idle = new FakeSocket();
    hub.attach(idle);
    hub.snapshot(snap('a', 'x'.repeat(500)));
    expect(idle.sent).toHaveLength(1);
    expect(idle.closed).toBeNull();
  });

  it('drops a client whose replay does not fit', () => {
    const hub = hubAt(1, { maxBufferedBytes: 300 });
    for (let i = 0; i < 10; i += 1) hub.snapshot(snap(`a${i}`, 'x'.repeat(20)));
    const socket = new FakeSocket();
    socket.send = (data) => {
      socket.sent.push(data);
      socket.bufferedAmount += data.length;
    };
    hub.attach(socket);
    expect(socket.closed?.code).toBe(CLOSE_TOO_SLOW);
    expect(socket.sent.length).toBeGreaterThan(0);
    expect(socket.sent.length).toBeLessThan(10);
    expect(hub.size).toBe(0);
  });

  it('heartbeat sends ping frames and cuts off clients that stopped answering protocol pings', () => {
    const hub = hubAt(77);
    const answering = new FakeSocket();
    const dead = new FakeSocket();
    const a = hub.attach(answering);
    hub.attach(dead);
    hub.heartbeat();
    expect(answering.frames()).toEqual([{ type: 'ping', at: 77 }]);
    expect(answering.pings).toBe(1);
    a.alive();
    hub.heartbeat();
    expect(dead.terminated).toBe(true);
    expect(answering.terminated).toBe(false);
    expect(answering.frames()).toHaveLength(2);
    expect(hub.size).toBe(1);
  });

  it('scrubs known secrets from frames', () => {
    const hub = hubAt(1, { redactor: new Redactor(['s3cr3t-value']) });
    const socket = new FakeSocket();
    hub.attach(socket);
    hub.status('a', 'auth_failed', 'key s3cr3t-value rejected');
    hub.snapshot(snap('a', 'echo s3cr3t-value'));
    expect(socket.sent.join('')).not.toContain('s3cr3t-value');
    expect(socket.frames()[1]).toMatchObject({ channel: 'echo ***' });
  });

  it('close() closes every client with 1001', () => {
    const hub = hubAt(1);
    const socket = new FakeSocket();
    hub.attach(socket);
    hub.close();
    expect(socket.closed?.code).toBe(1001);
    expect(hub.size).toBe(0);
  });
});

describe('attachWebSocket over a real socket', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((r) => server?.close(r));
    server = undefined;
  });

  it('replays, streams, and ignores everything the browser sends', async () => {
    const hub = new StreamHub({ heartbeatMs: 0 });
    hub.status('a', 'live');
    const wss = new WebSocketServer({ noServer: true });
    server = createServer();
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => attachWebSocket(hub, ws)),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    const received: StreamFrame[] = [];
    client.on('message', (data: Buffer) => received.push(JSON.parse(data.toString()) as StreamFrame));
    await once(client, 'open');
    client.send(JSON.stringify({ type: 'subscribe', op: 'order' }));
    client.send('garbage');
    await new Promise((r) => setTimeout(r, 50));
    hub.snapshot(snap('a', 'account', 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual([
      { type: 'ping', at: expect.any(Number) as number },
      { type: 'status', accountId: 'a', state: 'live', at: expect.any(Number) as number },
      expectedSnap('a', 'account', 5),
    ]);
    expect(hub.size).toBe(1);
    client.close();
    await once(client, 'close');
    await new Promise((r) => setTimeout(r, 20));
    expect(hub.size).toBe(0);
    hub.close();
    wss.close();
  });
});
