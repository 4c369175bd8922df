// Request gatekeeping for every HTTP request and WebSocket upgrade: Host and Origin checks (DNS rebinding and
// cross-site requests), GET-only API, path tricks, the optional access token and its sessions, a limit on failed
// token attempts, and security headers.
import { createHash, randomBytes } from 'node:crypto';
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../exchanges/kit/signing.ts';
import { isWildcardHost } from './config.ts';
import type { ProxyLogger } from './log.ts';
import { sendError } from './shared.ts';

/** Name of the session cookie a browser gets after opening `/?token=…` over plain HTTP. */
export const SESSION_COOKIE = 'mw_session';
/**
 * Name of the session cookie over HTTPS: the `__Host-` prefix makes the browser refuse it unless it is `Secure`,
 * set by this host itself (not a parent domain) and for the whole path, so a neighbour cannot plant or shadow it.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
/** How long a session is valid, counted from when it was issued (checked by the proxy, not only the browser). */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600;
/** Sessions kept at most; the oldest goes first (each needs the access token to create). */
const MAX_SESSIONS = 1000;
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The request header every API call except `/api/health` and the stream must carry, with the value `1`. A page
 * on another site cannot add a custom header to an `<img>`, `<script>` or form request, and a cross-site `fetch`
 * that adds one needs a CORS preflight, which the proxy never grants.
 */
export const API_HEADER = 'x-margin-watch';
/** API paths open without API_HEADER: the health check and the stream (its upgrade has its own Origin check). */
const WITHOUT_API_HEADER = new Set(['/api/health', '/api/stream']);

export interface GuardOptions {
  /** The configured listen host. */
  host: string;
  /** Origins besides the served one that may call the API (config `server.allowedOrigins`). */
  allowedOrigins: readonly string[];
  /** Further trusted origins (the Vite dev server in `--dev`). */
  extraOrigins?: readonly string[];
  accessToken?: string;
  /** Clock for sessions (ms epoch); default Date.now. */
  now?: () => number;
}

/** Why a raw request target is refused before any routing or allowlist matching, or null when it is clean. */
export function unsafePathReason(rawUrl: string): string | null {
  if ([...rawUrl].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return 'control character in URL';
  if (rawUrl.includes('#')) return 'fragment in URL';
  const query = rawUrl.indexOf('?');
  const path = query < 0 ? rawUrl : rawUrl.slice(0, query);
  if (!path.startsWith('/')) return 'URL must be a path';
  if (path.includes('\\')) return 'backslash in path';
  if (/%(?:2f|5c|2e|25)/i.test(path)) return 'encoded slash, backslash, dot or percent in path';
  if (/%(?:[01][0-9a-f]|7f)/i.test(path)) return 'encoded control character in path';
  if (path.includes('//')) return 'empty path segment';
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return 'dot segment in path';
  return null;
}

/**
 * `host:port` spellings a Host header or URL authority stands for, lowercased. Without a port it may mean 80 or
 * 443 (a Host header does not say which scheme the client used, e.g. behind a TLS-terminating reverse proxy).
 */
function authorities(authority: string): string[] {
  const text = authority.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]/@\s]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match?.[1]) return [];
  return match[2] ? [`${match[1]}:${match[2]}`] : [`${match[1]}:80`, `${match[1]}:443`];
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Every value of the cookies named `name` in a Cookie header. A browser sends several cookies of one name when
 * they differ in path or domain, e.g. one planted by a page on another port of the same host (cookies ignore
 * ports), and their order says nothing about which is genuine.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/**
 * The sessions the proxy has issued, in memory: random ids, each valid for 30 days. Only a SHA-256 of each id is
 * kept, so a lookup reveals nothing about valid ids through its timing. A restart signs every browser out (as
 * does a new access token, which takes a restart).
 */
export class SessionStore {
  /** SHA-256 (hex) of the id → when it expires (ms epoch), oldest first. */
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = MAX_SESSIONS,
  ) {}

  /** A new session id (43 URL-safe characters, 256 random bits). */
  issue(): string {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    for (const [key, expires] of this.sessions) if (expires < now) this.sessions.delete(key);
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next();
      if (oldest.done) break;
      this.sessions.delete(oldest.value);
    }
    this.sessions.set(sha256(id).toString('hex'), now + SESSION_MAX_AGE_SECONDS * 1000);
    return id;
  }

  /** True for an id this store issued that has not expired. */
  valid(id: string): boolean {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return false;
    const key = sha256(id).toString('hex');
    const expires = this.sessions.get(key);
    if (expires === undefined) return false;
    if (this.now() > expires) {
      this.sessions.delete(key);
      return false;
    }
    return true;
  }

  /** Ends every session. */
  revokeAll(): void {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
}

