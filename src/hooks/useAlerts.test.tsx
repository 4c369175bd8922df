// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeAlert } from '../contract/testing/alerts.ts';
import { useAlertMarkers } from './useAlerts.ts';

afterEach(() => {
  vi.unstubAllGlobals();
});

const HOUR = 3_600_000;

describe('useAlertMarkers', () => {
  it('does not refetch when a live sample moves the range; filters what it has instead', async () => {
    const t0 = 1_763_700_000_000;
    const alerts = [makeAlert(1, t0 + 1000), makeAlert(2, t0 + 5000), makeAlert(3, t0 + 9000)];
    const fetchMock = vi.fn(
      async (_url: string) => new Response(JSON.stringify({ alerts, nextBefore: null }), { status: 200 }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    );
    const { result, rerender } = renderHook(
      ({ from, to }: { from: number; to: number }) =>
        useAlertMarkers('bitso-demo', { key: '24h', from }, { from, to }),
      { wrapper, initialProps: { from: t0, to: t0 + 10_000 } },
    );
    await waitFor(() => expect(result.current.map((m) => m.id)).toEqual(['a1', 'a2', 'a3']));
    // Every live sample slides the preset a little.
    for (let i = 1; i <= 10; i += 1) rerender({ from: t0 + i * 600, to: t0 + 10_000 + i * 600 });
    expect(result.current.map((m) => m.id)).toEqual(['a3']);
    await new Promise((r) => setTimeout(r, 50));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // The request starts at the whole hour before the range.
    const url = new URL(`http://x${fetchMock.mock.calls[0]?.[0] ?? ''}`);
    expect(Number(url.searchParams.get('from'))).toBe(Math.floor(t0 / HOUR) * HOUR);
  });

  it('keeps the markers it has while another range loads (no blink)', async () => {
    const t0 = 1_763_700_000_000;
    let answer: (r: Response) => void = () => {};
    const fetchMock = vi
      .fn<(url: string) => Promise<Response>>()
      .mockResolvedValueOnce(
        new Response(JSON.stringify({ alerts: [makeAlert(1, t0 + 1000)], nextBefore: null })),
      )
      .mockImplementationOnce(() => new Promise<Response>((resolve) => (answer = resolve)));
    vi.stubGlobal('fetch', fetchMock);
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    );
    const { result, rerender } = renderHook(
      ({ key }: { key: string }) =>
        useAlertMarkers('bitso-demo', { key, from: t0 }, { from: t0, to: t0 + 10_000 }),
      { wrapper, initialProps: { key: '24h' } },
    );
    await waitFor(() => expect(result.current).toHaveLength(1));
    rerender({ key: '7d' });
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    expect(result.current.map((m) => m.id)).toEqual(['a1']);
    answer(new Response(JSON.stringify({ alerts: [], nextBefore: null })));
    await waitFor(() => expect(result.current).toEqual([]));
  });
});
