// Tests of the upstream kit's session pieces: frames, HTTP refusals, the WebSocket session skeleton, the
// per-key lock and the signing helpers.
import { createServer, type Server } from 'node:http';
import { httpGet } from './http-client.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccountConfig } from '../exchanges/server-types.ts';
import { pause, until } from './testing/session-harness.ts';
import {
  KeyedLock,
  MAX_REFUSAL_BYTES,
  classifyRefusal,
  decodeFrame,
  frameText,
  oneLine,
  refusalEnd,
  requestPathOf,
  requiredCredential,
  scaled,
  wsSession,
  type HttpAnswer,
  type RefusalWords,
  type SessionContext,
  type SessionEnd,
  type WsSessionSpec,
} from './upstream-kit.ts';

describe('scaled', () => {
  it.each([
    [20_000, 0.05, 1_000],
    [15_000, undefined, 15_000],
    [10, 0.01, 5],
    [333, 0.5, 167],
  ])('%i ms × %s = %i ms (never below 5 ms)', (ms, scale, expected) => {
    expect(scaled(ms, scale)).toBe(expected);
  });
});

describe('frameText and decodeFrame', () => {
  it.each([
    ['a string', '{"a":1}'],
    ['a Buffer', Buffer.from('{"a":1}')],
    ['fragments', [Buffer.from('{"a"'), Buffer.from(':1}')]],
    ['an ArrayBuffer', new Uint8Array(Buffer.from('{"a":1}')).buffer],
  ])('reads %s as UTF-8 text', (_name, data) => {
    expect(frameText(data)).toBe('{"a":1}');
  });

  it('decodes JSON, and keeps anything else as the raw text', () => {
    expect(decodeFrame('{"a":[1,"2"]}')).toEqual({ a: [1, '2'] });
    expect(decodeFrame('{"a":')).toBe('{"a":');
    expect(decodeFrame('')).toBe('');
  });
});

describe('oneLine', () => {
  it('flattens white space and caps the length', () => {
    expect(oneLine('  a\n\t b  ')).toBe('a b');
    expect(oneLine('x'.repeat(10), 4)).toBe('xxxx…');
  });
});

function answer(status: number, body: unknown = '', headers: Record<string, string> = {}): HttpAnswer {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers: new Headers(headers), text, json: typeof body === 'string' ? undefined : body };
}

const words: RefusalWords = {
  exchange: 'Demo',
  said: (a) =>
    typeof a.json === 'object' && a.json !== null && 'error' in a.json ? String(a.json.error) : '',
  authHint: 'check apiKey and apiSecret',
};

describe('classifyRefusal', () => {
  it.each([
    [
      401,
      { error: 'bad key' },
      {},
      {
        kind: 'auth',
        detail: 'Demo refused the credentials (HTTP 401 "bad key"): check apiKey and apiSecret',
      },
    ],
    [
      403,
      '',
      {},
      { kind: 'auth', detail: 'Demo refused the credentials (HTTP 403): check apiKey and apiSecret' },
    ],
    [404, '<html>', {}, { kind: 'fatal', detail: "Demo answered HTTP 404: check the account's endpoints" }],
    [409, { error: 'clock' }, {}, { kind: 'retry', detail: 'Demo answered HTTP 409 "clock"' }],
    [
      429,
      '',
      { 'retry-after': '7' },
      { kind: 'retry', detail: 'Demo rate limit reached (HTTP 429)', retryAfterMs: 7_000 },
    ],
    [429, '', {}, { kind: 'retry', detail: 'Demo rate limit reached (HTTP 429)' }],
    [
      503,
      '',
      { 'retry-after': '2' },
      { kind: 'retry', detail: 'Demo answered HTTP 503', retryAfterMs: 2_000 },
    ],
    [500, { error: 'a\n  b' }, {}, { kind: 'retry', detail: 'Demo answered HTTP 500 "a b"' }],
    [302, '', {}, { kind: 'retry', detail: 'Demo answered with a redirect (HTTP 302), not followed' }],
  ])('HTTP %i %j', (status, body, headers, expected) => {
    expect(classifyRefusal(answer(status, body, headers), words)).toEqual(expected);
  });

  it('uses the hint for a 404, the rate-limit wait without Retry-After, and special readings first', () => {
    const custom: RefusalWords = {
      ...words,
      notFoundHint: 'check endpoints.rest',
      rateLimitWaitMs: () => 60_000,
      special: (a, said) =>
        a.status === 401 && said === 'stale' ? { kind: 'retry', detail: 'clock' } : undefined,
    };
    expect(classifyRefusal(answer(404), custom).detail).toBe('Demo answered HTTP 404: check endpoints.rest');
    expect(classifyRefusal(answer(429), custom)).toEqual({
      kind: 'retry',
      detail: 'Demo rate limit reached (HTTP 429)',
      retryAfterMs: 60_000,
    });
    expect(classifyRefusal(answer(401, { error: 'stale' }), custom)).toEqual({
      kind: 'retry',
      detail: 'clock',
    });
    expect(classifyRefusal(answer(401, { error: 'other' }), custom).kind).toBe('auth');
  });

  it('removes from its detail the credential headers the request sent, when the exchange echoes them', async () => {
    const signature = 'f00dfeedcafebabe0123456789abcdef';
    const server = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `bad signature ${String(req.headers['x-sig'])} for key k-1` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const result = await httpGet(new URL(`http://127.0.0.1:${port}/x`), { 'x-sig': signature });
    const refusal = classifyRefusal(result, words);
    expect(refusal).toEqual({
      kind: 'auth',
      detail:
        'Demo refused the credentials (HTTP 401 "bad signature *** for key k-1"): check apiKey and apiSecret',
    });
    const special = classifyRefusal(result, {
      ...words,
      special: (_a, said) => ({ kind: 'fatal', detail: said }),
    });
    expect(special.detail).toBe('bad signature *** for key k-1');
  });

  it('refusalEnd: a retry ends a session as an error; auth and fatal stay', () => {
    expect(refusalEnd({ kind: 'retry', detail: 'x', retryAfterMs: 5 })).toEqual({
      kind: 'error',
      detail: 'x',
    });
    expect(refusalEnd({ kind: 'fatal', detail: 'y' })).toEqual({ kind: 'fatal', detail: 'y' });
    expect(refusalEnd({ kind: 'auth', detail: 'z' })).toEqual({ kind: 'auth', detail: 'z' });
  });
});

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

