// @vitest-environment jsdom
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CushionSparkline, CushionSparklineView, sparklineGeometry } from './CushionSparkline.tsx';
import { T0, bucket, history, value } from '../../contract/testing/history.ts';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('sparklineGeometry', () => {
  it('plots the cushion at each bucket’s lowest level and breaks the line at an outage', () => {
    const data = history([
      bucket(T0, '2.2', { min: value('2.2') }), // cushion 0.5
      bucket(T0 + 60_000, '2.2', { min: value('1.1') }), // cushion 0 (at liquidation)
      bucket(T0 + 600_000, '2.2', { min: value('2.2'), gapBefore: true, cushion: '0.50000000' }),
    ]);
    const g = sparklineGeometry(data, 100, 20);
    expect(g.points).toBe(3);
    expect(g.path.match(/M/g)).toHaveLength(2);
    expect(g.lowest?.toFixed()).toBe('0');
    expect(g.latest?.toFixed()).toBe('0.5');
    // Cushion 0 sits on the floor line.
    expect(g.path).toContain(
      `L${(1.5 + (119_000 / (data.to - data.from)) * 97).toFixed(1)} ${g.floorY.toFixed(1)}`,
    );
  });

  it('draws nothing without data or without a liquidation line', () => {
    expect(sparklineGeometry(undefined, 100, 20).path).toBe('');
    const noBands = history([bucket(T0, '2')], {
      profiles: [{ unit: null, bands: [], currency: null }],
    });
    expect(sparklineGeometry(noBands, 100, 20)).toMatchObject({ path: '', points: 0 });
  });
});

describe('CushionSparklineView', () => {
  it('is an image with a label in words, coloured by the current zone', () => {
    render(
      <CushionSparklineView
        data={history([bucket(T0, '2.2', { zone: 'caution', cushion: '0.25000000' })])}
      />,
    );
    const svg = screen.getByRole('img');
    expect(svg).toHaveAttribute('aria-label', 'Cushion over the last 24 hours: lowest 50.0%, latest 25.0%');
    expect(svg.querySelector('path')?.getAttribute('style')).toContain('var(--caution)');
  });
});

describe('CushionSparklineView when the history failed', () => {
  it('says the history is unavailable, not that nothing was recorded', () => {
    render(<CushionSparklineView data={undefined} failed />);
    expect(screen.getByRole('img')).toHaveAttribute(
      'aria-label',
      'Cushion over the last 24 hours: history unavailable',
    );
  });

  it('ends at the given time, leaving the silence since the last sample empty', () => {
    const data = history([bucket(T0, '2.2', { min: value('2.2') })]);
    const own = sparklineGeometry(data, 100, 20);
    const toNow = sparklineGeometry(data, 100, 20, {
      from: data.to + 3_600_000 - 86_400_000,
      to: data.to + 3_600_000,
    });
    const lastX = (path: string) => Number(/([\d.]+) [\d.]+l0\.01 0$/.exec(path)?.[1]);
    expect(lastX(own.path)).toBeCloseTo(98.5, 1);
    expect(lastX(toNow.path)).toBeLessThan(95);
  });
});

describe('CushionSparkline', () => {
  it('says "history unavailable" when the history request fails', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('{"error":"unknown account"}', { status: 404 })),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <CushionSparkline accountId="valr-1" />
      </QueryClientProvider>,
    );
    expect(await screen.findByRole('img', { name: /history unavailable/ })).toHaveAttribute(
      'data-state',
      'failed',
    );
  });

  it('fetches the last 24 h at sparkline resolution', async () => {
    const fetchMock = vi.fn(
      async () => new Response(JSON.stringify(history([bucket(T0, '2.2')])), { status: 200 }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const client = new QueryClient();
    render(
      <QueryClientProvider client={client}>
        <CushionSparkline accountId="valr-1" />
      </QueryClientProvider>,
    );
    await screen.findByRole('img', { name: /lowest 50.0%/ });
    expect(String(fetchMock.mock.calls[0]?.[0 as never])).toMatch(/history\?from=\d+&maxPoints=96$/);
  });

  it('stays light: neither it nor what it imports pulls in recharts', () => {
    // jsdom gives modules an http URL: resolve from the repository root (vitest's working directory).
    const here = resolve('src/components/history');
    const files = [
      'CushionSparkline.tsx',
      '../../hooks/history/model.ts',
      '../../hooks/history/series.ts',
      '../../hooks/useHistory.ts',
    ];
    for (const file of files) {
      const text = readFileSync(resolve(here, file), 'utf8');
      expect(text, file).not.toMatch(/from 'recharts'/);
      expect(text, file).not.toMatch(/HistoryChart/);
    }
    const lazy = readFileSync(resolve(here, 'lazy.ts'), 'utf8');
    expect(lazy).toMatch(/lazy\(\(\) => import\('\.\/HistoryChart\.tsx'\)\)/);
  });
});
