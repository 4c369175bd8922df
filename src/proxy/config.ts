// The JSON config file (README, Configuration): `${NAME}` substitution from the environment, strict validation with
// readable paths, per-exchange credentials and account options, and defaults from the exchange modules.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { WEBHOOK_FORMATS } from '../contract/alerts.ts';
import { parseDecimal } from '../domain/decimal.ts';
import type { ThresholdOverrides } from '../domain/model.ts';
import { isLoopbackHost } from '../exchanges/kit/hosts.ts';
import type { AccountConfig, Endpoints } from '../exchanges/server-types.ts';
import { alertRulesConfigSchema, unknownAccountIds, type AlertRulesConfig } from './alerts/rules.ts';
import type { WebhookConfig } from './alerts/webhooks.ts';
import type { ExchangeCatalog, ExchangeEntry } from './exchanges.ts';
import { jsonSyntaxProblem } from './json-syntax.ts';
import { accountIdSchema } from './shared.ts';

/** Default listen address of the proxy. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 5178;
/** Poll interval used when neither the account nor the exchange module names one. */
export const FALLBACK_POLL_SECONDS = 10;
/** Shortest access token accepted: long enough that guessing is hopeless. */
export const MIN_ACCESS_TOKEN_LENGTH = 16;

/** One problem in the config: where (a JSON path like `accounts[2].credentials.apiSecret`) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** A config that cannot be used. `message` names the file and every problem; it never contains a value. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    const lines = problems.map((p) => (p.path ? `  ${p.path}: ${p.message}` : `  ${p.message}`));
    super(`${source}: invalid configuration\n${lines.join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ServerConfig {
  host: string;
  port: number;
  /** Origins besides the served one that may call the API (e.g. a reverse proxy's public origin). */
  allowedOrigins: string[];
  /** When set, required on every /api request and WebSocket upgrade. */
  accessToken?: string;
  /** When set, required (as `Authorization: Bearer`) by `GET /metrics`, which then ignores the access token. */
  metricsToken?: string;
}

export interface HistoryConfig {
  /**
   * Absolute path of the SQLite file. Its folder also holds the nonce file, so it is used even when `url` is set
   * (history and alerts then live in PostgreSQL, the nonces still here).
   */
  path: string;
  /** A PostgreSQL database (postgres:// or postgresql://) holding history and alerts instead of the SQLite file. */
  url?: string;
  retentionDays: number;
  /** Days raw samples are kept; older history is answered from the 1-minute (and coarser) rollups. */
  rawDays: number;
}

export interface MarginWatchConfig {
  /** Where the config came from (file path), for messages. */
  source: string;
  server: ServerConfig;
  history: HistoryConfig;
  alerts: { webhooks: WebhookConfig[]; rules?: AlertRulesConfig };
  accounts: AccountConfig[];
}

/** The config file named by `--config`, else by MARGIN_WATCH_CONFIG; undefined means demo mode. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const chosen = flag ?? env.MARGIN_WATCH_CONFIG;
  // A relative path is the user's: npm runs scripts in the project folder but says where it was typed (INIT_CWD).
  const base = env.INIT_CWD?.trim() || process.cwd();
  return chosen && chosen.trim() !== '' ? resolve(base, chosen) : undefined;
}

type PathSegment = string | number;

/** `['accounts', 2, 'credentials', 'apiSecret']` → `accounts[2].credentials.apiSecret`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

const ENV_REFERENCE = /\$\$|\$\{([^}]*)\}?/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Config paths whose value is a URL whose user part may take a `${NAME}` (the PostgreSQL password). */
const URL_PATHS = new Set(['history.url']);

/**
 * Replaces `${NAME}` in every string value (not in keys) with the environment variable NAME; `$$` is a literal `$`.
 * In a URL's password (`history.url`, between `//user:` and the host's `@`) the value is percent-encoded, so a
 * password with `@`, `/`, `#`, `:` or `%` in it is taken as it is. Problems (missing variables, malformed references) are
 * appended to `problems` and name the variable only.
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
  path: PathSegment[] = [],
): unknown {
  if (typeof value === 'string') {
    const isUrl = URL_PATHS.has(formatPath(path));
    return value.replace(ENV_REFERENCE, (match: string, name: string | undefined, offset: number) => {
      if (match === '$$') return '$';
      if (name === undefined || !match.endsWith('}') || !ENV_NAME.test(name)) {
        problems.push({
          path: formatPath(path),
          message: 'malformed ${…} reference (use ${NAME}, or $$ for $)',
        });
        return '';
      }
      const replacement = env[name];
      if (replacement === undefined) {
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
        return '';
      }
      // The password: after `scheme://user:` and before the `@` that ends the user part, as the text around the
      // reference is written. A reference standing for more (the whole user part, a host) is left as it is.
      const isPassword =
        isUrl &&
        /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:[^/?#@]*$/i.test(value.slice(0, offset)) &&
        /^[^/?#]*@/.test(value.slice(offset + match.length));
      return isPassword ? encodeURIComponent(replacement) : replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, problems, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = substituteEnv(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}

/** True for a listen address meaning every interface (0.0.0.0, ::). */
export function isWildcardHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return h === '0.0.0.0' || h === '::' || h === '[::]';
}

