// The proxy's HTTP server: dashboard (dist/, SPA fallback), the read-only API, the REST relay and the stream.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AccountDto, Health, RawMessagesDto } from '../contract/accounts.ts';
import type { NonceSource } from '../exchanges/server-types.ts';
import { DatabaseUnavailableError } from './db/sql.ts';
import type { AccountManager } from './accounts.ts';
import { ConfigError, exposureProblem, isWildcardHost } from './config.ts';
import type { ExchangeCatalog } from './exchanges.ts';
import type { HttpGetOptions } from '../exchanges/kit/http-client.ts';
import { attachWebSocket, type StreamHub } from './hub.ts';
import type { ProxyLogger } from './log.ts';
import type { ProxyMetrics } from './metrics.ts';
import { registerMetricsRoute } from './metrics-route.ts';
import { registerRelay } from './relay.ts';
import {
  clientKey,
  ConnectionLimit,
  frameworkErrorHandler,
  isApiRequest,
  MAX_STREAMS_PER_CLIENT,
  registerSecurity,
  RequestGuard,
} from './security.ts';
import { sendError } from './shared.ts';

export type RunMode = 'demo' | 'live';

export interface ServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  allowedOrigins?: readonly string[];
  /** Trusted origins beyond the config (the Vite dev server with `--dev`). */
  extraOrigins?: readonly string[];
  accessToken?: string;
  /** `GET /metrics`; absent: no metrics route. */
  metrics?: ProxyMetrics;
  /** Required by `GET /metrics` when set (else the access token is, when set). */
  metricsToken?: string;
  mode: RunMode;
  accounts: AccountManager;
  hub: StreamHub;
  catalog: ExchangeCatalog;
  nonces: NonceSource;
  log: ProxyLogger;
  /** The built dashboard; null or missing: API only, with a hint on `/`. */
  distDir?: string | null;
  /** Upstream limits for the relay. */
  http?: Pick<HttpGetOptions, 'timeoutMs' | 'maxBytes'>;
  /** Registers further read-only routes (history, alerts) before listening; the same guard applies to them. */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
  /** Wrong access tokens allowed per client address and window; default FAILED_TOKEN_LIMIT. */
  failedTokenLimit?: { max: number; windowMs: number };
  /** Open streams allowed per client address; default MAX_STREAMS_PER_CLIENT. */
  maxStreamsPerClient?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:5178 */
  url: string;
  /** Trusts more origins from now on (the Vite dev server, started once the proxy's port is known). */
  addOrigins(origins: readonly string[]): void;
  /** Stops listening and closes every connection, WebSockets included. */
  close(): Promise<void>;
}

