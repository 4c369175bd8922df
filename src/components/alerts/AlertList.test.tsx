// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithStores } from '../../app/testing/render.tsx';
import { AlertList } from './AlertList.tsx';
import { makeAlert } from '../../contract/testing/alerts.ts';

function stubPages() {
  const urls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        'http://x',
      );
      urls.push(`${url.pathname}${url.search}`);
      const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });
      if (url.pathname === '/api/accounts')
        return json([{ id: 'bitso-demo', exchange: 'bitso', label: 'Bitso (demo)' }]);
      if (url.searchParams.get('before') === '2000') {
        return json({ alerts: [makeAlert(1, 1000, { zone: 'caution', level: '1.4500' })], nextBefore: null });
      }
      return json({
        alerts: [makeAlert(3, 3000, { kind: 'recovered', zone: 'safe' }), makeAlert(2, 2000)],
        nextBefore: 2000,
        open: [],
      });
    }),
  );
  return urls;
}

describe('AlertList', () => {
  it('lists the history newest first and loads older pages on request', async () => {
    const urls = stubPages();
    renderWithStores(<AlertList />);
    await screen.findAllByTestId('alert-row');
    expect(screen.getAllByTestId('alert-row').map((r) => `${r.dataset.kind}:${r.dataset.rule}`)).toEqual([
      'recovered:zone-worse',
      'fired:zone-worse',
    ]);
    await waitFor(() => expect(screen.getAllByText('Bitso (demo)')).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'Load older alerts' }));
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(3));
    expect(screen.getByText('1.4500')).toBeInTheDocument();
    expect(urls).toContain('/api/alerts?limit=50&before=2000');
    expect(screen.queryByRole('button', { name: 'Load older alerts' })).toBeNull();
  });

  it('says so when there are no alerts', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () => new Response(JSON.stringify({ alerts: [], nextBefore: null, open: [] }), { status: 200 }),
      ),
    );
    renderWithStores(<AlertList />);
    expect(await screen.findByTestId('alert-list-empty')).toHaveTextContent('No alerts yet.');
  });
});