/** A non-loopback listen address needs an access token; returns the problem, or null. */
export function exposureProblem(host: string, accessToken: string | undefined): ConfigProblem | null {
  if (isLoopbackHost(host) || accessToken) return null;
  return {
    path: 'server.accessToken',
    message: `required when listening on ${host}, which is not a loopback address`,
  };
}

function httpUrl(protocols: readonly string[]): z.ZodType<string> {
  return z.string().refine(
    (text) => {
      try {
        const url = new URL(text);
        return protocols.includes(url.protocol) && url.username === '' && url.password === '';
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL without credentials` },
  );
}

const originSchema = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
    } catch {
      return false;
    }
  },
  { message: 'must be an origin like https://dash.example.com (scheme, host, optional port; no path)' },
);

const serverSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  allowedOrigins: z.array(originSchema).optional(),
  accessToken: z
    .string()
    .min(MIN_ACCESS_TOKEN_LENGTH, { message: `must be at least ${MIN_ACCESS_TOKEN_LENGTH} characters` })
    .optional(),
  metricsToken: z
    .string()
    .min(MIN_ACCESS_TOKEN_LENGTH, { message: `must be at least ${MIN_ACCESS_TOKEN_LENGTH} characters` })
    .optional(),
});

/** The URL schemes `history.url` accepts. */
const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:'];

const postgresUrl = z.string().superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a PostgreSQL URL like postgres://user:${PASSWORD}@host:5432/database',
    });
    return;
  }
  if (!POSTGRES_PROTOCOLS.includes(url.protocol)) {
    ctx.addIssue({
      code: 'custom',
      message: `must start with postgres:// or postgresql:// (got ${JSON.stringify(url.protocol.replace(/:$/, ''))}); the SQLite file is history.path`,
    });
  } else if ((text.split('?')[0]?.split('@').length ?? 1) > 2) {
    // The driver would take what follows the first @ as the host: part of the password would be dialled (and
    // shown in its errors) as a host name.
    ctx.addIssue({
      code: 'custom',
      message:
        'has more than one @ before the host: write an @ in the password as %40 (a ${NAME} for the password is encoded for you)',
    });
  } else if (url.hostname === '' && !url.searchParams.has('host')) {
    ctx.addIssue({
      code: 'custom',
      message: 'must name the database server, e.g. postgres://user@host/database',
    });
  }
});

const historySchema = z.strictObject({
  path: z.string().min(1).optional(),
  url: postgresUrl.optional(),
  retentionDays: z.number().int().min(1).max(36_500).optional(),
  rawDays: z.number().int().min(1).max(36_500).optional(),
});

const webhookSchema = z.strictObject({
  url: httpUrl(['https:', 'http:']),
  format: z.enum(WEBHOOK_FORMATS).optional(),
});

const alertsSchema = z.strictObject({
  webhooks: z.array(webhookSchema).optional(),
  rules: alertRulesConfigSchema.optional(),
});

const rootSchema = z.strictObject({
  server: serverSchema.optional(),
  history: historySchema.optional(),
  alerts: alertsSchema.optional(),
  accounts: z.array(z.unknown()).min(1, { message: 'at least one account is required' }),
});

const thresholdText = z.string().refine((text) => parseDecimal(text)?.gt(0) ?? false, {
  message: 'must be a positive decimal written as a string, e.g. "1.5"',
});

const thresholdsSchema = z.strictObject({
  marginCall: thresholdText.optional(),
  liquidation: thresholdText.optional(),
  takeover: thresholdText.optional(),
});

const endpointsSchema = z.strictObject({
  rest: httpUrl(['https:', 'http:']).optional(),
  ws: httpUrl(['wss:', 'ws:', 'https:', 'http:']).optional(),
});

