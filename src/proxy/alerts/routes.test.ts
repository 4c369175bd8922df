import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { alertPageSchema, rulesViewSchema, webhookStatusSchema } from '../../contract/alerts.ts';
import { ApiError, getJson, putJson } from '../../transport/http.ts';
import { createLogger } from '../log.ts';
import { parseAlertQuery, registerAlertRoutes } from './routes.ts';
import { createAlertService, type AlertService, type RulesView } from './service.ts';
import { alertsMigration } from '../db/migrations.ts';
import { snap } from './testing/accounts.ts';

let app: FastifyInstance;
let db: Database.Database;
let service: AlertService;
let clock = 1_700_000_000_000;

beforeAll(async () => {
  db = new Database(':memory:');
  db.transaction(() => alertsMigration.up(db))();
  service = createAlertService({
    db,
    config: {
      accounts: [{ id: 'bitso-demo', exchange: 'bitso', label: 'Bitso (demo)', pollSeconds: 5 }],
      alerts: {
        webhooks: [{ url: 'https://hooks.slack.com/services/T0/B0/fake-not-real', format: 'slack' }],
      },
    },
    log: createLogger({ write: () => {}, pretty: false }),
    now: () => clock,
    fetch: async () => new Response(null, { status: 204 }),
    tickMs: 0,
  });
  for (const level of ['1.6', '1.45', '1.6', '1.08']) {
    clock += 60 * 60_000;
    service.onSnapshot('bitso-demo', snap('bitso-demo', level));
  }
  app = Fastify();
  registerAlertRoutes(app, service);
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await service.close();
  db.close();
});

