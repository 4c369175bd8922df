// `GET /api/accounts/:id/rest/<path>`: a signed, read-only GET of an allowlisted exchange path. The raw request
// target is checked before anything is matched; nothing goes upstream unless the path is exactly on the list.
import type { FastifyInstance } from 'fastify';
import type { NonceSource } from '../exchanges/server-types.ts';
import type { AccountManager } from './accounts.ts';
import type { ExchangeCatalog } from './exchanges.ts';
import { DEFAULT_MAX_BYTES, httpGet, HttpError, type HttpGetOptions } from '../exchanges/kit/http-client.ts';
import { sentHeadersRedactor, type ProxyLogger } from './log.ts';
import { unsafePathReason } from './security.ts';
import { sendError } from './shared.ts';

const RELAY_PREFIX = '/api/accounts/';
const REST_MARKER = '/rest/';

export interface RelayTarget {
  accountId: string;
  /** Exchange path relative to the REST base, no leading slash. */
  path: string;
  /** `?…` exactly as requested, or ''. */
  query: string;
}

/** Splits a raw request target `/api/accounts/<id>/rest/<path>[?query]`; null when it has another shape. */
export function parseRelayTarget(rawUrl: string): RelayTarget | null {
  const q = rawUrl.indexOf('?');
  const pathPart = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q);
  if (!pathPart.startsWith(RELAY_PREFIX)) return null;
  const rest = pathPart.slice(RELAY_PREFIX.length);
  const marker = rest.indexOf(REST_MARKER);
  if (marker <= 0) return null;
  const accountId = rest.slice(0, marker);
  const path = rest.slice(marker + REST_MARKER.length);
  if (accountId.includes('/') || path === '') return null;
  return { accountId, path, query: query === '?' ? '' : query };
}

export interface RelayOptions {
  accounts: AccountManager;
  catalog: ExchangeCatalog;
  nonces: NonceSource;
  log: ProxyLogger;
  /** Upstream limits (defaults: 10 s, 2 MiB). */
  http?: Pick<HttpGetOptions, 'timeoutMs' | 'maxBytes'>;
}

/** Registers the REST relay route. */
export function registerRelay(app: FastifyInstance, options: RelayOptions): void {
  const maxBytes = options.http?.maxBytes ?? DEFAULT_MAX_BYTES;
  const log = options.log.child({ component: 'relay' });

  app.get('/api/accounts/:id/rest/*', async (request, reply) => {
    const raw = request.raw.url ?? '';
    const unsafe = unsafePathReason(raw);
    if (unsafe) return sendError(reply, 403, unsafe);
    const target = parseRelayTarget(raw);
    if (!target) return sendError(reply, 403, 'not a relay path');
    const account = options.accounts.get(target.accountId);
    if (!account) return sendError(reply, 404, `unknown account ${JSON.stringify(target.accountId)}`);
    const entry = options.catalog.get(account.exchange);
    if (!entry?.browser.restPaths.includes(target.path)) {
      return sendError(reply, 403, `path not on the ${account.exchange} read-only allowlist`);
    }

    const url = new URL(`${account.endpoints.rest}/${target.path}${target.query}`);
    const aborter = new AbortController();
    const onClose = (): void => {
      if (!reply.raw.writableFinished) aborter.abort();
    };
    reply.raw.on('close', onClose);
    try {
      // Signed and sent in one step, in nonce order where the exchange needs it (BitoPro).
      const signAndSend = async () => {
        const signed = entry.server.signRest({ method: 'GET', url, body: '' }, account, options.nonces);
        return {
          headers: signed,
          result: await httpGet(url, signed, { ...options.http, maxBytes, signal: aborter.signal }),
        };
      };
      const { headers, result } = entry.server.inSigningOrder
        ? await entry.server.inSigningOrder(account, signAndSend, aborter.signal)
        : await signAndSend();
      if (result.status >= 300 && result.status < 400) {
        log.warn('upstream redirected; not followed', {
          accountId: account.id,
          path: target.path,
          status: result.status,
        });
        return sendError(
          reply,
          502,
          `upstream answered with a redirect (HTTP ${result.status}); redirects are not followed`,
        );
      }
      const scrub = sentHeadersRedactor(headers);
      reply.code(result.status).header('content-type', 'application/json; charset=utf-8');
      const retryAfter = result.headers.get('retry-after');
      if (retryAfter && /^[\w ,:]+$/.test(retryAfter)) reply.header('retry-after', retryAfter);
      if (result.text === '') return reply.send();
      if (result.json === undefined) {
        log.warn('upstream answered with a non-JSON body', {
          accountId: account.id,
          path: target.path,
          status: result.status,
          body: scrub.text(result.text.slice(0, 300)),
        });
        return reply.send({ error: `upstream answered HTTP ${result.status} with a non-JSON body` });
      }
      return reply.send(options.log.redactor.text(scrub.text(result.text)));
    } catch (err) {
      if (err instanceof HttpError) {
        if (err.reason === 'aborted') return reply;
        log.warn('relay request failed', {
          accountId: account.id,
          path: target.path,
          reason: err.reason,
          error: err,
        });
        if (err.reason === 'too-large')
          return sendError(reply, 502, `upstream response larger than ${maxBytes} bytes`);
        if (err.reason === 'timeout') return sendError(reply, 504, err.message);
        return sendError(reply, 502, err.message);
      }
      throw err;
    } finally {
      reply.raw.off('close', onClose);
    }
  });
}
