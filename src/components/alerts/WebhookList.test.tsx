// @vitest-environment jsdom
import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithStores } from '../../app/testing/render.tsx';
import type { WebhookStatus } from '../../contract/alerts.ts';
import { WebhookList } from './WebhookList.tsx';

function stubApi(options: { webhooks?: WebhookStatus[] } = {}) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        'http://x',
      );
      const found = url.pathname === '/api/alerts/webhooks';
      return new Response(JSON.stringify(found ? (options.webhooks ?? []) : {}), {
        status: found ? 200 : 404,
        headers: { 'content-type': 'application/json' },
      });
    }),
  );
}

describe('WebhookList', () => {
  it('shows each webhook by scheme and host with its state and last error', async () => {
    stubApi({
      webhooks: [
        {
          index: 0,
          target: 'https://hooks.slack.com',
          format: 'slack',
          state: 'failing',
          lastError: 'HTTP 404',
          lastAttemptAt: 1,
          lastSuccessAt: null,
          delivered: 0,
          failed: 2,
          queued: 0,
        },
      ],
    });
    renderWithStores(<WebhookList />);
    const item = await screen.findByTestId('webhook');
    expect(item).toHaveAttribute('data-state', 'failing');
    expect(within(item).getByText('Failing')).toBeInTheDocument();
    expect(within(item).getByText('https://hooks.slack.com')).toBeInTheDocument();
    expect(within(item).getByText('HTTP 404')).toBeInTheDocument();
  });

  it('says how to add webhooks when there are none', async () => {
    stubApi();
    renderWithStores(<WebhookList />);
    expect(await screen.findByText(/No webhooks/)).toBeInTheDocument();
  });
});
