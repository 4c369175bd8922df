// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { T0, bucket, history, liveSnapshot } from '../contract/testing/history.ts';
import type { HistoryData } from './history/model.ts';
import type { MarginSnapshot } from '../domain/model.ts';
import { MarginStores } from '../stores/margin-stores.ts';
import { ApiError } from '../transport/http.ts';
import { MarginStoresProvider } from './stores-context.tsx';
import {
  LIVE_APPEND_MS,
  fetchHistory,
  historyKeys,
  historyUrl,
  useHistory,
  useLiveHistory,
} from './useHistory.ts';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('historyKeys', () => {
  it('nests range keys under the account and everything under history', () => {
    const preset = historyKeys.range('valr-1', { kind: 'preset', preset: '7d' }, 1000);
    const window = historyKeys.range('valr-1', { kind: 'window', from: 10, to: 20 }, 500);
    expect(preset).toEqual(['history', 'valr-1', '7d', 1000]);
    expect(window).toEqual(['history', 'valr-1', '10-20', 500]);
    expect(preset.slice(0, 2)).toEqual(historyKeys.account('valr-1'));
    expect(historyKeys.account('valr-1').slice(0, 1)).toEqual(historyKeys.all);
  });
});

describe('historyUrl', () => {
  const cases: [string, Parameters<typeof historyUrl>, string][] = [
    [
      'a preset ending now',
      ['valr-1', { kind: 'preset', preset: '1h' }, 1000, 10_000_000],
      'from=6400000&maxPoints=1000',
    ],
    ['everything', ['valr-1', { kind: 'preset', preset: 'all' }, 1000, 10_000_000], 'maxPoints=1000'],
    [
      'a zoomed window',
      ['valr-1', { kind: 'window', from: 1.5, to: 99.2 }, 800, 0],
      'from=1&to=100&maxPoints=800',
    ],
    ['an id that needs escaping', ['a/b c', { kind: 'preset', preset: 'all' }, 10, 0], 'maxPoints=10'],
  ];
  it.each(cases)('%s', (_, args, query) => {
    expect(historyUrl(...args)).toBe(`/api/accounts/${encodeURIComponent(args[0])}/history?${query}`);
  });
});

describe('fetchHistory', () => {
  it('validates the body and reports the proxy’s message on errors', async () => {
    const body = history([bucket(T0, '1.7')]);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify(body))),
    );
    await expect(fetchHistory('valr-1', { kind: 'preset', preset: 'all' }, 1000)).resolves.toEqual(body);
    // The proxy refuses API requests without this header (no other site can add it).
    expect(vi.mocked(fetch).mock.calls[0]?.[1]?.headers).toMatchObject({ 'x-margin-watch': '1' });

    const bad = { error: 'maxPoints must be a whole number from 2 to 1000, got "1"' };
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify(bad), { status: 400 })),
    );
    const error = await fetchHistory('valr-1', { kind: 'preset', preset: 'all' }, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as Error).message).toBe(`HTTP 400: ${bad.error}`);

    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('gateway down', { status: 502 })),
    );
    await expect(fetchHistory('valr-1', { kind: 'preset', preset: 'all' }, 10)).rejects.toThrow(
      'HTTP 502: gateway down',
    );

    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ ...body, buckets: [{ start: 'x' }] }))),
    );
    await expect(fetchHistory('valr-1', { kind: 'preset', preset: 'all' }, 10)).rejects.toThrow(
      'unexpected history response at buckets.0.start',
    );
  });
});

describe('useHistory', () => {
  it('asks for a preset ending at the proxy’s now, not the browser’s', async () => {
    const fetchMock = vi.fn(async (_url: string) => new Response(JSON.stringify(history([]))));
    vi.stubGlobal('fetch', fetchMock);
    const stores = new MarginStores();
    const offset = 2 * 3_600_000;
    stores.frameReceived({ type: 'ping', at: Date.now() + offset });
    const client = new QueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>
        <MarginStoresProvider stores={stores}>{children}</MarginStoresProvider>
      </QueryClientProvider>
    );
    const { result } = renderHook(() => useHistory('x', { kind: 'preset', preset: '1h' }), { wrapper });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    const from = Number(new URL(`http://x${fetchMock.mock.calls[0]?.[0] ?? ''}`).searchParams.get('from'));
    expect(Math.abs(from - (Date.now() + offset - 3_600_000))).toBeLessThan(5_000);
    stores.dispose();
  });

  it('does not retry a 404', async () => {
    const fetchMock = vi.fn(async () => new Response('{"error":"unknown account \\"x\\""}', { status: 404 }));
    vi.stubGlobal('fetch', fetchMock);
    const client = new QueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    );
    const { result } = renderHook(() => useHistory('x', { kind: 'preset', preset: '1h' }), { wrapper });
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(fetchMock).toHaveBeenCalledOnce();
    expect(result.current.error?.message).toBe('HTTP 404: unknown account "x"');
  });
});

describe('useLiveHistory', () => {
  const RANGE = { kind: 'preset', preset: '24h' } as const;
  const keyOf = (accountId: string) => historyKeys.range(accountId, RANGE, 96);

  function snapshot(accountId: string, time: number, text: string): MarginSnapshot {
    return liveSnapshot(time, text, { accountId });
  }

  interface Live {
    a: MarginSnapshot | null;
    b: MarginSnapshot | null;
  }

  function setup() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const client = new QueryClient();
    for (const id of ['a', 'b']) {
      client.setQueryData(keyOf(id), history([bucket(T0, '2.4000')], { accountId: id }));
    }
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    );
    const nothingYet: Live = { a: null, b: null };
    const hook = renderHook(
      ({ a, b }: Live) => {
        useLiveHistory('a', RANGE, 96, a);
        useLiveHistory('b', RANGE, 96, b);
      },
      { wrapper, initialProps: nothingYet },
    );
    const lastLevels = () =>
      ['a', 'b'].map((id) => client.getQueryData<HistoryData>(keyOf(id))?.buckets.at(-1)?.last.text);
    return { hook, lastLevels };
  }

  it('folds the snapshots of every account on one shared timer, LIVE_APPEND_MS after the first', async () => {
    const { hook, lastLevels } = setup();
    hook.rerender({ a: snapshot('a', T0 + 600_000, '1.9000'), b: null });
    await act(async () => {
      vi.advanceTimersByTime(400);
    });
    hook.rerender({ a: snapshot('a', T0 + 600_000, '1.9000'), b: snapshot('b', T0 + 600_400, '1.8000') });
    await act(async () => {
      vi.advanceTimersByTime(LIVE_APPEND_MS - 401);
    });
    expect(lastLevels()).toEqual(['2.4000', '2.4000']);
    await act(async () => {
      vi.advanceTimersByTime(1);
    });
    expect(lastLevels()).toEqual(['1.9000', '1.8000']);
  });

  it('drops what is waiting when the charts go away', async () => {
    const { hook, lastLevels } = setup();
    hook.rerender({ a: snapshot('a', T0 + 600_000, '1.9000'), b: snapshot('b', T0 + 600_000, '1.8000') });
    hook.unmount();
    await act(async () => {
      vi.advanceTimersByTime(LIVE_APPEND_MS);
    });
    expect(lastLevels()).toEqual(['2.4000', '2.4000']);
  });
});
