import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, HttpError, retryAfterMs } from './http-client.ts';

let server: Server;
let base: string;
const seenHeaders: Record<string, string | string[] | undefined>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenHeaders.push(req.headers);
    if (req.url === '/json') return res.end('{"a":"1.50"}');
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/json' });
      return res.end();
    }
    if (req.url === '/big') return res.end('x'.repeat(5000));
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 500);
    res.writeHead(404);
    res.end('not json');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('httpGet', () => {
  it('returns status, text and parsed JSON, sending the given headers', async () => {
    const r = await httpGet(new URL(`${base}/json`), { 'x-test': 'yes' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ a: '1.50' });
    expect(seenHeaders.at(-1)?.['x-test']).toBe('yes');
  });
  it('does not follow redirects', async () => {
    const r = await httpGet(new URL(`${base}/redirect`), {});
    expect(r.status).toBe(302);
  });
  it('leaves json undefined for non-JSON bodies', async () => {
    const r = await httpGet(new URL(`${base}/missing`), {});
    expect(r.status).toBe(404);
    expect(r.json).toBeUndefined();
    expect(r.text).toBe('not json');
  });
  it('caps the body size', async () => {
    await expect(httpGet(new URL(`${base}/big`), {}, { maxBytes: 1000 })).rejects.toMatchObject({
      reason: 'too-large',
    });
  });
  it('times out', async () => {
    const err: unknown = await httpGet(new URL(`${base}/slow`), {}, { timeoutMs: 50 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).reason).toBe('timeout');
  });
  it('reports unreachable hosts as network errors', async () => {
    const err: unknown = await httpGet(new URL('http://127.0.0.1:1/'), {}).catch((e: unknown) => e);
    expect((err as HttpError).reason).toBe('network');
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '7' }))).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});
