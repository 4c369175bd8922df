// @vitest-environment jsdom
// What a trader sees on first opening a drill-down: the range that holds the data, the risk lines in the
// product's words, and a summary that counts the level the headline shows.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIVE_APPEND_MS } from '../../hooks/useHistory.ts';
import HistoryChart from './HistoryChart.tsx';
import { NOW, bucket, history, liveSnapshot } from '../../contract/testing/history.ts';
import type { HistoryData } from '../../hooks/history/model.ts';

let client: QueryClient;
let body: HistoryData;
/** While set, history requests wait until it is called. */
let hold: Promise<void> | null = null;
let fetchMock: ReturnType<typeof vi.fn<(url: string) => Promise<Response>>>;
const historyCalls = (): string[] =>
  fetchMock.mock.calls.map((c) => c[0]).filter((u) => u.includes('/history'));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(NOW);
  body = history([bucket(NOW - 180_000, '2.4000'), bucket(NOW - 120_000, '2.3000')]);
  hold = null;
  fetchMock = vi.fn(async (url: string) => {
    if (!url.includes('/history')) return new Response('[]', { status: 200 });
    if (hold) await hold;
    return new Response(JSON.stringify(body), { status: 200 });
  });
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

/** Lets pending requests and timers run for `ms`. */
async function settle(ms = 100): Promise<void> {
  for (let i = 0; i < 5; i += 1) {
    await act(async () => {
      await vi.advanceTimersByTimeAsync(ms / 5);
    });
  }
}

function fromParam(url: string | undefined): number {
  return Number(new URL(`http://x${url ?? ''}`).searchParams.get('from'));
}

describe('HistoryChart opening range', () => {
  it('opens on 1 h when everything recorded is from the last minutes', async () => {
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await settle();
    expect(screen.getByTestId('history-chart')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true');
    expect(historyCalls()).toHaveLength(2);
    expect(fromParam(historyCalls()[0])).toBe(NOW - 24 * 3_600_000);
    expect(fromParam(historyCalls()[1])).toBe(NOW - 3_600_000);
  });

  it('stays on the chosen range when the data are older than any smaller preset', async () => {
    body = history([bucket(NOW - 3 * 3_600_000, '2.4000'), bucket(NOW - 120_000, '2.3000')]);
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await settle();
    expect(screen.getByTestId('history-chart')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '24 h' })).toHaveAttribute('aria-pressed', 'true');
    expect(historyCalls()).toHaveLength(1);
  });

  it('never opens on more than the chosen range', async () => {
    body = history([bucket(NOW - 3 * 3_600_000, '2.4000'), bucket(NOW - 120_000, '2.3000')]);
    render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} initialRange="1h" />));
    await settle();
    expect(screen.getByTestId('history-chart')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true');
    expect(historyCalls()).toHaveLength(1);
  });
});

describe('HistoryChart risk lines', () => {
  it('labels the lines in the words the cards use, not the wire names', async () => {
    const { container } = render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await settle();
    expect(screen.getByTestId('history-chart')).toBeInTheDocument();
    const chart = within(container);
    for (const label of ['Margin call 1.5', 'Liquidation 1.1', 'Takeover 1.05']) {
      expect(chart.getByText(label)).toBeInTheDocument();
    }
    for (const wire of ['marginCall 1.5', 'maintenance 1.1', 'autoClose 1.05']) {
      expect(chart.queryByText(wire)).toBeNull();
    }
  });

  it('keeps the line labels clear of each other and of the lowest mark', async () => {
    // The lowest point sits just above the liquidation line at the right end, where the labels go by default.
    body = history([bucket(NOW - 180_000, '2.4000'), bucket(NOW - 120_000, '1.1300')]);
    const { container } = render(wrap(<HistoryChart accountId="valr-1" width={800} height={300} />));
    await settle();
    expect(screen.getByTestId('history-chart')).toBeInTheDocument();
    // Label boxes from the rendered text: an 11 px font, about 6.5 px per character.
    const boxes = [...container.querySelectorAll('text.recharts-label')].map((el) => {
      const x = Number(el.getAttribute('x'));
      const dy = Number.parseFloat(el.querySelector('tspan')?.getAttribute('dy') ?? '0');
      const baseline = Number(el.getAttribute('y')) + dy * 11;
      const width = (el.textContent ?? '').length * 6.5;
      const anchor = el.getAttribute('text-anchor');
      const left = anchor === 'end' ? x - width : anchor === 'middle' ? x - width / 2 : x;
      return {
        text: el.textContent ?? '',
        left,
        right: left + width,
        top: baseline - 9,
        bottom: baseline + 3,
      };
    });
    expect(boxes.map((b) => b.text).sort()).toEqual(
      ['Liquidation 1.1', 'Margin call 1.5', 'Takeover 1.05', 'lowest 1.1300'].sort(),
    );
    for (const box of boxes) {
      expect(box.left, `${box.text} starts left of the chart`).toBeGreaterThanOrEqual(0);
      expect(box.right, `${box.text} runs past the chart's right edge`).toBeLessThanOrEqual(800);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        expect(overlap, `${a.text} overlaps ${b.text}`).toBe(false);
      }
    }
  });
});

describe('HistoryChart summary and live samples', () => {
  it('counts the live level shown in the headline even when it arrived before the history did', async () => {
    let release = (): void => {};
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    body = history([bucket(NOW - 3 * 3_600_000, '2.4000'), bucket(NOW - 120_000, '2.3000')]);
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
    await settle(LIVE_APPEND_MS * 2);
    release();
    await settle(LIVE_APPEND_MS * 2);
    expect(screen.getByTestId('history-summary')).toHaveTextContent('1.0400 (Takeover)');
  });
});
