// Renders views with real stores fed by a test proxy (the proxy's reader over fake exchange modules), a fresh
// query client, an in-memory router and a fake fetch for the proxy's REST API. Test-only.
import { QueryClient } from '@tanstack/react-query';
import { act, cleanup, render, type RenderResult } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, vi } from 'vitest';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';
import type { AccountInfo, RawMessagesDto } from '../../contract/accounts.ts';
import type { RiskOverviewDto, RiskReportDto } from '../../contract/risk.ts';
import type { ExchangeModule } from '../../exchanges/types.ts';
import { connectionEvents } from '../../stores/connection-store.ts';
import type { FrameScheduler } from '../../stores/frame-batcher.ts';
import { MarginStores } from '../../stores/margin-stores.ts';
import { AppProviders } from '../providers.tsx';
import { fakeModule, TestProxy, type TestFrame } from './fake-exchange.ts';

// Vitest globals are off, so Testing Library cannot register its own cleanup: unmount after every test here.
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** A frame scheduler that never fires by itself: tests commit with `stores.flushAll()`. */
export const manualFrames: FrameScheduler = { schedule: () => () => {} };

export interface FakeApi {
  /** /api/accounts body (JSON-able) or a status code to fail with. */
  accounts?: unknown;
  accountsStatus?: number;
  /** Bodies for /api/accounts/:id/rest/<path>, by `${id}/${path}`; a number fails with that status. */
  rest?: Record<string, unknown>;
  /** Bodies for /api/accounts/:id/raw, by id (default: no message yet); a number fails with that status. */
  raw?: Record<string, RawMessagesDto | number>;
  /**
   * Price-move estimates: /api/risk answers with these reports (default none), /api/accounts/:id/risk with the
   * account's (default: a report without figures yet); a number fails with that status.
   */
  risk?: RiskReportDto[] | number;
}

/** A report with no figures to start from yet, as the proxy answers before an account's first snapshot. */
function noFiguresYet(accountId: string): RiskReportDto {
  return {
    accountId,
    at: 0,
    reference: null,
    assets: null,
    liabilities: null,
    prices: [],
    moves: [],
    market: null,
    approximate: null,
    trend: null,
    unavailable: null,
  };
}

/** Installs a fake `fetch` answering the proxy's REST routes; returns the mock to count calls. */
export function stubApi(api: FakeApi) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url, 'http://127.0.0.1').pathname;
    const json = (status: number, body: unknown) =>
      new Response(typeof body === 'string' ? body : JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    if (path === '/api/accounts') return json(api.accountsStatus ?? 200, api.accounts ?? []);
    if (path === '/api/health') return json(200, { status: 'ok', mode: 'demo', accounts: 0 });
    if (path === '/api/risk') {
      if (typeof api.risk === 'number') return json(api.risk, { error: `the proxy said ${api.risk}` });
      return json(200, { accounts: api.risk ?? [] } satisfies RiskOverviewDto);
    }
    const risk = /^\/api\/accounts\/([^/]+)\/risk$/.exec(path);
    if (risk) {
      const id = decodeURIComponent(risk[1] ?? '');
      if (typeof api.risk === 'number') return json(api.risk, { error: `the proxy said ${api.risk}` });
      return json(200, api.risk?.find((r) => r.accountId === id) ?? noFiguresYet(id));
    }
    const raw = /^\/api\/accounts\/([^/]+)\/raw$/.exec(path);
    if (raw) {
      const id = decodeURIComponent(raw[1] ?? '');
      const body = api.raw?.[id] ?? { accountId: id, messages: [] };
      if (typeof body === 'number') return json(body, { error: `the proxy said ${body}` });
      return json(200, body);
    }
    const rest = /^\/api\/accounts\/([^/]+)\/rest\/(.+)$/.exec(path);
    if (rest) {
      const body = api.rest?.[`${decodeURIComponent(rest[1] ?? '')}/${rest[2] ?? ''}`];
      if (body === undefined) return json(403, { error: 'path not allowed' });
      if (typeof body === 'number') return json(body, { error: `upstream said ${body}` });
      return json(200, body);
    }
    return json(404, { error: 'not found' });
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

export interface Harness extends RenderResult {
  stores: MarginStores;
  queryClient: QueryClient;
  location: ReturnType<typeof memoryLocation> & { history: string[] };
  /** The test proxy that reads exchange messages into snapshot frames for `send`. */
  proxy: TestProxy;
  /** Delivers frames (exchange messages read by the test proxy first) and commits them, as one animation frame would. */
  send(...frames: TestFrame[]): void;
}

export interface HarnessOptions {
  modules?: ExchangeModule[];
  /** Accounts already known to the stores (as useMarginStream would load them). */
  accounts?: AccountInfo[];
  path?: string;
  /** Leave the browser→proxy socket as not connected. */
  offline?: boolean;
  /** Leave the proxy's clock unknown (no ping seen yet); by default a ping at the current time was seen. */
  clockUnknown?: boolean;
}

export function renderWithStores(ui: ReactNode, options: HarnessOptions = {}): Harness {
  const stores = new MarginStores(manualFrames);
  const proxy = new TestProxy(options.modules ?? [fakeModule()], options.accounts ?? []);
  if (!options.offline) connectionEvents.socketChanged(stores.connection, { phase: 'open', attempt: 0 });
  if (!options.clockUnknown) connectionEvents.proxyTimeSeen(stores.connection, Date.now());
  if (options.accounts) {
    stores.accountsLoaded(options.accounts);
    stores.flushAll();
  }
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
  const location = memoryLocation({ path: options.path ?? '/', record: true });
  const result = render(
    <AppProviders stores={stores} queryClient={queryClient}>
      <Router hook={location.hook} searchHook={location.searchHook}>
        {ui}
      </Router>
    </AppProviders>,
  );
  return {
    ...result,
    stores,
    queryClient,
    location,
    proxy,
    send(...frames) {
      act(() => {
        for (const frame of proxy.frames(...frames)) stores.frameReceived(frame);
        stores.flushAll();
      });
    },
  };
}