describe('GET /api/alerts', () => {
  it('lists the history newest first, with the open alerts on the first page', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/alerts' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    type Item = { rule: string; kind: string; zone: string };
    const body = res.json<{ alerts: Item[]; open: Item[]; nextBefore: null }>();
    const names = (items: Item[]) => items.map((a) => `${a.rule}:${a.kind}:${a.zone}`);
    expect(names(body.alerts)).toEqual([
      'cushion-below:fired:liquidation',
      'zone-worse:fired:liquidation',
      'zone-worse:recovered:safe',
      'zone-worse:fired:caution',
    ]);
    expect(names(body.open)).toEqual(['cushion-below:fired:liquidation', 'zone-worse:fired:liquidation']);
    expect(body.nextBefore).toBeNull();
  });

  it('pages with limit and before', async () => {
    const first = (await app.inject({ method: 'GET', url: '/api/alerts?limit=1' })).json<{
      alerts: unknown[];
      nextBefore: number;
    }>();
    expect(first.alerts).toHaveLength(2); // both alerts of the same instant
    const res = await app.inject({ method: 'GET', url: `/api/alerts?limit=1&before=${first.nextBefore}` });
    const page = res.json<{ alerts: { kind: string }[]; open?: unknown }>();
    expect(page.alerts.map((a) => a.kind)).toEqual(['recovered']);
    expect(page.open).toBeUndefined();
  });

  it.each([
    ['limit=0', 'limit must be a whole number from 1 to 500'],
    ['limit=abc', 'limit must be a whole number from 1 to 500'],
    ['before=yesterday', 'before must be a time in milliseconds since 1970-01-01 UTC'],
    ['account=Not%20An%20Id', 'account must be an account id'],
    ['colour=red', 'unknown parameter "colour"'],
    ['limit=1&limit=2', 'limit must be given once'],
  ])('refuses %s', async (query, message) => {
    const res = await app.inject({ method: 'GET', url: `/api/alerts?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: message });
  });

  it('treats empty values as absent', () => {
    expect(parseAlertQuery({ limit: '', before: '' })).toEqual({ ok: true, query: { limit: 100 } });
    expect(parseAlertQuery({ account: 'bitso-demo', from: '5' })).toEqual({
      ok: true,
      query: { limit: 100, accountId: 'bitso-demo', from: 5 },
    });
  });
});

describe('alert rules routes', () => {
  it('GET returns the built-in, effective and per-account settings', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/alerts/rules' });
    expect(res.statusCode).toBe(200);
    const view = res.json<RulesView>();
    expect(view.defaults.cooldownMinutes).toBe(10);
    expect(view.accounts.map((a) => [a.id, a.overridden])).toEqual([['bitso-demo', false]]);
  });

  it('PUT applies a valid change and answers with the new rules', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/alerts/rules',
      payload: { defaults: { fastFall: { percent: '7.5', minutes: 3 } } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<RulesView>().defaults.fastFall).toEqual({ enabled: true, percent: '7.5', minutes: 3 });
  });

  it.each([
    [{ defaults: { fastFall: { minutes: 0 } } }, 'defaults.fastFall.minutes: must be at least 1'],
    [{ accounts: { ghost: { stale: { enabled: false } } } }, 'accounts.ghost: no such account'],
    [{ webhooks: [] }, 'Unrecognized key: "webhooks"'],
    [[1], 'Invalid input: expected object, received array'],
  ])('PUT refuses %j', async (payload, message) => {
    const res = await app.inject({ method: 'PUT', url: '/api/alerts/rules', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: message });
  });

  it('PUT accepts only JSON bodies', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/alerts/rules',
      headers: { 'content-type': 'text/plain' },
      payload: '{"defaults":{}}',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'send the rules as application/json' });
  });

  it('other methods are not routes', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/alerts/rules', payload: {} })).statusCode).toBe(
      404,
    );
    expect((await app.inject({ method: 'DELETE', url: '/api/alerts' })).statusCode).toBe(404);
  });
});

describe('GET /api/alerts/webhooks', () => {
  it('reports each webhook by scheme and host only', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/alerts/webhooks' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('fake-not-real');
    expect(res.json()).toMatchObject([{ index: 0, target: 'https://hooks.slack.com', format: 'slack' }]);
  });
});

describe('read by the browser', () => {
  /** The browser's HTTP client, answered by these routes. */
  beforeEach(() => {
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      const res = await app.inject({
        method: init.method === 'PUT' ? 'PUT' : 'GET',
        url,
        headers: init.headers as Record<string, string>,
        ...(typeof init.body === 'string' ? { payload: init.body } : {}),
      });
      return new Response(res.body, { status: res.statusCode });
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('parses every alert answer with the contract schemas, unchanged', async () => {
    const raw = async (url: string): Promise<unknown> => (await app.inject({ method: 'GET', url })).json();
    const page = await getJson('/api/alerts?limit=2', alertPageSchema);
    expect(page).toEqual(await raw('/api/alerts?limit=2'));
    expect(page.alerts).toHaveLength(2);
    expect(page.open?.length).toBeGreaterThan(0);
    const rules = await getJson('/api/alerts/rules', rulesViewSchema);
    expect(rules).toEqual(await raw('/api/alerts/rules'));
    const hooks = await getJson('/api/alerts/webhooks', webhookStatusSchema.array());
    expect(hooks).toEqual(await raw('/api/alerts/webhooks'));
    expect(hooks[0]?.format).toBe('slack');
  });

  it('round-trips a rules change and gives the browser the reason for a refusal', async () => {
    const view = await putJson('/api/alerts/rules', { defaults: { cooldownMinutes: 7 } }, rulesViewSchema);
    expect(view.defaults.cooldownMinutes).toBe(7);
    await putJson('/api/alerts/rules', { defaults: null }, rulesViewSchema);
    const refused = await putJson('/api/alerts/rules', { defaults: { nope: 1 } }, rulesViewSchema).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).message).toMatch(/^HTTP 400: \S/);
    await expect(getJson('/api/alerts?limit=0', alertPageSchema)).rejects.toThrow(/^HTTP 400: \S/);
  });
});