function accountSchema(entry: ExchangeEntry): z.ZodType<Record<string, unknown>> {
  const credentials =
    entry.server.credentials instanceof z.ZodObject
      ? entry.server.credentials.strict()
      : entry.server.credentials;
  return z.strictObject({
    id: accountIdSchema,
    exchange: z.literal(entry.id),
    label: z.string().trim().min(1).max(100).optional(),
    credentials,
    thresholds: thresholdsSchema.optional(),
    endpoints: endpointsSchema.optional(),
    pollSeconds: z.number().min(1).max(3_600).optional(),
    ...entry.server.accountOptions,
  });
}

function issuesOf(error: z.ZodError, prefix: PathSegment[]): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.filter((p): p is PathSegment => typeof p !== 'symbol')];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown key' }));
    }
    return [{ path: formatPath(path), message: issue.message }];
  });
}

function toOverrides(
  thresholds: z.infer<typeof thresholdsSchema> | undefined,
): ThresholdOverrides | undefined {
  if (!thresholds) return undefined;
  const out: ThresholdOverrides = {};
  for (const key of ['marginCall', 'liquidation', 'takeover'] as const) {
    const text = thresholds[key];
    const value = text === undefined ? null : parseDecimal(text);
    if (value) out[key] = value;
  }
  return out;
}

/** The first pair of given thresholds out of order (marginCall ≥ liquidation ≥ takeover), or null. */
function orderProblem(overrides: ThresholdOverrides | undefined): string | null {
  if (!overrides) return null;
  const pairs = [
    ['marginCall', 'liquidation'],
    ['liquidation', 'takeover'],
    ['marginCall', 'takeover'],
  ] as const;
  for (const [higher, lower] of pairs) {
    const high = overrides[higher];
    const low = overrides[lower];
    if (high && low && high.lt(low)) return `${higher} must not be below ${lower}`;
  }
  return null;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function parseAccount(
  raw: unknown,
  index: number,
  catalog: ExchangeCatalog,
  problems: ConfigProblem[],
): AccountConfig | null {
  const at = (...rest: PathSegment[]): string => formatPath(['accounts', index, ...rest]);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ path: at(), message: 'must be an object' });
    return null;
  }
  const exchange = (raw as Record<string, unknown>).exchange;
  if (typeof exchange !== 'string') {
    problems.push({ path: at('exchange'), message: `required: one of ${[...catalog.keys()].join(', ')}` });
    return null;
  }
  const entry = catalog.get(exchange);
  if (!entry) {
    problems.push({
      path: at('exchange'),
      message: `unknown exchange ${JSON.stringify(exchange)} (known: ${[...catalog.keys()].join(', ')})`,
    });
    return null;
  }
  const parsed = accountSchema(entry).safeParse(raw);
  if (!parsed.success) {
    problems.push(...issuesOf(parsed.error, ['accounts', index]));
    return null;
  }
  const data = parsed.data as {
    id: string;
    label?: string;
    credentials: Record<string, string>;
    thresholds?: z.infer<typeof thresholdsSchema>;
    endpoints?: Partial<Endpoints>;
    pollSeconds?: number;
  } & Record<string, unknown>;
  const thresholds = toOverrides(data.thresholds);
  const order = orderProblem(thresholds);
  if (order) problems.push({ path: at('thresholds'), message: order });
  for (const problem of data.thresholds ? (entry.server.checkThresholds?.(data.thresholds) ?? []) : []) {
    problems.push({ path: at('thresholds', problem.key), message: problem.message });
  }

  const options: Record<string, unknown> = {};
  for (const key of Object.keys(entry.server.accountOptions)) {
    if (data[key] !== undefined) options[key] = data[key];
  }
  const endpoints: Endpoints = { ...entry.server.defaultEndpoints, ...data.endpoints };
  endpoints.rest = withoutTrailingSlash(endpoints.rest);
  return {
    id: data.id,
    exchange: entry.id,
    label: data.label ?? data.id,
    credentials: data.credentials,
    ...(thresholds ? { thresholds } : {}),
    endpoints,
    pollSeconds: data.pollSeconds ?? entry.browser.defaultPollSeconds ?? FALLBACK_POLL_SECONDS,
    options,
  };
}

export interface ParseConfigOptions {
  /** Name of the config's source (the file path) for messages. */
  source: string;
  env: NodeJS.ProcessEnv;
  catalog: ExchangeCatalog;
  /** Directory relative paths (history.path) resolve against; default the source file's directory. */
  baseDir?: string;
}