/** The Host/Origin/token policy of one server. The served port is known only after listening. */
export class RequestGuard {
  private port = 0;
  private hosts = new Set<string>();
  /** Host authorities of the configured https:// origins: requests for them are served over HTTPS. */
  private httpsHosts = new Set<string>();
  private origins = new Set<string>();
  private extra: readonly string[];
  /** The browser sessions opened with the access token. */
  readonly sessions: SessionStore;

  constructor(private readonly options: GuardOptions) {
    this.extra = options.extraOrigins ?? [];
    this.sessions = new SessionStore(options.now ?? Date.now);
    this.rebuild();
  }

  /** Whether API requests need the access token. */
  get tokenRequired(): boolean {
    return this.options.accessToken !== undefined;
  }

  /** Trusts more origins (and their hosts) from now on, e.g. a dev server started after the proxy. */
  addOrigins(origins: readonly string[]): void {
    this.extra = [...this.extra, ...origins];
    this.rebuild();
  }

  /** Sets the port the server actually listens on (after `listen`, which may have chosen it). */
  setPort(port: number): void {
    this.port = port;
    this.rebuild();
  }

  private rebuild(): void {
    const names = [...LOOPBACK_NAMES];
    const configured = this.options.host.trim().toLowerCase();
    const wildcard = isWildcardHost(configured);
    const bracketed =
      configured.includes(':') && !configured.startsWith('[') ? `[${configured}]` : configured;
    if (!wildcard && !names.includes(bracketed)) names.push(bracketed);
    const hosts = new Set<string>();
    const httpsHosts = new Set<string>();
    const origins = new Set<string>();
    for (const name of names) {
      for (const a of authorities(`${name}:${this.port}`)) hosts.add(a);
      if (URL.canParse(`http://${name}:${this.port}`))
        origins.add(new URL(`http://${name}:${this.port}`).origin);
    }
    for (const origin of [...this.options.allowedOrigins, ...this.extra]) {
      const url = new URL(origin);
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      for (const a of authorities(`${url.hostname}:${port}`)) {
        hosts.add(a);
        if (url.protocol === 'https:') httpsHosts.add(a);
      }
      origins.add(url.origin);
    }
    this.hosts = hosts;
    this.httpsHosts = httpsHosts;
    this.origins = origins;
  }

  /** True when the Host header names this server (loopback names with the served port, or a configured name). */
  hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    return authorities(host).some((a) => this.hosts.has(a));
  }

  /** True when `origin` is the served origin or an allowed one. */
  originAllowed(origin: string): boolean {
    return this.origins.has(origin.toLowerCase());
  }

  /**
   * True when the Cookie header holds a valid session: any cookie of either session name counts, so a cookie
   * planted beside the real one (by a page on another port of this host) cannot lock the user out.
   */
  sessionPresent(cookieHeader: string | undefined): boolean {
    const ids = [SECURE_SESSION_COOKIE, SESSION_COOKIE].flatMap((name) => cookieValues(cookieHeader, name));
    return ids.some((id) => this.sessions.valid(id));
  }

  /**
   * Whether a request reached the proxy over HTTPS: on a TLS socket, or addressed (Host) to an `https://` origin
   * of `allowedOrigins`, the usual TLS-terminating reverse proxy in front of it.
   */
  servedOverHttps(host: string | undefined, protocol: string): boolean {
    if (protocol === 'https') return true;
    return authorities(host ?? '').some((a) => this.httpsHosts.has(a));
  }

  /** True when `token` is the access token. */
  tokenMatches(token: string): boolean {
    return this.options.accessToken !== undefined && constantTimeEqual(token, this.options.accessToken);
  }

  /**
   * The Set-Cookie value that lets a browser in after `/?token=…`: a new random session id, valid for 30 days in
   * this proxy's memory. Over HTTPS it is the `__Host-` cookie, `Secure`.
   */
  sessionCookie(secure: boolean): string {
    const id = this.sessions.issue();
    const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
    const flags = secure ? '; Secure' : '';
    return `${name}=${id}; Path=/${flags}; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_SECONDS}`;
  }
}

/** Whether a request targets the API: by its matched route, or by its path (also for unmatched /api URLs). */
export function isApiRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route?.startsWith('/api')) return true;
  let path = (request.raw.url ?? '/').split('?')[0] ?? '/';
  try {
    path = decodeURIComponent(path);
  } catch {
    // Malformed escapes stay as they are; the path checks refuse them.
  }
  return /^\/+api(?:\/|$)/i.test(path);
}

