// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { T0, bucket, history } from '../components/history/fixtures.ts';
import { HistoryHttpError, fetchHistory, historyKeys, historyUrl, useHistory } from './useHistory.ts';

afterEach(() => vi.unstubAllGlobals());

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

    const bad = { error: 'maxPoints must be a whole number from 2 to 1000, got "1"' };
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify(bad), { status: 400 })),
    );
    const error = await fetchHistory('valr-1', { kind: 'preset', preset: 'all' }, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryHttpError);
    expect((error as HistoryHttpError).status).toBe(400);
    expect((error as Error).message).toBe(`history: ${bad.error} (HTTP 400)`);

    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('gateway down', { status: 502 })),
    );
    await expect(fetchHistory('valr-1', { kind: 'preset', preset: 'all' }, 10)).rejects.toThrow(
      'history: HTTP 502',
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
    expect(result.current.error?.message).toBe('history: unknown account "x" (HTTP 404)');
  });
});