/** Browser → proxy WebSocket frames are ignored; this caps what one may cost. */
const MAX_INBOUND_FRAME = 4 * 1024;
/** WebSocket close code for a stream over its client's limit ("try again later"). */
const CLOSE_TRY_LATER = 1013;

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Builds the app, listens, and returns its URL. Refuses a non-loopback host without an access token. */
export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const exposure = exposureProblem(options.host, options.accessToken);
  if (exposure) throw new ConfigError('server options', [exposure]);
  const log = options.log.child({ component: 'server' });
  const guard = new RequestGuard({
    host: options.host,
    allowedOrigins: options.allowedOrigins ?? [],
    extraOrigins: options.extraOrigins ?? [],
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
  });
  const app = Fastify({
    logger: false,
    trustProxy: false,
    bodyLimit: 16 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    // Requests the router refuses before any hook runs (bad percent-encoding) get the guard's answer too.
    frameworkErrors: frameworkErrorHandler(guard),
  });

  // The WebSocket plugin's own hooks must run first: they mark upgrade requests so that a refused upgrade's
  // socket is closed once the refusal is sent.
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_INBOUND_FRAME } });
  await registerSecurity(app, guard, {
    log: options.log.child({ component: 'security' }),
    ...(options.failedTokenLimit ? { failedTokenLimit: options.failedTokenLimit } : {}),
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof DatabaseUnavailableError) {
      // An outage of PostgreSQL: one line, no stack (the write queues say when writing fails and works again).
      log.warn('request failed: the history database is not answering', {
        url: request.raw.url,
        reason: error.reason,
      });
      return sendError(reply, 503, error.message);
    }
    const code = (error as { statusCode?: unknown }).statusCode;
    const status = typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
    if (status >= 500) log.error('request failed', { url: request.raw.url, error });
    const message = status < 500 && error instanceof Error ? error.message : 'internal error';
    return sendError(reply, status, message);
  });

  const distDir = options.distDir ?? null;
  const index = distDir ? join(distDir, 'index.html') : null;
  app.setNotFoundHandler((request, reply) => {
    if (isApiRequest(request) || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return sendError(reply, 404, 'not found');
    }
    if (index && existsSync(index)) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
    }
    return reply
      .code(503)
      .header('content-type', 'text/plain; charset=utf-8')
      .send(
        'Margin Watch: the dashboard is not built. Run `npm run build` (or `npm start`, which builds it).\n',
      );
  });

  if (distDir && existsSync(distDir)) {
    await app.register(fastifyStatic, {
      root: distDir,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply, path) => {
        const hashed = /[\\/]assets[\\/]/.test(path);
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.get(
    '/api/health',
    async () =>
      ({
        status: 'ok',
        mode: options.mode,
        accounts: options.accounts.list().length,
      }) satisfies Health,
  );
  app.get('/api/accounts', async () => options.accounts.summaries() satisfies AccountDto[]);
  // The latest raw message of each channel, for support: shown as received, never parsed by the browser. Known
  // secrets are scrubbed like everything else the proxy sends.
  app.get<{ Params: { id: string } }>('/api/accounts/:id/raw', async (request, reply) => {
    const id = request.params.id;
    if (!options.accounts.get(id)) return sendError(reply, 404, `no account ${id}`);
    const body: RawMessagesDto = options.accounts.rawMessages(id);
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(options.log.redactor.text(JSON.stringify(body)));
  });
  const streams = new ConnectionLimit(options.maxStreamsPerClient ?? MAX_STREAMS_PER_CLIENT);
  const tooManyStreams = `too many open streams from this address (at most ${streams.max}): close another dashboard tab`;
  app.get(
    '/api/stream',
    {
      websocket: true,
      // Refused before the upgrade when possible; the handler enforces the limit for upgrades racing this check.
      preValidation: async (request, reply) => {
        if (streams.full(clientKey(request))) return sendError(reply, 429, tooManyStreams);
      },
    },
    (socket, request) => {
      const release = streams.acquire(clientKey(request));
      if (!release) return socket.close(CLOSE_TRY_LATER, 'too many open streams from this address');
      socket.once('close', release);
      attachWebSocket(options.hub, socket);
    },
  );
  if (options.metrics) {
    registerMetricsRoute(app, {
      metrics: options.metrics,
      log: options.log,
      ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
      ...(options.failedTokenLimit ? { failedTokenLimit: options.failedTokenLimit } : {}),
    });
  }
  registerRelay(app, {
    accounts: options.accounts,
    catalog: options.catalog,
    nonces: options.nonces,
    log: options.log,
    ...(options.http ? { http: options.http } : {}),
  });

  await options.extraRoutes?.(app);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  guard.setPort(port);
  const wildcard = isWildcardHost(options.host);
  // On every interface, the guard still accepts only loopback names and the hosts of allowedOrigins in Host:
  // the URL shown is the loopback one, which works on this machine.
  const shownHost = wildcard ? '127.0.0.1' : options.host;
  if (wildcard && (options.allowedOrigins ?? []).length === 0) {
    log.warn(
      `listening on all interfaces (${options.host}), but other machines are refused until the address they ` +
        `open is in server.allowedOrigins, e.g. "http://<this machine's name>:${port}"`,
    );
  }
  return {
    app,
    url: `http://${urlHost(shownHost)}:${port}`,
    addOrigins: (origins) => guard.addOrigins(origins),
    close: () => app.close(),
  };
}
