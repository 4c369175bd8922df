// The alert API:
//   GET /api/alerts?limit=&before=&from=&account=  the alert history, newest first (+ the open alerts on page 1)
//   GET /api/alerts/rules                          the rule settings (built-in, config, UI layers; per account)
//   PUT /api/alerts/rules                          changes the UI layer of the rule settings
//   GET /api/alerts/webhooks                       webhook delivery status (URLs reduced to scheme and host)
// Bad parameters or bodies are a 400 whose body `{ "error": … }` says what was wrong, like every API error.
// Answers are typed against the contract (contract/alerts.ts) the browser parses them with.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AlertPageDto, RulesViewDto, WebhookStatusDto } from '../../contract/alerts.ts';
import { ACCOUNT_ID, MAX_TIME, sendError } from '../shared.ts';
import type { ProxyAlertService } from './service.ts';
import { AlertRulesError, RulesNotSavedError } from './service.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, type AlertQuery } from './store.ts';

/** Largest accepted PUT body (the server-wide limit): rule settings are small. */
const RULES_BODY_LIMIT = 16 * 1024;

const time = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,16}$/, { message: `${name} must be a time in milliseconds since 1970-01-01 UTC` })
    .transform(Number)
    .refine((n) => n <= MAX_TIME, { message: `${name} is too far in the future` });

const listQuerySchema = z.strictObject({
  limit: z
    .string()
    .trim()
    .regex(/^\d{1,4}$/, { message: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_LIST_LIMIT, {
      message: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`,
    })
    .optional(),
  before: time('before').optional(),
  from: time('from').optional(),
  account: z.string().regex(ACCOUNT_ID, { message: 'account must be an account id' }).optional(),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  if (issue.code === 'unrecognized_keys') return `unknown parameter ${JSON.stringify(issue.keys[0] ?? '')}`;
  const path = issue.path.map(String).join('.');
  return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
}

/** Parses the query string of GET /api/alerts (empty values count as absent). */
export function parseAlertQuery(
  query: unknown,
): { ok: true; query: AlertQuery } | { ok: false; message: string } {
  const raw = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const present = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== '' && v !== undefined));
  for (const [key, value] of Object.entries(present)) {
    if (typeof value !== 'string') return { ok: false, message: `${key} must be given once` };
  }
  const parsed = listQuerySchema.safeParse(present);
  if (!parsed.success) return { ok: false, message: firstIssue(parsed.error) };
  const { limit, before, from, account } = parsed.data;
  const out: AlertQuery = { limit: limit ?? DEFAULT_LIST_LIMIT };
  if (before !== undefined) out.before = before;
  if (from !== undefined) out.from = from;
  if (account !== undefined) out.accountId = account;
  return { ok: true, query: out };
}

/**
 * Registers the alert routes on `app`.
 *
 * PUT /api/alerts/rules is the proxy's one non-GET route. It changes only Margin Watch's own alert settings
 * (stored in its database) and never sends anything to an exchange: the proxy stays read-only towards every
 * exchange. It accepts only `application/json` bodies (a cross-site form cannot send one without a preflight),
 * validated against the rules patch schema; the answer is the new rules view.
 */
export function registerAlertRoutes(
  app: FastifyInstance,
  service: Pick<ProxyAlertService, 'list' | 'rules' | 'updateRules' | 'webhookStatus'>,
): void {
  app.get('/api/alerts', async (request, reply) => {
    const parsed = parseAlertQuery(request.query);
    if (!parsed.ok) return sendError(reply, 400, parsed.message);
    const page = await service.list(parsed.query);
    return reply.header('cache-control', 'no-store').send(page satisfies AlertPageDto);
  });

  app.get('/api/alerts/rules', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').send(service.rules() satisfies RulesViewDto);
  });

  app.put('/api/alerts/rules', { bodyLimit: RULES_BODY_LIMIT }, async (request, reply) => {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return sendError(reply, 415, 'send the rules as application/json');
    }
    try {
      const view = await service.updateRules(request.body);
      return reply.header('cache-control', 'no-store').send(view satisfies RulesViewDto);
    } catch (err) {
      if (err instanceof AlertRulesError) return sendError(reply, 400, err.message);
      if (err instanceof RulesNotSavedError) return sendError(reply, 503, err.message);
      throw err;
    }
  });

  app.get('/api/alerts/webhooks', async (_request, reply) => {
    return reply
      .header('cache-control', 'no-store')
      .send(service.webhookStatus() satisfies WebhookStatusDto[]);
  });
}
