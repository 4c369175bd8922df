import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT, SLACK_URL, TELEGRAM_URL } from './testing/webhooks.ts';
import {
  createWebhookDispatcher,
  redactUrl,
  type WebhookConfig,
  type WebhookDispatcherOptions,
} from './webhooks.ts';

describe('status', () => {
  it('shows only scheme and host of a URL', () => {
    expect(redactUrl(TELEGRAM_URL)).toBe('https://api.telegram.org');
    expect(redactUrl('http://127.0.0.1:5301/a/b?c=d')).toBe('http://127.0.0.1:5301');
    expect(redactUrl('nonsense')).toBe('invalid URL');
  });
});

type Answer =
  number | 'hang' | 'refused' | { status: number; body?: string; headers?: Record<string, string> };

interface Call {
  url: string;
  body: string;
  at: number;
}

function fakeFetch(answers: Answer[]) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push({ url, body: typeof init?.body === 'string' ? init.body : '', at: Date.now() });
    const answer = answers.shift() ?? 200;
    if (answer === 'refused') {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      });
    }
    if (answer === 'hang') {
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    }
    const spec = typeof answer === 'number' ? { status: answer } : answer;
    const body = spec.status === 204 ? null : (spec.body ?? '');
    return new Response(body, { status: spec.status, headers: spec.headers });
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

function dispatcher(
  webhooks: WebhookConfig[],
  answers: Answer[],
  extra: Partial<WebhookDispatcherOptions> = {},
) {
  const fetch = fakeFetch(answers);
  const lines: string[] = [];
  const log = {
    info: (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f)}`),
    warn: (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f)}`),
    error: (msg: string, f?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(f)}`),
  };
  const d = createWebhookDispatcher({ webhooks, fetch: fetch.fn, random: () => 0.5, log, ...extra });
  return { d, calls: fetch.calls, lines };
}

const GENERIC: WebhookConfig = { url: 'http://127.0.0.1:5301/hook/secret-path-segment', format: 'generic' };

describe('delivery', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('posts JSON once and reports the webhook ok', async () => {
    const { d, calls } = dispatcher([GENERIC], [204]);
    d.deliver(EVENT);
    await d.idle();
    expect(calls.map((c) => c.url)).toEqual([GENERIC.url]);
    expect(d.status()).toEqual([
      {
        index: 0,
        target: 'http://127.0.0.1:5301',
        format: 'generic',
        state: 'ok',
        lastError: null,
        lastAttemptAt: 1_000_000,
        lastSuccessAt: 1_000_000,
        delivered: 1,
        failed: 0,
        queued: 0,
      },
    ]);
  });

  it('retries with exponential backoff (5 s, 10 s …) and succeeds', async () => {
    const { d, calls } = dispatcher([GENERIC], [500, 'refused', 200]);
    d.deliver(EVENT);
    await vi.advanceTimersByTimeAsync(0);
    expect(d.status()[0]?.state).toBe('retrying');
    expect(d.status()[0]?.lastError).toBe('HTTP 500');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(d.status()[0]?.lastError).toBe('network error (ECONNREFUSED)');
    await vi.advanceTimersByTimeAsync(10_000);
    await d.idle();
    expect(calls.map((c) => c.at - 1_000_000)).toEqual([0, 5_000, 15_000]);
    expect(d.status()[0]).toMatchObject({ state: 'ok', delivered: 1, lastError: null });
  });

  it('gives up after 5 attempts within about 2 minutes, marks the webhook failing, then tries new alerts once', async () => {
    const { d, calls, lines } = dispatcher(
      [GENERIC],
      [503, 503, 503, 503, { status: 503, body: 'try later' }, 503],
    );
    d.deliver(EVENT);
    await vi.advanceTimersByTimeAsync(5_000 + 10_000 + 20_000 + 40_000);
    await d.idle();
    expect(calls.map((c) => c.at - 1_000_000)).toEqual([0, 5_000, 15_000, 35_000, 75_000]);
    expect(d.status()[0]).toMatchObject({ state: 'failing', lastError: 'HTTP 503: try later', failed: 1 });
    d.deliver({ ...EVENT, id: 'a2' });
    await vi.advanceTimersByTimeAsync(300_000);
    await d.idle();
    expect(calls).toHaveLength(6);
    expect(d.status()[0]).toMatchObject({ state: 'failing', failed: 2 });
    expect(lines.join('\n')).not.toContain('secret-path-segment');
  });

  it('does not retry a client error, and recovers from failing on the next success', async () => {
    const { d, calls } = dispatcher([GENERIC], [404, 200]);
    d.deliver(EVENT);
    await d.idle();
    expect(calls).toHaveLength(1);
    expect(d.status()[0]).toMatchObject({ state: 'failing', lastError: 'HTTP 404' });
    d.deliver(EVENT);
    await d.idle();
    expect(d.status()[0]).toMatchObject({ state: 'ok', lastError: null, delivered: 1 });
  });

  it('times out a hanging request and honours Retry-After', async () => {
    const { d, calls } = dispatcher(
      [GENERIC],
      ['hang', { status: 429, headers: { 'retry-after': '30' } }, 200],
      { timeoutMs: 2_000 },
    );
    d.deliver(EVENT);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(d.status()[0]?.lastError).toBe('no answer within 2 s');
    // Retry-After 30 s plus up to 20 % at random (here 10 %), so webhooks told to wait do not return in step.
    await vi.advanceTimersByTimeAsync(5_000 + 33_000);
    await d.idle();
    expect(calls.map((c) => c.at - 1_000_000)).toEqual([0, 7_000, 40_000]);
    expect(d.status()[0]?.state).toBe('ok');
  });

  it('never shows the URL or its secret parts in status, even when the server echoes them', async () => {
    const echo = `bad token 123456:FAKE-token-not-real at ${TELEGRAM_URL}`;
    const { d } = dispatcher([{ url: TELEGRAM_URL, format: 'telegram' }], [{ status: 401, body: echo }]);
    d.deliver(EVENT);
    await d.idle();
    const text = JSON.stringify(d.status());
    expect(text).not.toContain('FAKE-token');
    expect(text).not.toContain('1001234');
    expect(d.status()[0]?.lastError).toBe('HTTP 401: bad token *** at ***');
  });

  it('delivers to every webhook, in order per webhook', async () => {
    const other: WebhookConfig = { url: SLACK_URL, format: 'slack' };
    const { d, calls } = dispatcher([GENERIC, other], [500, 200, 200, 200]);
    d.deliver(EVENT);
    d.deliver({ ...EVENT, id: 'a2', kind: 'recovered' });
    await vi.advanceTimersByTimeAsync(10_000);
    await d.idle();
    const generic = calls
      .filter((c) => c.url === GENERIC.url)
      .map((c) => (JSON.parse(c.body) as { id: string }).id);
    expect(generic).toEqual(['a1', 'a1', 'a2']);
    expect(calls.filter((c) => c.url === SLACK_URL)).toHaveLength(2);
  });

  it('scrubs bodies with the given function and stops on close', async () => {
    const { d, calls } = dispatcher([GENERIC], ['hang'], {
      scrub: (t) => t.replace('Bitso', '***'),
    });
    d.deliver(EVENT);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls[0]?.body).toContain('***');
    await d.close();
    d.deliver(EVENT);
    expect(calls).toHaveLength(1);
    expect(d.status()[0]?.queued).toBe(0);
  });
});
