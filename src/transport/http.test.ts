import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApiError, getJson, getText, httpProblem, putJson } from './http.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

function answer(status: number, body: string): void {
  vi.stubGlobal(
    'fetch',
    vi.fn(() => Promise.resolve(new Response(body, { status }))),
  );
}

function lastInit(): RequestInit | undefined {
  return vi.mocked(fetch).mock.calls.at(-1)?.[1];
}

const pointSchema = z.object({ x: z.number() });

describe('httpProblem', () => {
  it.each([
    [
      'the proxy’s error text',
      404,
      '{"error":"unknown account \\"gone\\""}',
      'HTTP 404: unknown account "gone"',
    ],
    [
      'the start of a body that is not an error object',
      502,
      '<html>Bad gateway</html>',
      'HTTP 502: <html>Bad gateway</html>',
    ],
    ['JSON without an error text, as it came', 500, '{"message":"boom"}', 'HTTP 500: {"message":"boom"}'],
    ['the status alone for an empty body', 503, '  ', 'HTTP 503'],
  ])('says %s', (_name, status, body, expected) => {
    expect(httpProblem(status, body)).toBe(expected);
  });

  it('shows at most 300 characters of a body', () => {
    expect(httpProblem(500, 'x'.repeat(1000))).toBe(`HTTP 500: ${'x'.repeat(300)}`);
  });
});

describe('getJson', () => {
  it('sends the API header and returns the validated body', async () => {
    answer(200, '{"x":1}');
    await expect(getJson('/api/p', pointSchema)).resolves.toEqual({ x: 1 });
    expect(lastInit()?.headers).toMatchObject({ 'x-margin-watch': '1', accept: 'application/json' });
  });

  it('passes the abort signal on', async () => {
    answer(200, '{"x":1}');
    const controller = new AbortController();
    await getJson('/api/p', pointSchema, { signal: controller.signal });
    expect(lastInit()?.signal).toBe(controller.signal);
  });

  it('throws an ApiError with the status and the proxy’s words for an error status', async () => {
    answer(400, '{"error":"from must be a number"}');
    const error: unknown = await getJson('/api/p', pointSchema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).permanent).toBe(true);
    expect((error as ApiError).message).toBe('HTTP 400: from must be a number');
  });

  it('counts a 5xx as passing trouble', async () => {
    answer(502, '');
    const error = (await getJson('/api/p', pointSchema).catch((e: unknown) => e)) as ApiError;
    expect(error.permanent).toBe(false);
  });

  it('names the response and the first offending field of a body that does not match', async () => {
    answer(200, '{"x":"one"}');
    await expect(getJson('/api/p?a=1', pointSchema)).rejects.toThrow(/^unexpected \/api\/p response at x: /);
    answer(200, '{"x":"one"}');
    await expect(getJson('/api/p', pointSchema, { what: 'point' })).rejects.toThrow(
      /^unexpected point response at x: /,
    );
  });

  it('says when a body is not JSON', async () => {
    answer(200, '<html>');
    await expect(getJson('/api/p', pointSchema)).rejects.toThrow('unexpected /api/p response: not JSON');
  });

  it('reads with a contract parser when given one', async () => {
    answer(200, '[1,2]');
    await expect(getJson('/api/p', (json) => (Array.isArray(json) ? json.length : -1))).resolves.toBe(2);
  });
});

describe('putJson', () => {
  it('sends the body as JSON with the API header', async () => {
    answer(200, '{"x":2}');
    await expect(putJson('/api/p', { x: 2 }, pointSchema)).resolves.toEqual({ x: 2 });
    const init = lastInit();
    expect(init?.method).toBe('PUT');
    expect(init?.body).toBe('{"x":2}');
    expect(init?.headers).toMatchObject({ 'x-margin-watch': '1', 'content-type': 'application/json' });
  });
});

describe('getText', () => {
  it('returns the body as text, and an ApiError for an error status', async () => {
    answer(200, 'plain');
    await expect(getText('/api/p')).resolves.toBe('plain');
    answer(401, '{"error":"missing token"}');
    await expect(getText('/api/p')).rejects.toThrow('HTTP 401: missing token');
  });
});
