// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIVE_APPEND_MS } from '../../hooks/useHistory.ts';
import HistoryChart from './HistoryChart.tsx';
import { NOW, bucket, history, liveSnapshot } from './fixtures.ts';

let client: QueryClient;
let release: (() => void) | null = null;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  const body = history([bucket(NOW - 180_000, '2.4000'), bucket(NOW - 120_000, '2.3000')]);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      if (!url.includes('/history')) return new Response('[]', { status: 200 });
      // The history arrives after the first live fold was due.
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return new Response(JSON.stringify(body), { status: 200 });
    }),
  );
  client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  release = null;
});

function wrap(node: ReactNode) {
  return <QueryClientProvider client={client}>{node}</QueryClientProvider>;
}

describe('HistoryChart summary and live samples', () => {
  it('counts the live level shown in the headline even when it arrived before the history did', async () => {
    render(
      wrap(
        <HistoryChart
          accountId="valr-1"
          width={800}
          height={300}
          live={liveSnapshot(NOW - 5_000, '1.0400')}
        />,
      ),
    );
    await act(async () => {
      vi.advanceTimersByTime(LIVE_APPEND_MS * 2);
    });
    await act(async () => {
      release?.();
      await vi.advanceTimersByTimeAsync(LIVE_APPEND_MS * 2);
    });
    expect(screen.getByTestId('history-summary')).toHaveTextContent('1.0400 (Takeover)');
  });
});
