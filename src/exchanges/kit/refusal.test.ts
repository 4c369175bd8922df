// Reading a refused request: one line of the exchange's words, and the same classification for every exchange.
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { httpGet } from './http-client.ts';
import { classifyRefusal, type HttpAnswer, oneLine, refusalEnd, type RefusalWords } from './refusal.ts';
import { closeAfterTest } from './testing/session-harness.ts';

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
    closeAfterTest({
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
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