describe('KeyedLock', () => {
  it('grants one holder per key, in the order asked; other keys run alongside', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        order.push(`${name}+`);
        await pause(ms);
        order.push(`${name}-`);
        return name;
      });
    const results = await Promise.all([
      job('a', 'a1', 30),
      job('a', 'a2', 1),
      job('a', 'a3', 1),
      job('b', 'b1', 1),
    ]);
    expect(results).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(order.filter((e) => e.startsWith('a'))).toEqual(['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
    expect(order.indexOf('b1-')).toBeLessThan(order.indexOf('a1-'));
    expect(lock.isHeld('a')).toBe(false);
  });

  it('releases after a failing task', async () => {
    const lock = new KeyedLock();
    await expect(lock.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.run('k', async () => 'next')).toBe('next');
  });

  it('a waiter whose signal aborts gets null and leaves the queue', async () => {
    const lock = new KeyedLock();
    const release = await lock.acquire('k');
    const controller = new AbortController();
    const waiting = lock.acquire('k', controller.signal);
    controller.abort();
    expect(await waiting).toBeNull();
    await expect(lock.run('k', async () => 1, controller.signal)).rejects.toThrow('stopped');
    release?.();
    release?.();
    expect(lock.isHeld('k')).toBe(false);
    expect(await lock.run('k', async () => 'free')).toBe('free');
  });
});

describe('signing helpers', () => {
  it.each([
    ['https://api.bitso.com/margin_trading/v1alpha/account', '/margin_trading/v1alpha/account'],
    [
      'https://api.bitso.com/margin_trading/v1alpha/movements?page_size=50&page_token=abc',
      '/margin_trading/v1alpha/movements?page_size=50&page_token=abc',
    ],
    ['http://127.0.0.1:4000/margin_trading/v1alpha/loans?', '/margin_trading/v1alpha/loans'],
    [
      'https://api.valr.com/v1/account/balances?excludeZeroBalances=true',
      '/v1/account/balances?excludeZeroBalances=true',
    ],
  ])('requestPathOf(%s) = %s', (url, path) => {
    expect(requestPathOf(new URL(url))).toBe(path);
  });

  it('requiredCredential names a missing field, never a value', () => {
    const account: AccountConfig = {
      id: 'acc-1',
      exchange: 'demo',
      label: 'Demo',
      credentials: { apiKey: 'k', apiSecret: '' },
      endpoints: { rest: 'https://example.invalid' },
      pollSeconds: 5,
      options: {},
    };
    expect(requiredCredential(account, 'apiKey')).toBe('k');
    expect(() => requiredCredential(account, 'apiSecret')).toThrow(
      'account acc-1: credentials.apiSecret is missing',
    );
    expect(() => requiredCredential(account, 'identity')).toThrow(
      'account acc-1: credentials.identity is missing',
    );
  });
});