/** Content-Security-Policy for a response served under `host` (null: unknown): only this origin and its WebSocket. */
export function contentSecurityPolicy(host: string | null): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    host ? `connect-src 'self' ws://${host} wss://${host}` : "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The one write the API accepts: Margin Watch's own alert rules (`PUT /api/alerts/rules`). It changes nothing at
 * any exchange; every exchange path stays GET-only through the relay.
 */
function settingsWrite(method: string, rawUrl: string): boolean {
  return method === 'PUT' && rawUrl.split('?')[0] === '/api/alerts/rules';
}

/** Failed access-token attempts allowed per client address (an IPv6 address by its /64) and window. */
export const FAILED_TOKEN_LIMIT = { max: 10, windowMs: 60_000 };
/** Open streams (`WS /api/stream`) allowed per client address: one per dashboard tab. */
export const MAX_STREAMS_PER_CLIENT = 32;

/** The client a request comes from, for per-client limits: its address, an IPv6 address by its /64. */
export function clientKey(request: FastifyRequest): string {
  return normalizeIP(request.ip || 'unknown');
}

/** Open connections per client, each client capped at `max`. */
export class ConnectionLimit {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** True when `key` has `max` connections open. */
  full(key: string): boolean {
    return (this.open.get(key) ?? 0) >= this.max;
  }

  /** Counts one more connection of `key`, unless it is full; returns the function that ends it, or null. */
  acquire(key: string): (() => void) | null {
    if (this.full(key)) return null;
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }
}

/** The first refusal by Host and Origin alone (they apply to every request, routed or not), or null. */
function hostOrOriginRefusal(guard: RequestGuard, request: FastifyRequest): string | null {
  const headers = request.headers;
  if (!guard.hostAllowed(headers.host)) return 'Host header not allowed';
  const upgrade = (headers.upgrade ?? '').toLowerCase() === 'websocket';
  const origin = headers.origin;
  if (upgrade && (origin === undefined || origin === 'null')) return 'WebSocket upgrade without an Origin';
  if (origin !== undefined && !guard.originAllowed(origin)) return 'Origin not allowed';
  return null;
}

/** Sets the headers every answer carries (CSP for the request's own host, no referrer, no framing, …). */
function setSecurityHeaders(guard: RequestGuard, request: FastifyRequest, reply: FastifyReply): void {
  const host = request.headers.host;
  reply.header(
    'content-security-policy',
    contentSecurityPolicy(host && guard.hostAllowed(host) ? host : null),
  );
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  if (isApiRequest(request)) reply.header('cache-control', 'no-store');
}

/** What a framework error found before routing means, in words that never repeat the request. */
function frameworkErrorAnswer(code: string | undefined): { status: number; message: string } {
  if (code === 'FST_ERR_BAD_URL') return { status: 400, message: 'malformed URL (invalid percent-encoding)' };
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') return { status: 414, message: 'URL too long' };
  return { status: 500, message: 'internal error' };
}

/**
 * Fastify's `frameworkErrors`: a request refused before routing (malformed percent-encoding, an over-long URL
 * parameter) goes through the same Host and Origin checks and gets the API's `{ "error": … }` shape and the
 * security headers; the URL is never echoed. (Hooks do not run for such requests.)
 */
export function frameworkErrorHandler(
  guard: RequestGuard,
): (error: { code?: string }, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    // A refused WebSocket upgrade has no HTTP connection to return to: close its socket once answered.
    if ((request.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      reply.raw.once('finish', () => request.raw.socket.destroy());
    }
    setSecurityHeaders(guard, request, reply);
    reply.header('cache-control', 'no-store');
    const refusal = hostOrOriginRefusal(guard, request);
    if (refusal) {
      void sendError(reply, 403, refusal);
      return;
    }
    const { status, message } = frameworkErrorAnswer(error.code);
    void sendError(reply, status, message);
  };
}

