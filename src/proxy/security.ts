// Request gatekeeping for every HTTP request and WebSocket upgrade: Host and Origin checks (DNS rebinding and
// cross-site requests), GET-only API, path tricks, the optional access token, and security headers.
import { createHmac, createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isWildcardHost } from './config.ts';
import { sendError } from './shared.ts';

/** Name of the cookie a browser gets after opening `/?token=…`. */
export const SESSION_COOKIE = 'mw_session';
/** How long a session cookie is valid, counted from when it was issued (checked by the proxy, not only the browser). */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600;
/** A session cookie issued up to this far in the future is accepted (clock adjustments). */
const SESSION_CLOCK_SKEW_SECONDS = 300;
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
  /** Clock for session cookies (ms epoch); default Date.now. */
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

/** Compares two secrets in constant time (hashing first, so lengths do not leak either). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/** Value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Host/Origin/token policy of one server. The served port is known only after listening. */
export class RequestGuard {
  private port = 0;
  private hosts = new Set<string>();
  private origins = new Set<string>();
  private extra: readonly string[];
  private readonly now: () => number;

  constructor(private readonly options: GuardOptions) {
    this.extra = options.extraOrigins ?? [];
    this.now = options.now ?? Date.now;
    this.rebuild();
  }

  /** Whether API requests need the access token. */
  get tokenRequired(): boolean {
    return this.options.accessToken !== undefined;
  }

  /** The signature of a session issued at `issued` (seconds since 1970): an HMAC keyed with the access token. */
  private sessionMac(token: string, issued: string): string {
    return createHmac('sha256', token).update(`margin-watch-session\u0000${issued}`).digest('hex');
  }

  /** True for a session cookie value this proxy issued, signed with the current token, at most 30 days ago. */
  sessionValid(value: string): boolean {
    const token = this.options.accessToken;
    const match = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value);
    if (!token || !match?.[1] || !match[2]) return false;
    if (!constantTimeEqual(match[2], this.sessionMac(token, match[1]))) return false;
    const age = Math.floor(this.now() / 1000) - Number(match[1]);
    return age >= -SESSION_CLOCK_SKEW_SECONDS && age <= SESSION_MAX_AGE_SECONDS;
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
    const origins = new Set<string>();
    for (const name of names) {
      for (const a of authorities(`${name}:${this.port}`)) hosts.add(a);
      if (URL.canParse(`http://${name}:${this.port}`))
        origins.add(new URL(`http://${name}:${this.port}`).origin);
    }
    for (const origin of [...this.options.allowedOrigins, ...this.extra]) {
      const url = new URL(origin);
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      for (const a of authorities(`${url.hostname}:${port}`)) hosts.add(a);
      origins.add(url.origin);
    }
    this.hosts = hosts;
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

  /** True when the request carries the access token (session cookie or `Authorization: Bearer`). */
  tokenPresent(cookieHeader: string | undefined, authorization: string | undefined): boolean {
    if (!this.options.accessToken) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (bearer !== undefined && constantTimeEqual(bearer, this.options.accessToken)) return true;
    const cookie = cookieValue(cookieHeader, SESSION_COOKIE);
    return cookie !== undefined && this.sessionValid(cookie);
  }

  /** True when `token` is the access token. */
  tokenMatches(token: string): boolean {
    return this.options.accessToken !== undefined && constantTimeEqual(token, this.options.accessToken);
  }

  /**
   * The Set-Cookie value that lets a browser in after `/?token=…`: `<issued>.<HMAC>`, the issue time (seconds)
   * signed with the access token, so the proxy itself refuses it after 30 days and after the token changes.
   */
  sessionCookie(): string {
    const token = this.options.accessToken ?? '';
    const issued = String(Math.floor(this.now() / 1000));
    const value = `${issued}.${this.sessionMac(token, issued)}`;
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_SECONDS}`;
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

/**
 * Installs the guard on every request and upgrade, in this order: Host (403), Origin (403; a missing or `null`
 * Origin is refused on WebSocket upgrades), API requests without Origin that the browser marks cross-site or
 * same-site in `Sec-Fetch-Site` (403), non-GET on the API (405), a settings write without Origin (403), path
 * tricks on the API (403), access token on the API (401), and the `X-Margin-Watch: 1` header on every API
 * request but the health check and the stream (403). `GET /?token=…` trades a valid token for an HttpOnly
 * SameSite=Strict session cookie and redirects to `/`.
 */
export function registerSecurity(app: FastifyInstance, guard: RequestGuard): void {
  app.addHook('onRequest', async (request, reply) => {
    const headers = request.headers;
    if (!guard.hostAllowed(headers.host)) return sendError(reply, 403, 'Host header not allowed');

    const upgrade = (headers.upgrade ?? '').toLowerCase() === 'websocket';
    const origin = headers.origin;
    if (upgrade && (origin === undefined || origin === 'null')) {
      return sendError(reply, 403, 'WebSocket upgrade without an Origin');
    }
    if (origin !== undefined && !guard.originAllowed(origin))
      return sendError(reply, 403, 'Origin not allowed');

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
      if (!guard.tokenPresent(headers.cookie, headers.authorization)) {
        return sendError(
          reply,
          401,
          'access token required: open /?token=… once, or send Authorization: Bearer …',
        );
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
        if (!guard.tokenMatches(token)) return sendError(reply, 403, 'wrong access token');
        return reply.code(303).header('set-cookie', guard.sessionCookie()).header('location', '/').send();
      }
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
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
    return payload;
  });
}
