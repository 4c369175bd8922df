import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  configSecrets,
  exposureProblem,
  formatPath,
  loadConfig,
  parseConfig,
  resolveConfigPath,
  secretValues,
  type ConfigProblem,
} from './config.ts';
import { catalogOf, exchangeCatalog } from './exchanges.ts';
import { fakeEntry } from './testing/fake-exchange.ts';

const catalog = catalogOf([fakeEntry]);
const env = { FAKE_SECRET: 'env-secret-value-123', FAKE_KEY: 'env-key' };

function account(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'fake-main',
    exchange: 'fakex',
    label: 'Fake',
    credentials: { apiKey: '${FAKE_KEY}', apiSecret: '${FAKE_SECRET}' },
    ...extra,
  };
}

function parse(raw: unknown, environment: NodeJS.ProcessEnv = env) {
  return parseConfig(raw, { source: '/etc/mw/config.json', env: environment, catalog });
}

function problemsOf(raw: unknown, environment: NodeJS.ProcessEnv = env): readonly ConfigProblem[] {
  try {
    parse(raw, environment);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: happy path and defaults', () => {
  it('substitutes env vars, resolves defaults and keeps thresholds as exact decimals', () => {
    const config = parse({
      accounts: [account({ thresholds: { marginCall: '1.50', liquidation: '1.1' }, subaccountId: 'sub-1' })],
    });
    expect(config.server).toEqual({ host: '127.0.0.1', port: 5178, allowedOrigins: [] });
    expect(config.history).toEqual({
      path: '/etc/mw/data/history.sqlite',
      retentionDays: 365,
      rawDays: 30,
    });
    expect(config.alerts).toEqual({ webhooks: [] });
    const [a] = config.accounts;
    expect(a?.credentials).toEqual({ apiKey: 'env-key', apiSecret: 'env-secret-value-123' });
    expect(a?.endpoints).toEqual({ rest: 'https://fakex.invalid/api' });
    expect(a?.pollSeconds).toBe(7);
    expect(a?.options).toEqual({ subaccountId: 'sub-1' });
    expect(a?.thresholds?.marginCall?.toFixed()).toBe('1.5');
    expect(a?.thresholds?.liquidation?.toFixed()).toBe('1.1');
    expect(a?.thresholds?.takeover).toBeUndefined();
  });

  it('takes overrides of endpoints, pollSeconds, server, history and alerts', () => {
    const config = parse({
      server: {
        host: '0.0.0.0',
        port: 8080,
        allowedOrigins: ['https://dash.example.com'],
        accessToken: 'example-access-token-1234',
      },
      history: { path: '/var/mw/h.sqlite', retentionDays: 30, rawDays: 7 },
      alerts: {
        webhooks: [{ url: 'https://hooks.example/x' }, { url: 'https://t.example/y', format: 'telegram' }],
      },
      accounts: [
        account({ endpoints: { rest: 'http://127.0.0.1:9999/base/' }, pollSeconds: 2, label: undefined }),
      ],
    });
    expect(config.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      allowedOrigins: ['https://dash.example.com'],
      accessToken: 'example-access-token-1234',
    });
    expect(config.history).toEqual({ path: '/var/mw/h.sqlite', retentionDays: 30, rawDays: 7 });
    expect(config.alerts.webhooks).toEqual([
      { url: 'https://hooks.example/x', format: 'generic' },
      { url: 'https://t.example/y', format: 'telegram' },
    ]);
    expect(config.accounts[0]?.endpoints.rest).toBe('http://127.0.0.1:9999/base');
    expect(config.accounts[0]?.pollSeconds).toBe(2);
    expect(config.accounts[0]?.label).toBe('fake-main');
  });

  it('supports $$ as a literal dollar and ${NAME} inside longer strings', () => {
    const config = parse({
      accounts: [account({ credentials: { apiKey: 'pre-${FAKE_KEY}-post', apiSecret: 'pa$$word' } })],
    });
    expect(config.accounts[0]?.credentials).toEqual({ apiKey: 'pre-env-key-post', apiSecret: 'pa$word' });
  });
});

