import { describe, expect, it } from 'vitest';
import { EVENT, SLACK_URL, TELEGRAM_URL } from './testing/webhooks.ts';
import { webhookRequest } from './webhook-formats.ts';

describe('bodies', () => {
  it('generic: names account, exchange, rule, level, zone and time', () => {
    const { url, body } = webhookRequest({ url: 'http://127.0.0.1:9/hook', format: 'generic' }, EVENT);
    expect(url).toBe('http://127.0.0.1:9/hook');
    expect(JSON.parse(body)).toEqual({
      source: 'margin-watch',
      type: 'alert',
      id: 'a1',
      kind: 'fired',
      account: 'bitso-demo',
      exchange: 'bitso',
      rule: 'zone-worse',
      level: '1.08',
      zone: 'liquidation',
      cushion: '-0.01851852',
      message: EVENT.message,
      at: EVENT.at,
      time: '2026-11-21T05:47:03.000Z',
    });
  });

  it('slack: text and blocks, with mrkdwn escaped', () => {
    const { body } = webhookRequest({ url: SLACK_URL, format: 'slack' }, { ...EVENT, message: 'A <b> & c' });
    expect(JSON.parse(body)).toEqual({
      text: 'Alert · Risk zone: A <b> & c',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Alert · Risk zone*\nA &lt;b&gt; &amp; c' } },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text:
                'Account: bitso-demo · Exchange: bitso · Rule: zone-worse · Level: 1.08 · Zone: liquidation · ' +
                'Cushion: -0.01851852 · Time: 2026-11-21T05:47:03.000Z',
            },
          ],
        },
      ],
    });
  });

  it('telegram: sendMessage body, chat_id moved from the URL into the body', () => {
    const { url, body } = webhookRequest(
      { url: TELEGRAM_URL, format: 'telegram' },
      { ...EVENT, kind: 'recovered' },
    );
    expect(url).toBe('https://api.telegram.org/bot123456:FAKE-token-not-real/sendMessage');
    const parsed = JSON.parse(body) as { chat_id: string; text: string };
    expect(parsed.chat_id).toBe('-1001234');
    expect(parsed.text.split('\n\n')[0]).toBe('Recovered · Risk zone');
    expect(parsed.text).toContain(
      'Account: bitso-demo\nExchange: bitso\nRule: zone-worse\nLevel: 1.08\nZone: liquidation',
    );
    const plain = webhookRequest(
      { url: 'https://api.telegram.org/botX/sendMessage', format: 'telegram' },
      EVENT,
    );
    expect(Object.keys(JSON.parse(plain.body) as object)).toEqual(['text']);
  });
});

describe('the move-below rule in every format', () => {
  const MOVE = {
    ...EVENT,
    rule: 'move-below',
    zone: 'caution',
    level: '1.31',
    message: 'Bitso (demo): BTC −12 % would reach liquidation (alert below 15 %)',
  } as const;

  it.each([
    ['fired', 'Alert · Move to liquidation'],
    ['recovered', 'Recovered · Move to liquidation'],
  ] as const)('%s: titled %j, with the message and the rule', (kind, heading) => {
    const event = { ...MOVE, kind };
    const generic = JSON.parse(
      webhookRequest({ url: 'http://127.0.0.1:9/hook', format: 'generic' }, event).body,
    ) as Record<string, unknown>;
    expect(generic).toMatchObject({ rule: 'move-below', kind, message: MOVE.message, level: '1.31' });

    const slack = JSON.parse(webhookRequest({ url: SLACK_URL, format: 'slack' }, event).body) as {
      text: string;
      blocks: { text?: { text: string } }[];
    };
    expect(slack.text).toBe(`${heading}: ${MOVE.message}`);
    expect(slack.blocks[0]?.text?.text).toBe(`*${heading}*\n${MOVE.message}`);

    const telegram = JSON.parse(webhookRequest({ url: TELEGRAM_URL, format: 'telegram' }, event).body) as {
      text: string;
    };
    expect(telegram.text.split('\n\n').slice(0, 2)).toEqual([heading, MOVE.message]);
    expect(telegram.text).toContain('Rule: move-below\nLevel: 1.31\nZone: caution');
  });
});
