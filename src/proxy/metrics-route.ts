// `GET /metrics` for Prometheus: answered to scrapers only. A request carrying `Origin` or `Sec-Fetch-Site` comes
// from a browser and is refused, whatever its token. The bearer token is `server.metricsToken` when configured (the
// access token then does not open /metrics), else the access token when one is configured, else none (the proxy
// then listens on loopback only). The request guard's Host check applies first, as for every request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../exchanges/kit/signing.ts';
import type { ProxyLogger } from './log.ts';
import type { ProxyMetrics } from './metrics.ts';
import { bearerToken, clientKey, FAILED_TOKEN_LIMIT } from './security.ts';
import { sendError } from './shared.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsRouteOptions {
  metrics: ProxyMetrics;
  /** `server.metricsToken`: required when set. */
  metricsToken?: string;
  /** `server.accessToken`: required by /metrics when no metrics token is set. */
  accessToken?: string;
  log: ProxyLogger;
  /** Wrong tokens allowed per client address and window; default FAILED_TOKEN_LIMIT. */
  failedTokenLimit?: { max: number; windowMs: number };
}

/** Why a request for /metrics comes from a browser, or null. */
export function browserRequestReason(request: FastifyRequest): string | null {
  if (request.headers.origin !== undefined)
    return 'metrics are not served to browsers (Origin header present)';
  if (request.headers['sec-fetch-site'] !== undefined) {
    return 'metrics are not served to browsers (Sec-Fetch-Site header present)';
  }
  return null;
}

/** Registers `GET /metrics` (and its HEAD). Needs the request guard (registerSecurity) on `app`. */
export function registerMetricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const log = options.log.child({ component: 'metrics' });
  const token = options.metricsToken ?? options.accessToken;
  const tokenName = options.metricsToken !== undefined ? 'server.metricsToken' : 'server.accessToken';
  const limit = options.failedTokenLimit ?? FAILED_TOKEN_LIMIT;
  const failures = app.createRateLimit({ max: limit.max, timeWindow: limit.windowMs });

  const refuseToken = (reply: FastifyReply, message: string): FastifyReply =>
    sendError(reply.header('www-authenticate', 'Bearer realm="metrics"'), 401, message);

  app.get(METRICS_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const browser = browserRequestReason(request);
    if (browser) return sendError(reply, 403, browser);
    if (token !== undefined) {
      const presented = bearerToken(request.headers.authorization);
      if (presented === undefined) {
        return refuseToken(reply, `metrics need Authorization: Bearer <${tokenName}>`);
      }
      const before = await failures(request, { increment: false });
      if (!before.isAllowed && before.remaining === 0) {
        return sendError(
          reply.header('retry-after', String(before.ttlInSeconds)),
          429,
          `too many wrong metrics tokens from this address: try again in ${before.ttlInSeconds} s`,
        );
      }
      if (!constantTimeEqual(presented, token)) {
        await failures(request);
        log.warn('metrics token refused', { client: clientKey(request) });
        return refuseToken(reply, 'wrong metrics token');
      }
    }
    // Every label is an account id or a fixed word; the redactor is one more net for known secrets all the same.
    const text = log.redactor.text(await options.metrics.text());
    return reply.header('content-type', options.metrics.contentType).send(text);
  });
}
