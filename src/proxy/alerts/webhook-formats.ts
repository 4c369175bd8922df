// The message bodies of an alert, one per webhook format: generic JSON, a Slack incoming webhook, a Telegram
// sendMessage. Built only from the alert event (account id, exchange, rule, level, zone, cushion, message,
// time): never a credential. Delivery (queue, retries, status) is webhooks.ts's.
import type { WebhookFormat } from '../../contract/alerts.ts';
import type { AlertEvent, AlertRuleId } from './engine.ts';

export interface WebhookConfig {
  url: string;
  format: WebhookFormat;
}

const RULE_NAMES: Record<AlertRuleId, string> = {
  'zone-worse': 'Risk zone',
  'cushion-below': 'Cushion',
  'fast-fall': 'Fast fall',
  stale: 'Stale data',
  'auth-failure': 'Authentication',
  'move-below': 'Move to liquidation',
};

function title(event: AlertEvent): string {
  return `${event.kind === 'fired' ? 'Alert' : 'Recovered'} · ${RULE_NAMES[event.rule]}`;
}

function facts(event: AlertEvent): [string, string][] {
  const out: [string, string][] = [
    ['Account', event.accountId],
    ['Exchange', event.exchange],
    ['Rule', event.rule],
    ['Level', event.level ?? 'unknown'],
    ['Zone', event.zone],
  ];
  if (event.cushion !== null) out.push(['Cushion', event.cushion]);
  out.push(['Time', new Date(event.at).toISOString()]);
  return out;
}

/** The generic body: every field of the alert, flat, plus the time as ISO text. */
export function genericBody(event: AlertEvent): Record<string, unknown> {
  return {
    source: 'margin-watch',
    type: 'alert',
    id: event.id,
    kind: event.kind,
    account: event.accountId,
    exchange: event.exchange,
    rule: event.rule,
    level: event.level,
    zone: event.zone,
    cushion: event.cushion,
    message: event.message,
    at: event.at,
    time: new Date(event.at).toISOString(),
  };
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slack incoming-webhook body: `text` (notifications, fallbacks) and `blocks`. */
export function slackBody(event: AlertEvent): Record<string, unknown> {
  const head = `${title(event)}: ${event.message}`;
  return {
    text: head,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${slackEscape(title(event))}*\n${slackEscape(event.message)}` },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: facts(event)
              .map(([k, v]) => `${k}: ${slackEscape(v)}`)
              .join(' · '),
          },
        ],
      },
    ],
  };
}

/** Telegram sendMessage body (plain text); `chat_id` when the URL names one in its query. */
export function telegramBody(event: AlertEvent, chatId: string | null): Record<string, unknown> {
  const text = [
    title(event),
    event.message,
    facts(event)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
  ].join('\n\n');
  return chatId === null ? { text } : { chat_id: chatId, text };
}

/** The request for one alert to one webhook: URL (Telegram's chat_id moves from the query to the body) and JSON. */
export function webhookRequest(webhook: WebhookConfig, event: AlertEvent): { url: string; body: string } {
  switch (webhook.format) {
    case 'generic':
      return { url: webhook.url, body: JSON.stringify(genericBody(event)) };
    case 'slack':
      return { url: webhook.url, body: JSON.stringify(slackBody(event)) };
    case 'telegram': {
      const url = new URL(webhook.url);
      const chatId = url.searchParams.get('chat_id');
      url.searchParams.delete('chat_id');
      return { url: url.href, body: JSON.stringify(telegramBody(event, chatId)) };
    }
  }
}