/** Serializes async work per key: the check and the count of one token attempt happen before the next starts. */
function perKeyQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, work) => {
    const result = (tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}

export interface SecurityOptions {
  log: ProxyLogger;
  /** Failed access-token attempts allowed per client and window; default FAILED_TOKEN_LIMIT. */
  failedTokenLimit?: { max: number; windowMs: number };
}

/**
 * Installs the guard on every request and upgrade, in this order: Host (403), Origin (403; a missing or `null`
 * Origin is refused on WebSocket upgrades), API requests without Origin that the browser marks cross-site or
 * same-site in `Sec-Fetch-Site` (403), non-GET on the API (405), a settings write without Origin (403), path
 * tricks on the API (403), access token on the API (401), and the `X-Margin-Watch: 1` header on every API
 * request but the health check and the stream (403). `GET /?token=…` trades a valid token for an HttpOnly
 * SameSite=Strict session cookie and redirects to `/`. A client with too many wrong tokens (in `Authorization:
 * Bearer` or `/?token=`) in a window is refused (429) before its next token is even compared; each wrong token
 * is logged with the client's address, never the token.
 */
export async function registerSecurity(
  app: FastifyInstance,
  guard: RequestGuard,
  options: SecurityOptions,
): Promise<void> {
  const log = options.log;
  const limit = options.failedTokenLimit ?? FAILED_TOKEN_LIMIT;
  await app.register(fastifyRateLimit, { global: false });
  const failures = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs });
  const serially = perKeyQueue();

  /**
   * Checks a presented access token under the client's failure budget: null when it is right; otherwise the
   * refusal sent (429 when the budget is spent, without comparing; else `wrong`, and the failure is counted).
   */
  const attempt = (
    request: FastifyRequest,
    reply: FastifyReply,
    via: string,
    right: () => boolean,
    wrong: () => FastifyReply,
  ): Promise<FastifyReply | null> =>
    serially(clientKey(request), async () => {
      const before = await failures(request, { increment: false });
      if (!before.isAllowed && before.remaining === 0) {
        return sendError(
          reply.header('retry-after', String(before.ttlInSeconds)),
          429,
          `too many wrong access tokens from this address: try again in ${before.ttlInSeconds} s`,
        );
      }
      if (right()) return null;
      const after = await failures(request);
      if (!after.isAllowed) {
        const spent = after.remaining === 0;
        log.warn(
          spent ? 'access token refused; further attempts refused for a while' : 'access token refused',
          {
            client: after.key,
            via,
            failures: after.max - after.remaining,
            limit: after.max,
            ...(spent ? { refusedForSeconds: after.ttlInSeconds } : {}),
          },
        );
      }
      return wrong();
    });

  app.addHook('onRequest', async (request, reply) => {
    const headers = request.headers;
    const refusal = hostOrOriginRefusal(guard, request);
    if (refusal) return sendError(reply, 403, refusal);
    const origin = headers.origin;

    const api = isApiRequest(request);
    if (api) {
      const site = headers['sec-fetch-site'];
      if (origin === undefined && (site === 'cross-site' || site === 'same-site')) {
        return sendError(reply, 403, 'cross-site request refused');
      }
      if (request.method !== 'GET' && !settingsWrite(request.method, request.raw.url ?? '')) {
        return sendError(reply.header('allow', 'GET'), 405, 'the API is read-only: GET only');
      }
      if (request.method !== 'GET' && (origin === undefined || origin === 'null')) {
        return sendError(reply, 403, 'changing settings needs a browser Origin');
      }
      const unsafe = unsafePathReason(request.raw.url ?? '');
      if (unsafe) return sendError(reply, 403, unsafe);
      if (guard.tokenRequired && !guard.sessionPresent(headers.cookie)) {
        const bearer = bearerToken(headers.authorization);
        if (bearer === undefined) {
          return sendError(
            reply,
            401,
            'access token required: open /?token=… once, or send Authorization: Bearer …',
          );
        }
        const refused = await attempt(
          request,
          reply,
          'Authorization header',
          () => guard.tokenMatches(bearer),
          () => sendError(reply, 401, 'wrong access token'),
        );
        if (refused) return refused;
      }
      const path = (request.raw.url ?? '').split('?')[0] ?? '';
      if (!WITHOUT_API_HEADER.has(path) && headers[API_HEADER] !== '1') {
        return sendError(reply, 403, 'API requests need the request header X-Margin-Watch: 1');
      }
      return;
    }

    if (guard.tokenRequired && request.method === 'GET') {
      const query = request.query as Record<string, unknown> | undefined;
      const token = query?.token;
      if (typeof token === 'string' && (request.raw.url ?? '').split('?')[0] === '/') {
        const refused = await attempt(
          request,
          reply,
          '/?token=',
          () => guard.tokenMatches(token),
          () => sendError(reply, 403, 'wrong access token'),
        );
        if (refused) return refused;
        const secure = guard.servedOverHttps(headers.host, request.protocol);
        return reply
          .code(303)
          .header('set-cookie', guard.sessionCookie(secure))
          .header('location', '/')
          .send();
      }
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    setSecurityHeaders(guard, request, reply);
    return payload;
  });
}