describe('parseConfig: every error names the path and never a value', () => {
  const cases: { name: string; raw: unknown; env?: NodeJS.ProcessEnv; path: string; message: RegExp }[] = [
    {
      name: 'missing env var',
      raw: { accounts: [account()] },
      env: { FAKE_KEY: 'k' },
      path: 'accounts[0].credentials.apiSecret',
      message: /environment variable FAKE_SECRET is not set/,
    },
    {
      name: 'malformed reference',
      raw: { accounts: [account({ label: '${NOT CLOSED' })] },
      path: 'accounts[0].label',
      message: /malformed/,
    },
    {
      name: 'unknown top-level key',
      raw: { accounts: [account()], extra: 1 },
      path: 'extra',
      message: /unknown key/,
    },
    {
      name: 'unknown account key',
      raw: { accounts: [account(), account({ id: 'two', colour: 'red' })] },
      path: 'accounts[1].colour',
      message: /unknown key/,
    },
    {
      name: 'unknown credentials key',
      raw: { accounts: [account({ credentials: { apiKey: 'k', apiSecret: 's', password: 'p' } })] },
      path: 'accounts[0].credentials.password',
      message: /unknown key/,
    },
    {
      name: 'missing credential',
      raw: { accounts: [account({ credentials: { apiKey: 'k' } })] },
      path: 'accounts[0].credentials.apiSecret',
      message: /expected string/,
    },
    {
      name: 'bad id',
      raw: { accounts: [account({ id: 'Fake Main' })] },
      path: 'accounts[0].id',
      message: /a-z/,
    },
    {
      name: 'too long id',
      raw: { accounts: [account({ id: 'a'.repeat(65) })] },
      path: 'accounts[0].id',
      message: /1–64/,
    },
    {
      name: 'duplicate id',
      raw: { accounts: [account(), account()] },
      path: 'accounts[1].id',
      message: /duplicate id "fake-main" \(also accounts\[0\]\)/,
    },
    {
      name: 'unknown exchange',
      raw: { accounts: [account(), account({ id: 'x', exchange: 'mtgox' })] },
      path: 'accounts[1].exchange',
      message: /unknown exchange "mtgox" \(known: fakex\)/,
    },
    {
      name: 'missing exchange',
      raw: { accounts: [{ id: 'x', credentials: {} }] },
      path: 'accounts[0].exchange',
      message: /required/,
    },
    {
      name: 'threshold as a number',
      raw: { accounts: [account({ thresholds: { marginCall: 1.5 } })] },
      path: 'accounts[0].thresholds.marginCall',
      message: /string/,
    },
    {
      name: 'threshold not a decimal',
      raw: { accounts: [account({ thresholds: { liquidation: '1e3' } })] },
      path: 'accounts[0].thresholds.liquidation',
      message: /positive decimal/,
    },
    {
      name: 'thresholds out of order',
      raw: { accounts: [account({ thresholds: { marginCall: '1.1', liquidation: '1.5' } })] },
      path: 'accounts[0].thresholds',
      message: /marginCall must not be below liquidation/,
    },
    {
      name: 'liquidation below takeover',
      raw: { accounts: [account({ thresholds: { liquidation: '1.02', takeover: '1.05' } })] },
      path: 'accounts[0].thresholds',
      message: /liquidation must not be below takeover/,
    },
    {
      name: 'marginCall below takeover, without a liquidation line',
      raw: { accounts: [account({ thresholds: { marginCall: '1.01', takeover: '1.05' } })] },
      path: 'accounts[0].thresholds',
      message: /marginCall must not be below takeover/,
    },
    {
      name: 'bad endpoint URL',
      raw: { accounts: [account({ endpoints: { rest: 'ftp://x' } })] },
      path: 'accounts[0].endpoints.rest',
      message: /https or http URL/,
    },
    {
      name: 'credentials in an endpoint URL',
      raw: { accounts: [account({ endpoints: { rest: 'https://u:p@x.example' } })] },
      path: 'accounts[0].endpoints.rest',
      message: /without credentials/,
    },
    {
      name: 'pollSeconds too small',
      raw: { accounts: [account({ pollSeconds: 0.1 })] },
      path: 'accounts[0].pollSeconds',
      message: /./,
    },
    { name: 'no accounts', raw: { accounts: [] }, path: 'accounts', message: /at least one account/ },
    { name: 'accounts missing', raw: {}, path: 'accounts', message: /expected array/ },
    {
      name: 'non-loopback host without token',
      raw: { server: { host: '0.0.0.0' }, accounts: [account()] },
      path: 'server.accessToken',
      message: /required when listening on 0\.0\.0\.0/,
    },
    {
      name: 'short access token',
      raw: { server: { accessToken: 'short' }, accounts: [account()] },
      path: 'server.accessToken',
      message: /at least 16/,
    },
    {
      name: 'origin with a path',
      raw: { server: { allowedOrigins: ['https://x.example/app'] }, accounts: [account()] },
      path: 'server.allowedOrigins[0]',
      message: /origin/,
    },
    {
      name: 'bad webhook format',
      raw: { alerts: { webhooks: [{ url: 'https://h.example', format: 'email' }] }, accounts: [account()] },
      path: 'alerts.webhooks[0].format',
      message: /generic/,
    },
    {
      name: 'bad port',
      raw: { server: { port: 70000 }, accounts: [account()] },
      path: 'server.port',
      message: /./,
    },
  ];

  it.each(cases)('$name → $path', ({ raw, env: environment, path, message }) => {
    const problems = problemsOf(raw, environment ?? env);
    const hit = problems.find((p) => p.path === path);
    expect(hit, JSON.stringify(problems)).toBeDefined();
    expect(hit?.message).toMatch(message);
    const text = new ConfigError('/etc/mw/config.json', problems).message;
    expect(text).toContain('/etc/mw/config.json');
    expect(text).not.toContain(env.FAKE_SECRET);
  });

  it('lists problems of several accounts at once', () => {
    const problems = problemsOf({
      accounts: [account({ id: 'BAD' }), account({ id: 'ok', exchange: 'nope' })],
    });
    expect(problems.map((p) => p.path)).toEqual(['accounts[0].id', 'accounts[1].exchange']);
  });
});

