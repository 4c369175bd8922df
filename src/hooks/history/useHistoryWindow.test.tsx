// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOW, T0, bucket, history } from '../../contract/testing/history.ts';
import { AlertStoresProvider } from '../alert-stores-context.tsx';
import { HOUR_MS } from './model.ts';
import { MIN_ZOOM_MS, edgeStepMs, useHistoryWindow } from './useHistoryWindow.ts';

beforeEach(() => {
  // Ranges end at now: pin the wall clock to the fixtures' day, whatever day the tests run.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      const body = url.includes('/history')
        ? history([bucket(T0, '2.4000'), bucket(T0 + 60_000, '2.3000')])
        : { alerts: [], nextBefore: null };
      return new Response(JSON.stringify(body), { status: 200 });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function wrapper({ children }: { children: ReactNode }) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <AlertStoresProvider>{children}</AlertStoresProvider>
    </QueryClientProvider>
  );
}

describe('edgeStepMs', () => {
  it('moves the right edge about 1/200 of the span, between 5 s and 10 min', () => {
    expect(edgeStepMs(HOUR_MS)).toBe(18_000);
    expect(edgeStepMs(0)).toBe(5_000);
    expect(edgeStepMs(365 * 24 * HOUR_MS)).toBe(600_000);
  });
});

describe('useHistoryWindow', () => {
  async function opened() {
    const hook = renderHook(() => useHistoryWindow('valr-1', null, '24h'), { wrapper });
    await waitFor(() => expect(hook.result.current.opened).toBe(true));
    return hook;
  }

  it('opens on the smallest preset that holds the data, ending at now', async () => {
    const { result } = await opened();
    expect(result.current.range).toEqual({ kind: 'preset', preset: '24h' });
    expect(result.current.homePreset).toBe('24h');
    expect(result.current.xTo).toBeLessThanOrEqual(NOW);
    expect(result.current.xTo - result.current.xFrom).toBe(24 * HOUR_MS);
  });

  it('takes a drag shorter than MIN_ZOOM_MS for a click, and a longer one for a window', async () => {
    const { result } = await opened();
    act(() => result.current.zoomToWindow(T0 + 1000, T0 + 1000 + MIN_ZOOM_MS - 1));
    expect(result.current.range.kind).toBe('preset');
    act(() => result.current.zoomToWindow(T0 + HOUR_MS, T0));
    expect(result.current.range).toEqual({ kind: 'window', from: T0, to: T0 + HOUR_MS });
  });

  it('pans and zooms without reaching past now, and goes back to the preset it opened on', async () => {
    const { result } = await opened();
    act(() => result.current.zoomToWindow(T0, T0 + HOUR_MS));
    act(() => result.current.zoomBy(1, 100));
    const range = result.current.range;
    expect(range.kind === 'window' && range.to <= NOW && range.to - range.from === HOUR_MS).toBe(true);
    act(() => result.current.zoomBy(0));
    const narrow = result.current.range;
    expect(narrow.kind === 'window' && narrow.to - narrow.from).toBe(MIN_ZOOM_MS);
    expect(result.current.canZoomIn).toBe(false);
    act(() => result.current.showPreset(result.current.homePreset));
    expect(result.current.range).toEqual({ kind: 'preset', preset: '24h' });
  });
});
