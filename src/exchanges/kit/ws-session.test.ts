// Tests of the WebSocket session skeleton against loopback servers: handshake, refusals, ends, timers, redaction.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SessionContext, SessionEnd } from './reconnecting.ts';
import {
  classifyRefusal,
  type HttpAnswer,
  MAX_REFUSAL_BYTES,
  refusalEnd,
  type RefusalWords,
} from './refusal.ts';
import { KeyedLock } from './signing.ts';
import { pause, until } from './testing/session-harness.ts';
import { wsSession, type WsSessionSpec } from './ws-session.ts';

const words: RefusalWords = {
  exchange: 'Demo',
  said: (a) =>
    typeof a.json === 'object' && a.json !== null && 'error' in a.json ? String(a.json.error) : '',
  authHint: 'check apiKey and apiSecret',
};

interface TestServer {
  url: string;
  sockets: WebSocket[];
  upgrades: { headers: Record<string, string | string[] | undefined> }[];
}

let servers: Server[] = [];
afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  servers = [];
});

/** A loopback WebSocket server; `refuse` answers the upgrade with an HTTP response instead. */
async function wsServer(
  options: { refuse?: { status: number; body: string }; onSocket?: (ws: WebSocket) => void } = {},
): Promise<TestServer> {
  const wss = new WebSocketServer({ noServer: true });
  const result: TestServer = { url: '', sockets: [], upgrades: [] };
  const server = createServer();
  server.on('upgrade', (req, socket, head) => {
    result.upgrades.push({ headers: req.headers });
    if (options.refuse) {
      const { status, body } = options.refuse;
      socket.end(
        `HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\nretry-after: 3\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      result.sockets.push(ws);
      options.onSocket?.(ws);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  servers.push(server);
  const address = server.address();
  result.url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/stream`;
  return result;
}

function context(): SessionContext & { signs: string[]; abort(): void } {
  const controller = new AbortController();
  const signs: string[] = [];
  return {
    signal: controller.signal,
    attempt: 0,
    alive: () => signs.push('alive'),
    data: () => signs.push('data'),
    onQuiet: () => {},
    signs,
    abort: () => controller.abort(),
  };
}

function spec(url: string, overrides: Partial<WsSessionSpec> = {}): WsSessionSpec {
  return {
    url,
    handshakeTimeoutMs: 5_000,
    refused: (a) => ({ kind: 'error', detail: `refused ${a.status}` }),
    message: () => {},
    closed: (code, reason) => ({ kind: 'closed', detail: `closed ${code} ${reason}` }),
    failed: (err) => ({ kind: 'error', detail: `failed: ${err.message}` }),
    ...overrides,
  };
}

describe('wsSession', () => {
  it('connects with the headers, hands over text frames as signs of life, and maps a close', async () => {
    const server = await wsServer({
      onSocket: (ws) => {
        ws.send('{"n":1}');
        ws.send(Buffer.from('raw'));
        setTimeout(() => ws.close(4000, 'bye\nnow'), 50);
      },
    });
    const ctx = context();
    const messages: string[] = [];
    const end = await wsSession(
      ctx,
      spec(server.url, {
        headers: () => ({ 'x-demo': 'signed' }),
        opened: () => ctx.signs.push('opened'),
        message: (text) => messages.push(text),
      }),
    );
    expect(end).toEqual({ kind: 'closed', detail: 'closed 4000 bye now' });
    expect(messages).toEqual(['{"n":1}', 'raw']);
    expect(ctx.signs).toEqual(['opened', 'alive', 'alive']);
    expect(server.upgrades[0]?.headers['x-demo']).toBe('signed');
  });

  it('on abort: ends as closed by the proxy and terminates the socket', async () => {
    let serverSaw: number | undefined;
    const server = await wsServer({ onSocket: (ws) => ws.on('close', (code) => (serverSaw = code)) });
    const ctx = context();
    const running = wsSession(ctx, spec(server.url, { opened: () => ctx.abort() }));
    expect(await running).toEqual({ kind: 'closed', detail: 'connection closed by the proxy' });
    await until(() => serverSaw !== undefined, 'the server to see the socket go');
    expect(serverSaw).toBe(1006);
  });

  it('returns at once when aborted before it starts', async () => {
    const ctx = context();
    ctx.abort();
    expect(await wsSession(ctx, spec('ws://127.0.0.1:1/x'))).toEqual({
      kind: 'closed',
      detail: 'connection closed by the proxy',
    });
  });

  it('reads a refused upgrade: status, headers and a capped body', async () => {
    const body = JSON.stringify({ error: 'nope', pad: 'x'.repeat(10_000) });
    const server = await wsServer({ refuse: { status: 401, body } });
    let seen: HttpAnswer | undefined;
    const end = await wsSession(
      context(),
      spec(server.url, {
        refused: (a) => {
          seen = a;
          return { kind: 'auth', detail: 'refused' };
        },
      }),
    );
    expect(end).toEqual({ kind: 'auth', detail: 'refused' });
    expect(seen?.status).toBe(401);
    expect(seen?.headers.get('retry-after')).toBe('3');
    expect(seen?.text).toHaveLength(MAX_REFUSAL_BYTES);
    expect(seen?.json).toBeUndefined();
  });

  it('parses a small refusal body as JSON', async () => {
    const server = await wsServer({ refuse: { status: 404, body: '{"error":"Not Found"}' } });
    let json: unknown;
    await wsSession(
      context(),
      spec(server.url, {
        refused: (a) => {
          json = a.json;
          return refusalEnd(classifyRefusal(a, words));
        },
      }),
    );
    expect(json).toEqual({ error: 'Not Found' });
  });

  it('settles once: the first end wins, later events are ignored', async () => {
    const server = await wsServer({ onSocket: (ws) => ws.send('x') });
    const end = await wsSession(
      context(),
      spec(server.url, {
        message: (_text, link) => {
          link.end({ kind: 'error', detail: 'first' });
          link.end({ kind: 'closed', detail: 'second' });
          expect(link.ended).toBe(true);
        },
      }),
    );
    expect(end).toEqual({ kind: 'error', detail: 'first' });
  });

  it('refuses a frame larger than maxPayload', async () => {
    const server = await wsServer({ onSocket: (ws) => ws.send('y'.repeat(2_000)) });
    const end = await wsSession(context(), spec(server.url, { maxPayload: 1_000 }));
    expect(end.kind).toBe('error');
    expect(end.detail).toMatch(/^failed: .*[Mm]ax payload size exceeded/);
  });

  it('maps a connection failure, and redacts every detail', async () => {
    const server = await wsServer();
    const port = new URL(server.url).port;
    const closed = servers.pop();
    closed?.close();
    await pause(20);
    const end = await wsSession(
      context(),
      spec(`ws://127.0.0.1:${port}/stream?token=s3cret`, {
        failed: (err) => ({ kind: 'error', detail: `${err.message} at ?token=s3cret` }),
        redact: (detail) => detail.replaceAll('s3cret', '***'),
      }),
    );
    expect(end.kind).toBe('error');
    expect(end.detail).toContain('?token=***');
    expect(end.detail).not.toContain('s3cret');
  });

  it('clears the handshake credentials from a refusal the exchange echoes, whoever words the end', async () => {
    const token = 'example-token-0123456789abcdef';
    const server = await wsServer({ refuse: { status: 401, body: `{"error":"token ${token} expired"}` } });
    const viaKit = await wsSession(
      context(),
      spec(server.url, {
        headers: () => ({ authorization: `Bearer ${token}` }),
        refused: (a) => refusalEnd(classifyRefusal(a, words)),
      }),
    );
    expect(viaKit.detail).toBe(
      'Demo refused the credentials (HTTP 401 "token *** expired"): check apiKey and apiSecret',
    );
    const ownWords = await wsSession(
      context(),
      spec(server.url, {
        headers: () => ({ authorization: `Bearer ${token}` }),
        refused: (a) => ({ kind: 'auth', detail: `refused: ${a.text}` }),
      }),
    );
    expect(ownWords.detail).toBe('refused: {"error":"token *** expired"}');
  });

  it.each([
    [
      'opened',
      {
        opened: () => {
          throw new Error('boom');
        },
      },
      'starting the session failed: boom',
    ],
    [
      'message',
      {
        message: () => {
          throw new Error('boom');
        },
      },
      'handling a message failed: boom',
    ],
    [
      'a timer',
      {
        opened: (link: Parameters<NonNullable<WsSessionSpec['opened']>>[0]) =>
          link.after(5, () => {
            throw new Error('boom');
          }),
      },
      'a timer failed: boom',
    ],
    [
      'closed',
      {
        closed: () => {
          throw new Error('boom');
        },
      },
      'reading the close failed: boom',
    ],
  ] as [string, Partial<WsSessionSpec>, string][])(
    'a throwing %s handler ends the session as an error',
    async (_name, handlers, detail) => {
      const server = await wsServer({
        onSocket: (ws) => {
          ws.send('x');
          setTimeout(() => ws.close(4000, 'bye'), 40);
        },
      });
      expect(await wsSession(context(), spec(server.url, handlers))).toEqual({ kind: 'error', detail });
    },
  );

  it('a throwing refused handler ends the session as an error, with no unhandled rejection', async () => {
    const server = await wsServer({ refuse: { status: 401, body: '{}' } });
    const end = await wsSession(
      context(),
      spec(server.url, {
        refused: () => {
          throw new Error('boom');
        },
      }),
    );
    expect(end).toEqual({ kind: 'error', detail: 'reading the refusal failed: boom' });
  });

  it('runs timers until the end, and holds the lock from signing until the upgrade is answered', async () => {
    const server = await wsServer();
    const lock = new KeyedLock();
    const events: string[] = [];
    let ticks = 0;
    const ctx = context();
    const end: Promise<SessionEnd> = wsSession(
      ctx,
      spec(server.url, {
        lock: (signal) => lock.acquire('key', signal),
        headers: () => {
          events.push(`signed while held: ${String(lock.isHeld('key'))}`);
          return {};
        },
        opened: (link) => {
          events.push(`opened, held: ${String(lock.isHeld('key'))}`);
          link.every(10, () => (ticks += 1));
          link.after(60, () => link.end({ kind: 'closed', detail: 'done' }));
        },
      }),
    );
    expect(await end).toEqual({ kind: 'closed', detail: 'done' });
    expect(events).toEqual(['signed while held: true', 'opened, held: false']);
    const after = ticks;
    expect(after).toBeGreaterThan(0);
    await pause(50);
    expect(ticks).toBe(after);
  });
});
