import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configSecrets, parseConfig } from './config.ts';
import { exchangeCatalog } from './exchanges.ts';
import { startMarginWatch } from './start.ts';
import { drivenCatalog } from './testing/driven-exchange.ts';
import { sampleValue } from './testing/metrics-text.ts';

const MARGIN_INFO = JSON.parse(
  readFileSync(new URL('../exchanges/valr/fixtures/margin-info.json', import.meta.url), 'utf8'),
) as unknown;

const ENV = {
  VALR_KEY: 'fake-valr-api-key-0f3a9c2e71',
  VALR_SECRET: 'fake-valr-api-secret-8d1b47e6a2c95f03',
  MW_TOKEN: 'fake-access-token-2b7e151628aed2a6',
  MW_METRICS: 'fake-metrics-token-abf7158809cf4f3c',
  SLACK_PATH: 'T01FAKE/B02FAKE/hookpathsecret7c3d',
};

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('GET /metrics in a running proxy', () => {
  it('serves the configured accounts behind server.metricsToken, and no secret of the config appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-metrics-'));
    dirs.push(dir);
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        server: { accessToken: '${MW_TOKEN}', metricsToken: '${MW_METRICS}' },
        history: { path: 'data/history.sqlite' },
        alerts: {
          webhooks: [{ url: 'https://hooks.slack.com/services/${SLACK_PATH}', format: 'slack' }],
        },
        accounts: [
          {
            id: 'valr-desk',
            exchange: 'valr',
            credentials: { apiKey: '${VALR_KEY}', apiSecret: '${VALR_SECRET}' },
            endpoints: { rest: 'http://127.0.0.1:1', ws: 'ws://127.0.0.1:1' },
          },
        ],
      }),
    );
    const driven = drivenCatalog('valr');
    const logs: string[] = [];
    const mw = await startMarginWatch({
      configPath: file,
      env: ENV,
      port: 0,
      distDir: null,
      catalog: driven.catalog,
      logWrite: (line) => logs.push(line),
    });
    try {
      driven.upstream('valr-desk').setStatus('live');
      driven.upstream('valr-desk').publish('account', MARGIN_INFO);
      const url = `${mw.url}/metrics`;

      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${ENV.MW_TOKEN}` } })).status).toBe(401);
      const res = await fetch(url, { headers: { authorization: `Bearer ${ENV.MW_METRICS}` } });
      expect(res.status).toBe(200);
      const text = await res.text();

      const labels = { account: 'valr-desk', exchange: 'valr', unit: 'fraction' };
      expect(sampleValue(text, 'margin_watch_level', labels)).toBe(1.90363696);
      expect(sampleValue(text, 'margin_watch_upstream_state', { ...labels, state: 'live' })).toBe(1);
      expect(sampleValue(text, 'margin_watch_messages_total', { ...labels, channel: 'account' })).toBe(1);
      expect(
        sampleValue(text, 'margin_watch_webhook_failures_total', { webhook: '0', format: 'slack' }),
      ).toBe(0);
      expect(sampleValue(text, 'margin_watch_history_queue_length', {})).toBeGreaterThanOrEqual(0);
      expect(text).toContain('process_resident_memory_bytes');

      const secrets = configSecrets(mw.config, mw.catalog);
      expect(secrets).toEqual(
        expect.arrayContaining([
          ENV.VALR_SECRET,
          ENV.MW_TOKEN,
          ENV.MW_METRICS,
          expect.stringContaining('hooks'),
        ]),
      );
      const leaks = [...secrets, ...Object.values(ENV), 'hooks.slack.com'];
      for (const secret of leaks) expect(text).not.toContain(secret);
      // The metrics token is redacted from the logs like every other secret.
      const logged = logs.join('\n');
      for (const secret of leaks.filter((s) => s !== 'hooks.slack.com')) expect(logged).not.toContain(secret);
    } finally {
      await mw.stop();
    }
  });
});

describe('server.metricsToken in the config', () => {
  const account = {
    id: 'valr-desk',
    exchange: 'valr',
    credentials: { apiKey: 'k', apiSecret: 's' },
  };
  const parse = (server: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
    parseConfig(
      { server, accounts: [account] },
      { source: 'test.json', env, catalog: exchangeCatalog(), baseDir: '/tmp' },
    );

  it('takes the token from the environment and lists it among the secrets', () => {
    const config = parse({ metricsToken: '${MW_METRICS}' }, { MW_METRICS: ENV.MW_METRICS });
    expect(config.server.metricsToken).toBe(ENV.MW_METRICS);
    expect(configSecrets(config, exchangeCatalog())).toContain(ENV.MW_METRICS);
    expect(parse({}).server.metricsToken).toBeUndefined();
  });

  it('refuses a short token and a missing variable, naming the key and never the value', () => {
    const short = () => parse({ metricsToken: 'short-token' });
    expect(short).toThrow(ConfigError);
    expect(short).toThrow(/server\.metricsToken: must be at least 16 characters/);
    expect(short).not.toThrow(/short-token/);
    expect(() => parse({ metricsToken: '${MW_METRICS}' })).toThrow(
      /server\.metricsToken: environment variable MW_METRICS is not set/,
    );
  });
});