/** Validates an already-decoded config value. Throws ConfigError listing every problem. */
export function parseConfig(raw: unknown, options: ParseConfigOptions): MarginWatchConfig {
  const problems: ConfigProblem[] = [];
  const substituted = substituteEnv(raw, options.env, problems);
  if (problems.length > 0) throw new ConfigError(options.source, problems);

  const root = rootSchema.safeParse(substituted);
  if (!root.success) throw new ConfigError(options.source, issuesOf(root.error, []));
  const { server = {}, history = {}, alerts = {}, accounts: rawAccounts } = root.data;

  const accounts: AccountConfig[] = [];
  const seen = new Map<string, number>();
  rawAccounts.forEach((rawAccount, index) => {
    const account = parseAccount(rawAccount, index, options.catalog, problems);
    if (!account) return;
    const first = seen.get(account.id);
    if (first !== undefined) {
      problems.push({
        path: formatPath(['accounts', index, 'id']),
        message: `duplicate id ${JSON.stringify(account.id)} (also accounts[${first}])`,
      });
      return;
    }
    seen.set(account.id, index);
    accounts.push(account);
  });

  for (const id of unknownAccountIds(alerts.rules, seen.keys())) {
    problems.push({
      path: formatPath(['alerts', 'rules', 'accounts', id]),
      message: 'no account has this id',
    });
  }

  const host = server.host ?? DEFAULT_HOST;
  const exposure = exposureProblem(host, server.accessToken);
  if (exposure) problems.push(exposure);
  if (problems.length > 0) throw new ConfigError(options.source, problems);

  const baseDir = options.baseDir ?? dirname(resolve(options.source));
  return {
    source: options.source,
    server: {
      host,
      port: server.port ?? DEFAULT_PORT,
      allowedOrigins: server.allowedOrigins ?? [],
      ...(server.accessToken ? { accessToken: server.accessToken } : {}),
      ...(server.metricsToken ? { metricsToken: server.metricsToken } : {}),
    },
    history: {
      path: resolve(baseDir, history.path ?? 'data/history.sqlite'),
      retentionDays: history.retentionDays ?? 365,
      rawDays: history.rawDays ?? 30,
      ...(history.url !== undefined ? { url: history.url } : {}),
    },
    alerts: {
      webhooks: (alerts.webhooks ?? []).map((w) => ({ url: w.url, format: w.format ?? 'generic' })),
      ...(alerts.rules ? { rules: alerts.rules } : {}),
    },
    accounts,
  };
}

/** Reads, substitutes and validates the config file at `file`. Throws ConfigError. */
export function loadConfig(
  file: string,
  options: Omit<ParseConfigOptions, 'source' | 'baseDir'>,
): MarginWatchConfig {
  return parseConfig(readConfigFile(file), { ...options, source: file });
}

/** Reads and JSON-decodes a config file (no validation). Throws ConfigError naming the file. */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`;
    throw new ConfigError(file, [{ path: '', message: why }]);
  }
  // An editor's byte order mark is not part of the JSON.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse's message quotes the file (which holds secrets): say only where and what was expected.
    const problem = jsonSyntaxProblem(text);
    const message = problem
      ? `not valid JSON at line ${problem.line}, column ${problem.column}: ${problem.reason}`
      : 'not valid JSON';
    throw new ConfigError(file, [{ path: '', message }]);
  }
}

/**
 * Every value that must never leave the proxy: the credential fields each exchange marks secret, the access
 * token, and webhook URLs (Slack and Telegram URLs embed their own secret).
 */
export function secretValues(
  accounts: readonly AccountConfig[],
  catalog: ExchangeCatalog,
  extra: readonly (string | undefined)[] = [],
): string[] {
  const out = new Set<string>();
  for (const account of accounts) {
    const fields = catalog.get(account.exchange)?.server.secretFields ?? Object.keys(account.credentials);
    for (const field of fields) {
      const value = account.credentials[field];
      if (value) out.add(value);
    }
  }
  for (const value of extra) if (value) out.add(value);
  return [...out];
}

/**
 * The password of a PostgreSQL URL, in its user part or a `password` parameter, as written and decoded (either
 * may appear in a driver's message).
 */
function urlPasswords(url: string | undefined): string[] {
  if (url === undefined) return [];
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      // Not valid percent-encoding: the text as written is the secret.
      return text;
    }
  };
  try {
    const parsed = new URL(url);
    const written = [parsed.password, ...parsed.searchParams.getAll('password')].filter((p) => p !== '');
    return written.flatMap((password) => [password, decode(password)]);
  } catch {
    return [];
  }
}

/**
 * Every secret of a loaded config: account secrets, the access and metrics tokens, webhook URLs and the password
 * of the PostgreSQL history database.
 */
export function configSecrets(config: MarginWatchConfig, catalog: ExchangeCatalog): string[] {
  return secretValues(config.accounts, catalog, [
    config.server.accessToken,
    config.server.metricsToken,
    ...config.alerts.webhooks.map((w) => w.url),
    ...urlPasswords(config.history.url),
  ]);
}
