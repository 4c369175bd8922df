// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import { LIVE_APPEND_MS, historyKeys } from '../../hooks/useHistory.ts';
import HistoryChart from './HistoryChart.tsx';
import { NOW, T0, bucket, history, liveSnapshot, value } from '../../contract/testing/history.ts';
import type { HistoryData } from '../../hooks/history/model.ts';

function data(): HistoryData {
  return history([
    bucket(T0, '2.4000'),
    bucket(T0 + 60_000, '2.3000', { min: value('1.0400'), worstZone: 'takeover' }),
    bucket(T0 + 120_000, '2.5000'),
  ]);
}

let fetchMock: ReturnType<typeof vi.fn<(url: string) => Promise<Response>>>;
/** Requests for history (the chart also asks for alert markers). */
const historyCalls = (): string[] =>
  fetchMock.mock.calls.map((c) => c[0]).filter((u) => u.includes('/history'));
let client: QueryClient;

beforeEach(() => {
  // The chart's ranges end at now: pin the wall clock to the fixtures' day, whatever day the tests run.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  fetchMock = vi.fn(async () => new Response(JSON.stringify(data()), { status: 200 }));
  vi.stubGlobal('fetch', fetchMock);
  client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function wrap(node: ReactNode) {
  return <QueryClientProvider client={client}>{node}</QueryClientProvider>;
}

function snapshot(time: number, text: string): MarginSnapshot {
  return liveSnapshot(time, text, {
    totals: { currency: 'USDC', assets: dec('1000.5'), liabilities: dec('400'), decimals: 1 },
  });
}

describe('HistoryChart', () => {
  it('draws every risk band and labelled line even though the level never comes near them', async () => {
    const { container } = render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await screen.findByTestId('history-chart');
    expect(historyCalls()).toHaveLength(1);
    expect(historyCalls()[0]).toMatch(/^\/api\/accounts\/valr-1\/history\?from=\d+&maxPoints=1000$/);
    const fills = [
      ...container.querySelectorAll('.recharts-reference-area path, .recharts-reference-area rect'),
    ].map((el) => el.getAttribute('fill'));
    expect(fills).toEqual(['var(--safe)', 'var(--caution)', 'var(--liquidation)', 'var(--takeover)']);
    for (const label of ['Margin call 1.5', 'Liquidation 1.1', 'Takeover 1.05']) {
      expect(within(container).getByText(label)).toBeInTheDocument();
    }
    expect(screen.getByTestId('history-summary')).toHaveTextContent(
      'Lowest margin fraction in view: 1.0400 (Takeover) between 2026-11-20 10:01:01 UTC and 2026-11-20 10:01:59 UTC.',
    );
  });

  it('switches range with the buttons and says which is selected', async () => {
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await screen.findByTestId('history-chart');
    expect(screen.getByRole('button', { name: '24 h' })).toHaveAttribute('aria-pressed', 'true');
    const before = Date.now();
    fireEvent.click(screen.getByRole('button', { name: '7 d' }));
    await waitFor(() => expect(historyCalls()).toHaveLength(2));
    const from = Number(new URL(`http://x${historyCalls()[1] ?? ''}`).searchParams.get('from'));
    expect(Math.abs(before - 7 * 86_400_000 - from)).toBeLessThan(5_000);
    expect(screen.getByRole('button', { name: '7 d' })).toHaveAttribute('aria-pressed', 'true');
    fireEvent.click(screen.getByRole('button', { name: 'All' }));
    await waitFor(() => expect(historyCalls()).toHaveLength(3));
    expect(historyCalls()[2]).toBe('/api/accounts/valr-1/history?maxPoints=1000');
  });

  it('appends live samples to the chart without fetching again', async () => {
    const { rerender } = render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await screen.findByTestId('history-chart');
    const key = historyKeys.range('valr-1', { kind: 'preset', preset: '24h' }, 1000);
    const last = data().buckets[2]?.lastAt ?? 0;
    rerender(
      wrap(
        <HistoryChart accountId="valr-1" width={800} height={300} live={snapshot(last + 70_000, '1.0300')} />,
      ),
    );
    rerender(
      wrap(
        <HistoryChart accountId="valr-1" width={800} height={300} live={snapshot(last + 71_000, '1.9000')} />,
      ),
    );
    await waitFor(() => expect(client.getQueryData<HistoryData>(key)?.buckets).toHaveLength(4), {
      timeout: LIVE_APPEND_MS * 3,
    });
    const appended = client.getQueryData<HistoryData>(key)?.buckets[3];
    expect(appended).toMatchObject({
      min: value('1.0300'),
      last: value('1.9000'),
      count: 2,
      worstZone: 'takeover',
    });
    await waitFor(() => expect(screen.getByTestId('history-summary')).toHaveTextContent('1.0300 (Takeover)'));
    expect(historyCalls()).toHaveLength(1);
  });

  it('exports the visible range as CSV in one click', async () => {
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:history';
    });
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await screen.findByTestId('history-chart');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(click).toHaveBeenCalledOnce();
    const text = await blobs[0]?.text();
    const lines = text?.trim().split('\r\n') ?? [];
    expect(lines[0]?.startsWith('bucket_start,bucket_end,')).toBe(true);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain(',1.0400,2.3000,2.3000,Margin fraction,Safe,Takeover,');
  });

  it('exports one row per bucket drawn, also when the chart merged neighbours to stay under its limit', async () => {
    const many = history(Array.from({ length: 1200 }, (_, i) => bucket(T0 + i * 60_000, '2.0000')));
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify(many), { status: 200 }));
    const blobs: Blob[] = [];
    vi.stubGlobal(
      'URL',
      Object.assign(URL, {
        createObjectURL: (blob: Blob) => {
          blobs.push(blob);
          return 'blob:history';
        },
        revokeObjectURL: vi.fn(),
      }),
    );
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} initialRange="all" />));
    await screen.findByTestId('history-chart');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    const lines = (await blobs[0]?.text())?.trim().split('\r\n') ?? [];
    expect(lines.length - 1).toBeLessThanOrEqual(1000);
    expect(lines.slice(1).reduce((n, line) => n + Number(line.split(',')[4]), 0)).toBe(12_000);
  });

  it('zooms from the keyboard, and "Reset zoom" hands focus to the range it goes back to', async () => {
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await screen.findByTestId('history-chart');
    fireEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    await waitFor(() => expect(historyCalls()).toHaveLength(2));
    const zoomed = new URL(`http://x${historyCalls()[1] ?? ''}`).searchParams;
    const span = Number(zoomed.get('to')) - Number(zoomed.get('from'));
    expect(Math.abs(span - 12 * 3_600_000)).toBeLessThan(2_000);
    fireEvent.click(screen.getByRole('button', { name: 'Earlier' }));
    await waitFor(() => expect(historyCalls()).toHaveLength(3));
    const earlier = new URL(`http://x${historyCalls()[2] ?? ''}`).searchParams;
    expect(Number(zoomed.get('from')) - Number(earlier.get('from'))).toBe(6 * 3_600_000);

    const reset = await screen.findByRole('button', { name: 'Reset zoom' });
    reset.focus();
    fireEvent.click(reset);
    const day = screen.getByRole('button', { name: '24 h' });
    expect(day).toHaveAttribute('aria-pressed', 'true');
    expect(screen.queryByRole('button', { name: 'Reset zoom' })).toBeNull();
    expect(document.activeElement).toBe(day);
  });

  it('says when the level has stopped arriving instead of drawing it on to now', async () => {
    const old = history([bucket(Date.now() - 30 * 60_000, '2.4000')]);
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify(old), { status: 200 }));
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} initialRange="1h" />));
    expect(await screen.findByTestId('history-silent')).toHaveTextContent(
      /^No level received since .+ UTC \(2\d min \d+ s ago\): the line stops there\.$/,
    );
  });

  it('says so when nothing is recorded, and shows the proxy message on failure', async () => {
    fetchMock.mockResolvedValueOnce(
      new Response(JSON.stringify(history([], { from: T0, to: T0 })), { status: 200 }),
    );
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    expect(await screen.findByTestId('history-empty')).toHaveTextContent(
      'Nothing recorded in this range yet',
    );
    cleanup();

    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const message = { error: 'unknown account "gone"' };
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify(message), { status: 404 }));
    render(wrap(<HistoryChart accountId="gone" width={800} height={300} />));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Could not load the history: HTTP 404: unknown account "gone"',
    );
  });
});

describe('the live fold', () => {
  it('waits LIVE_APPEND_MS and folds every snapshot seen meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(NOW);
    const key = historyKeys.range('valr-1', { kind: 'preset', preset: '24h' }, 1000);
    client.setQueryData(key, data());
    const last = data().buckets[2]?.lastAt ?? 0;
    const { rerender } = render(
      wrap(
        <HistoryChart accountId="valr-1" width={800} height={300} live={snapshot(last + 70_000, '1.0001')} />,
      ),
    );
    rerender(
      wrap(
        <HistoryChart accountId="valr-1" width={800} height={300} live={snapshot(last + 71_000, '1.9')} />,
      ),
    );
    expect(client.getQueryData<HistoryData>(key)?.buckets).toHaveLength(3);
    await act(async () => {
      vi.advanceTimersByTime(LIVE_APPEND_MS);
    });
    expect(client.getQueryData<HistoryData>(key)?.buckets[3]?.min).toEqual(value('1.0001'));
  });
});