describe('loadConfig (file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and resolves history.path next to it', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ history: { path: 'h/x.sqlite' }, accounts: [account()] }));
    const config = loadConfig(file, { env, catalog });
    expect(config.source).toBe(file);
    expect(config.history.path).toBe(join(dir, 'h/x.sqlite'));
  });

  it('reports a missing file', () => {
    expect(() => loadConfig(join(dir, 'missing.json'), { env, catalog })).toThrow(
      /missing\.json[\s\S]*not found/,
    );
  });

  // Each form of V8's JSON.parse message, from a real malformed file whose secret sits next to the error. The
  // message names the place and what was expected, and quotes nothing of the file.
  const SECRET = 'RTFAKEsecret0123456789';
  it.each([
    {
      form: 'unexpected token, with an excerpt',
      text: `{\n  "accounts": [{ "apiSecret": ${SECRET} }]\n}\n`,
      v8: /^Unexpected token 'R', .*RTFAKE.* is not valid JSON$/,
      where: 'line 2, column 31: expected a value',
    },
    {
      form: 'a trailing comma in an array, with an excerpt',
      text: `["${SECRET}",]`,
      v8: /^Unexpected token '\]', .*3456789.* is not valid JSON$/,
      where: "line 1, column 26: a trailing comma before ']'",
    },
    {
      form: 'unexpected end of JSON input',
      text: `{\n  "apiSecret": "${SECRET}",\n  "accounts": [`,
      v8: /^Unexpected end of JSON input$/,
      where: 'line 3, column 16: the file ends where a value is expected',
    },
    {
      form: 'bad control character in a string',
      text: `{\n  "apiSecret": "RTFAKE\n${SECRET}"\n}`,
      v8: /^Bad control character in string literal/,
      where: 'line 2, column 23: a line break or control character inside a string',
    },
    {
      form: 'unterminated string',
      text: `{\n  "apiSecret": "${SECRET}`,
      v8: /^Unterminated string in JSON/,
      where: 'line 2, column 16: a string is not closed',
    },
    {
      form: 'non-whitespace after JSON',
      text: `{ "apiSecret": "x" }\n${SECRET}`,
      v8: /^Unexpected non-whitespace character after JSON/,
      where: 'line 2, column 1: more text after the end of the JSON value',
    },
    {
      form: 'a trailing comma in an object',
      text: `{\n  "apiSecret": "${SECRET}",\n}`,
      v8: /^Expected double-quoted property name/,
      where: "line 2, column 40: a trailing comma before '}'",
    },
  ])('reports $form by line and column, quoting nothing of the file', ({ text, v8, where }) => {
    expect(() => JSON.parse(text) as unknown).toThrow(v8);
    const file = join(dir, 'malformed.json');
    writeFileSync(file, text);
    let message = '';
    try {
      loadConfig(file, { env, catalog });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain(`${file}: invalid configuration\n  not valid JSON at ${where}`);
    const problem = message.slice(message.indexOf('not valid JSON'));
    for (let i = 0; i + 4 <= SECRET.length; i++) expect(problem).not.toContain(SECRET.slice(i, i + 4));
    expect(problem).not.toMatch(/'R'|"/);
  });

  it('reads a file that starts with a byte order mark', () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ accounts: [account()] })}`);
    expect(loadConfig(file, { env, catalog }).accounts).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('exposureProblem needs a token off loopback only', () => {
    expect(exposureProblem('127.0.0.1', undefined)).toBeNull();
    expect(exposureProblem('0.0.0.0', 'x'.repeat(16))).toBeNull();
    expect(exposureProblem('0.0.0.0', undefined)?.path).toBe('server.accessToken');
  });

  it('formatPath', () => {
    expect(formatPath(['accounts', 2, 'credentials', 'apiSecret'])).toBe('accounts[2].credentials.apiSecret');
    expect(formatPath(['a', 'b c'])).toBe('a["b c"]');
  });

  it('resolveConfigPath prefers the flag over the environment', () => {
    expect(resolveConfigPath('/a.json', { MARGIN_WATCH_CONFIG: '/b.json' })).toBe('/a.json');
    expect(resolveConfigPath(undefined, { MARGIN_WATCH_CONFIG: '/b.json' })).toBe('/b.json');
    expect(resolveConfigPath(undefined, {})).toBeUndefined();
  });

  it('resolveConfigPath reads a relative path from where the command was typed (npm --prefix, a subfolder)', () => {
    expect(resolveConfigPath('my.json', { INIT_CWD: '/home/desk/configs' })).toBe(
      '/home/desk/configs/my.json',
    );
    expect(resolveConfigPath(undefined, { INIT_CWD: '/home/desk', MARGIN_WATCH_CONFIG: 'c/mw.json' })).toBe(
      '/home/desk/c/mw.json',
    );
    expect(resolveConfigPath('/abs/mw.json', { INIT_CWD: '/home/desk' })).toBe('/abs/mw.json');
    expect(resolveConfigPath('mw.json', {})).toBe(join(process.cwd(), 'mw.json'));
  });

  it('secretValues lists the secret fields and extras, nothing else', () => {
    const config = parse({ accounts: [account()] });
    expect(secretValues(config.accounts, catalog, ['token-value', undefined])).toEqual([
      'env-secret-value-123',
      'token-value',
    ]);
  });

  it('configSecrets adds the access token and webhook URLs', () => {
    const config = parse({
      server: { accessToken: 'example-access-token-1234' },
      alerts: { webhooks: [{ url: 'https://hooks.slack.example/T000/B000/XXXX' }] },
      accounts: [account()],
    });
    expect(configSecrets(config, catalog)).toEqual([
      'env-secret-value-123',
      'example-access-token-1234',
      'https://hooks.slack.example/T000/B000/XXXX',
    ]);
  });
});

describe('history.url (PostgreSQL)', () => {
  it('takes a postgres:// URL with ${ENV} in it; history.path still locates the nonce file', () => {
    const config = parse(
      {
        history: { url: 'postgres://mw:${PG_PASSWORD}@db.internal:5432/margin', path: '/var/mw/h.sqlite' },
        accounts: [account()],
      },
      { ...env, PG_PASSWORD: 'pg-secret-value-42' },
    );
    expect(config.history).toEqual({
      path: '/var/mw/h.sqlite',
      url: 'postgres://mw:pg-secret-value-42@db.internal:5432/margin',
      retentionDays: 365,
      rawDays: 30,
    });
  });

  it('accepts postgresql:// and leaves the url out when not given', () => {
    expect(parse({ history: { url: 'postgresql://db/margin' }, accounts: [account()] }).history.url).toBe(
      'postgresql://db/margin',
    );
    expect(parse({ accounts: [account()] }).history).not.toHaveProperty('url');
  });

  it('refuses other schemes, text that is no URL and a URL without a server, saying why', () => {
    expect(problemsOf({ history: { url: 'mysql://db/margin' }, accounts: [account()] })).toEqual([
      {
        path: 'history.url',
        message:
          'must start with postgres:// or postgresql:// (got "mysql"); the SQLite file is history.path',
      },
    ]);
    expect(problemsOf({ history: { url: 'db.internal:5432' }, accounts: [account()] })[0]?.path).toBe(
      'history.url',
    );
    expect(problemsOf({ history: { url: 'not a url' }, accounts: [account()] })).toEqual([
      {
        path: 'history.url',
        message: 'must be a PostgreSQL URL like postgres://user:${PASSWORD}@host:5432/database',
      },
    ]);
    expect(problemsOf({ history: { url: 'postgres:///margin' }, accounts: [account()] })[0]?.message).toMatch(
      /must name the database server/,
    );
  });

  it('percent-encodes a ${ENV} password in the user part, so any character works; a whole URL stays as it is', () => {
    const password = 'p@ss/w#rd:x%20y?';
    const config = parse(
      { history: { url: 'postgres://mw:${PG_PASSWORD}@db.internal:5432/margin' }, accounts: [account()] },
      { ...env, PG_PASSWORD: password },
    );
    const url = new URL(config.history.url ?? '');
    expect([url.hostname, url.port, url.pathname, url.username]).toEqual([
      'db.internal',
      '5432',
      '/margin',
      'mw',
    ]);
    expect(decodeURIComponent(url.password)).toBe(password);
    expect(configSecrets(config, catalog)).toContain(password);

    const whole = parse(
      { history: { url: '${DATABASE_URL}' }, accounts: [account()] },
      { ...env, DATABASE_URL: 'postgres://mw:s3cret@db.internal/margin?sslmode=require' },
    );
    expect(whole.history.url).toBe('postgres://mw:s3cret@db.internal/margin?sslmode=require');
    const inPath = parse(
      { history: { url: 'postgres://mw@db.internal/${DB_NAME}' }, accounts: [account()] },
      { ...env, DB_NAME: 'desk_a' },
    );
    expect(inPath.history.url).toBe('postgres://mw@db.internal/desk_a');
    const hostOnly = parse(
      { history: { url: 'postgres://${DB_HOST}/margin' }, accounts: [account()] },
      { ...env, DB_HOST: 'db.internal:5433' },
    );
    expect(hostOnly.history.url).toBe('postgres://db.internal:5433/margin');
    const both = parse(
      { history: { url: 'postgres://${DB_USER}:${PG_PASSWORD}@${DB_HOST}/margin' }, accounts: [account()] },
      { ...env, DB_USER: 'desk_a', PG_PASSWORD: 'x/y', DB_HOST: 'db.internal:5433' },
    );
    expect(both.history.url).toBe('postgres://desk_a:x%2Fy@db.internal:5433/margin');
    const creds = parse(
      { history: { url: 'postgres://${CREDS}@db.internal/margin' }, accounts: [account()] },
      { ...env, CREDS: 'mw:s3cret' },
    );
    expect(creds.history.url).toBe('postgres://mw:s3cret@db.internal/margin');
  });

  it('refuses a URL whose password holds an unencoded @, without showing it', () => {
    const problems = problemsOf(
      { history: { url: '${DATABASE_URL}' }, accounts: [account()] },
      { ...env, DATABASE_URL: 'postgres://mw:Tr0ub4dor@corp-vault-7731/zz@127.0.0.1:5432/mw' },
    );
    expect(problems).toEqual([
      {
        path: 'history.url',
        message:
          'has more than one @ before the host: write an @ in the password as %40 (a ${NAME} for the password is encoded for you)',
      },
    ]);
    expect(JSON.stringify(problems)).not.toContain('Tr0ub4dor');
  });

  it('counts a password parameter as a secret too', () => {
    const config = parse({
      history: { url: 'postgres://mw@db/margin?password=s3cr%40t' },
      accounts: [account()],
    });
    expect(configSecrets(config, catalog)).toEqual(['env-secret-value-123', 's3cr@t']);
  });

  it("adds the URL's password, as written and decoded, to the secrets", () => {
    const config = parse({
      history: { url: 'postgres://mw:p%40ss-word-9@db/margin' },
      accounts: [account()],
    });
    expect(configSecrets(config, catalog)).toEqual(['env-secret-value-123', 'p%40ss-word-9', 'p@ss-word-9']);
    const none = parse({ history: { url: 'postgres://mw@db/margin' }, accounts: [account()] });
    expect(configSecrets(none, catalog)).toEqual(['env-secret-value-123']);
  });
});

describe('parseConfig with the four real exchanges', () => {
  it("accepts the README's example config", async () => {
    const real = exchangeCatalog();
    const environment = {
      MW_TOKEN: 'token-for-tests-only-123',
      BITOPRO_API_KEY: 'demo-bitopro-key',
      BITOPRO_API_SECRET: 'demo-bitopro-secret-not-real',
      BITOPRO_EMAIL: 'demo@example.com',
      BITSO_API_KEY: 'demo-bitso-key',
      BITSO_API_SECRET: 'demo-bitso-secret-not-real',
      B2PRIME_ACCESS_TOKEN: 'demo-b2prime-token-not-real',
      VALR_API_KEY: 'demo-valr-key',
      VALR_API_SECRET: 'demo-valr-secret-not-real',
    };
    const config = parseConfig(
      {
        server: { host: '127.0.0.1', port: 5178, allowedOrigins: [], accessToken: '${MW_TOKEN}' },
        history: { path: 'data/history.sqlite', retentionDays: 365 },
        alerts: { webhooks: [{ url: 'https://hooks.example/x', format: 'generic' }] },
        accounts: [
          {
            id: 'bitopro-main',
            exchange: 'bitopro',
            label: 'BitoPro',
            credentials: {
              apiKey: '${BITOPRO_API_KEY}',
              apiSecret: '${BITOPRO_API_SECRET}',
              identity: '${BITOPRO_EMAIL}',
            },
            thresholds: { marginCall: '1.5', liquidation: '1.1' },
          },
          {
            id: 'bitso-main',
            exchange: 'bitso',
            label: 'Bitso',
            pollSeconds: 5,
            credentials: { apiKey: '${BITSO_API_KEY}', apiSecret: '${BITSO_API_SECRET}' },
          },
          {
            id: 'b2prime-main',
            exchange: 'b2prime',
            label: 'B2Prime',
            accountId: '67d0456f8c7b1108e4cf5d46',
            endpoints: {
              rest: 'https://b2prime.example',
              ws: 'wss://b2prime.example/frontoffice/ws/v3/account',
            },
            credentials: { accessToken: '${B2PRIME_ACCESS_TOKEN}' },
            thresholds: { marginCall: '100', liquidation: '50' },
          },
          {
            id: 'valr-margin',
            exchange: 'valr',
            label: 'VALR margin',
            subaccountId: '',
            credentials: { apiKey: '${VALR_API_KEY}', apiSecret: '${VALR_API_SECRET}' },
          },
        ],
      },
      { source: 'example.json', env: environment, catalog: real, baseDir: '/srv/mw' },
    );
    expect(config.accounts.map((a) => [a.id, a.exchange])).toEqual([
      ['bitopro-main', 'bitopro'],
      ['bitso-main', 'bitso'],
      ['b2prime-main', 'b2prime'],
      ['valr-margin', 'valr'],
    ]);
    expect(config.history.path).toBe('/srv/mw/data/history.sqlite');
    expect(config.accounts[1]?.pollSeconds).toBe(5);
    expect(config.accounts[2]?.endpoints.rest).toBe('https://b2prime.example');
    expect(config.accounts[2]?.options).toEqual({ accountId: '67d0456f8c7b1108e4cf5d46' });
    expect(config.accounts[2]?.thresholds?.liquidation?.toFixed()).toBe('50');
    expect(config.accounts[0]?.endpoints.rest).toBe(real.get('bitopro')?.server.defaultEndpoints.rest);
    expect(config.accounts[3]?.options).toEqual({ subaccountId: '' });
    const secrets = secretValues(config.accounts, real, [config.server.accessToken]);
    expect(secrets).toContain('demo-bitopro-secret-not-real');
    expect(secrets).toContain('demo-valr-secret-not-real');
    expect(secrets).toContain('demo-b2prime-token-not-real');
    expect(secrets).toContain('token-for-tests-only-123');
  });

  it('refuses B2Prime thresholds written as ratios, naming the unit and the percent value', async () => {
    const real = exchangeCatalog();
    const b2prime = (thresholds: Record<string, string>) => ({
      id: 'b2prime-main',
      exchange: 'b2prime',
      accountId: '67d0456f8c7b1108e4cf5d46',
      endpoints: { rest: 'https://b2prime.example' },
      credentials: { accessToken: 'demo-b2prime-token-not-real' },
      thresholds,
    });
    const fakeAccount = account();
    const raw = {
      accounts: [
        fakeAccount,
        { ...fakeAccount, id: 'fake-2' },
        b2prime({ marginCall: '1.0', liquidation: '0.5' }),
      ],
    };
    const withReal = new Map([...real, ...catalog]);
    let problems: readonly ConfigProblem[] = [];
    try {
      parseConfig(raw, { source: 'mw.json', env, catalog: withReal });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
      expect(err.message).toContain(
        'accounts[2].thresholds.marginCall: B2Prime levels are in percent; 1.0 looks like a ratio — did you mean 100?',
      );
    }
    expect(problems).toEqual([
      {
        path: 'accounts[2].thresholds.marginCall',
        message: 'B2Prime levels are in percent; 1.0 looks like a ratio — did you mean 100?',
      },
      {
        path: 'accounts[2].thresholds.liquidation',
        message: 'B2Prime levels are in percent; 0.5 looks like a ratio — did you mean 50?',
      },
    ]);
    const ok = parseConfig(
      { accounts: [b2prime({ marginCall: '100', liquidation: '50' })] },
      { source: 'mw.json', env, catalog: real },
    );
    expect(ok.accounts[0]?.thresholds?.marginCall?.toFixed()).toBe('100');
  });

  it('keeps ratio thresholds for exchanges whose levels are ratios', async () => {
    const real = exchangeCatalog();
    const config = parseConfig(
      {
        accounts: [
          {
            id: 'bitopro-main',
            exchange: 'bitopro',
            credentials: { apiKey: 'k', apiSecret: 's', identity: 'demo@example.com' },
            thresholds: { marginCall: '1.5', liquidation: '1.1' },
          },
        ],
      },
      { source: 'mw.json', env, catalog: real },
    );
    expect(config.accounts[0]?.thresholds?.liquidation?.toFixed()).toBe('1.1');
  });
});
