import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountConfig, NonceSource } from '../server-types.ts';
import {
  authorizationHeader,
  bitsoSignature,
  credentialsOf,
  inNonceOrder,
  signBitsoRequest,
  signingText,
  signRest,
} from './sign.ts';
import { server } from './server.ts';

// Published vectors: bitso-node-api's signing test (key 1234567890, nonce 200) and the margin vectors
// computed from xiam/bitso-go's test inputs (secret "tsecret", nonce 1731349200123456789).
// The secret of bitso-node-api's published signing test (public test vector, not a credential).
const NODE_SECRET = '0ysRO2hUvpWBXDAcIq77F1ZG5IqUQjAP'; // published test vector
const MARGIN_SECRET = 'tsecret';
const MARGIN_NONCE = '1731349200123456789';

const vectors = [
  {
    name: 'bitso-node-api GET /v3/account_status/ (trailing slash signed)',
    secret: NODE_SECRET,
    nonce: '200',
    method: 'GET',
    path: '/v3/account_status/',
    body: '',
    signature: '74664f59562d41455d59d277fdad9c2bef28f78c3c8b58be2ed4a10276c39383',
  },
  {
    name: 'bitso-node-api same request with a JSON body',
    secret: NODE_SECRET,
    nonce: '200',
    method: 'GET',
    path: '/v3/account_status/',
    body: '{"first_name":"Test","last_name":"User"}',
    signature: 'fdc517ab00d42a7fca23b832386aee82f8c448c637d99895914c507ecbc8f6e8',
  },
  {
    name: 'margin POST /margin_trading/v1alpha/movements with body',
    secret: MARGIN_SECRET,
    nonce: MARGIN_NONCE,
    method: 'POST',
    path: '/margin_trading/v1alpha/movements',
    body: '{"type":"DEPOSIT","amount":"1000.5000","currency":"btc"}',
    signature: '9cd4e11f8ac1dc0fffc360dc618cc7b4ba3eed0026d871ef8642bfc050f83ea9',
  },
  {
    name: 'margin GET /margin_trading/v1alpha/account',
    secret: MARGIN_SECRET,
    nonce: MARGIN_NONCE,
    method: 'GET',
    path: '/margin_trading/v1alpha/account',
    body: '',
    signature: 'c45e58a516843565c97b5045410fb52111526b975505f2a8aeecb3eda5775a44',
  },
];

function account(credentials: Record<string, string>, id = 'bitso-main'): AccountConfig {
  return {
    id,
    exchange: 'bitso',
    label: 'Bitso',
    credentials,
    endpoints: { rest: 'https://api.bitso.com' },
    pollSeconds: 5,
    options: {},
  };
}

/** Strictly increasing per key, starting from a fixed value; records which keys were asked for. */
function countingNonces(start: number): NonceSource & { keys: string[] } {
  const last = new Map<string, number>();
  const keys: string[] = [];
  return {
    keys,
    next(key: string): number {
      keys.push(key);
      const value = (last.get(key) ?? start - 1) + 1;
      last.set(key, value);
      return value;
    },
  };
}

describe('bitsoSignature: published vectors', () => {
  it.each(vectors)('$name', (v) => {
    expect(bitsoSignature(v.secret, v.nonce, v.method, v.path, v.body)).toBe(v.signature);
  });

  it('uppercases the method before signing', () => {
    const v = vectors[3]!;
    expect(bitsoSignature(v.secret, v.nonce, 'get', v.path, v.body)).toBe(v.signature);
  });

  it('changes when any signed part changes', () => {
    const v = vectors[3]!;
    const variants = [
      bitsoSignature(v.secret, '1731349200123456790', v.method, v.path, v.body),
      bitsoSignature(v.secret, v.nonce, 'POST', v.path, v.body),
      bitsoSignature(v.secret, v.nonce, v.method, `${v.path}?page_size=10`, v.body),
      bitsoSignature(v.secret, v.nonce, v.method, v.path, '{}'),
      bitsoSignature('tsecreT', v.nonce, v.method, v.path, v.body),
    ];
    for (const s of variants) expect(s).not.toBe(v.signature);
  });
});

describe('signingText', () => {
  it('concatenates nonce, METHOD, path and body with no separators', () => {
    expect(signingText('200', 'get', '/v3/account_status/', '{"a":1}')).toBe(
      '200GET/v3/account_status/{"a":1}',
    );
  });
});

describe('authorization header', () => {
  it('has the documented form Bitso key:nonce:signature', () => {
    const v = vectors[0]!;
    expect(authorizationHeader('1234567890', v.nonce, v.signature)).toBe(
      `Bitso 1234567890:200:${v.signature}`,
    );
  });

  it('signBitsoRequest reproduces the margin account vector as a full header', () => {
    const headers = signBitsoRequest(
      { method: 'GET', url: new URL('https://api.bitso.com/margin_trading/v1alpha/account'), body: '' },
      { apiKey: 'test-key', apiSecret: MARGIN_SECRET },
      MARGIN_NONCE,
    );
    expect(headers).toEqual({
      Authorization:
        'Bitso test-key:1731349200123456789:c45e58a516843565c97b5045410fb52111526b975505f2a8aeecb3eda5775a44',
    });
  });

  it('signBitsoRequest with a numeric ms nonce matches an independent HMAC', () => {
    const headers = signBitsoRequest(
      { method: 'GET', url: new URL('https://api.bitso.com/margin_trading/v1alpha/account'), body: '' },
      { apiKey: 'test-key', apiSecret: MARGIN_SECRET },
      1700000000000,
    );
    const expected = createHmac('sha256', MARGIN_SECRET)
      .update('1700000000000GET/margin_trading/v1alpha/account')
      .digest('hex');
    expect(headers.Authorization).toBe(`Bitso test-key:1700000000000:${expected}`);
  });

  it('signs the query string with the path', () => {
    const headers = signBitsoRequest(
      {
        method: 'GET',
        url: new URL('https://api.bitso.com/margin_trading/v1alpha/movements?page_size=5'),
        body: '',
      },
      { apiKey: '1234567890', apiSecret: NODE_SECRET },
      1700000000001,
    );
    const signature = bitsoSignature(
      NODE_SECRET,
      '1700000000001',
      'GET',
      '/margin_trading/v1alpha/movements?page_size=5',
      '',
    );
    expect(headers.Authorization).toBe(`Bitso 1234567890:1700000000001:${signature}`);
  });
});

describe('signRest', () => {
  it('takes a fresh, strictly larger nonce from the NonceSource for every request', () => {
    const nonces = countingNonces(1700000000000);
    const acct = account({ apiKey: 'demo-bitso-key', apiSecret: 'demo-bitso-secret-not-real' });
    const req = {
      method: 'GET' as const,
      url: new URL('https://api.bitso.com/margin_trading/v1alpha/account'),
      body: '',
    };
    const first = signRest(req, acct, nonces).Authorization ?? '';
    const second = signRest(req, acct, nonces).Authorization ?? '';
    const [, n1, s1] = first.replace(/^Bitso /, '').split(':');
    const [, n2, s2] = second.replace(/^Bitso /, '').split(':');
    expect(n1).toBe('1700000000000');
    expect(n2).toBe('1700000000001');
    expect(s1).toBe(
      bitsoSignature(
        'demo-bitso-secret-not-real',
        '1700000000000',
        'GET',
        '/margin_trading/v1alpha/account',
        '',
      ),
    );
    expect(s2).not.toBe(s1);
    expect(nonces.keys).toEqual(['bitso:demo-bitso-key', 'bitso:demo-bitso-key']);
  });

  it('never puts the secret in the headers', () => {
    const headers = signRest(
      { method: 'GET', url: new URL('https://api.bitso.com/margin_trading/v1alpha/account'), body: '' },
      account({ apiKey: 'demo-bitso-key', apiSecret: 'demo-bitso-secret-not-real' }),
      countingNonces(1),
    );
    expect(JSON.stringify(headers)).not.toContain('demo-bitso-secret-not-real');
  });

  it.each([
    [{ apiSecret: 'x' }, 'credentials.apiKey'],
    [{ apiKey: 'k' }, 'credentials.apiSecret'],
    [{ apiKey: '', apiSecret: 'x' }, 'credentials.apiKey'],
  ])('missing credentials fail naming the field (%j)', (creds, field) => {
    expect(() => credentialsOf(account(creds))).toThrow(field);
  });
});

describe('inNonceOrder', () => {
  it('runs signed requests of one API key one after another, so nonces arrive in order', async () => {
    const account: AccountConfig = {
      id: 'a',
      exchange: 'bitso',
      label: 'a',
      credentials: { apiKey: 'demo-order-key', apiSecret: 'demo-order-secret' },
      endpoints: { rest: 'http://127.0.0.1:1' },
      pollSeconds: 5,
      options: {},
    };
    const events: string[] = [];
    let releaseFirst = (): void => {};
    const first = inNonceOrder(account, async () => {
      events.push('first signs');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push('first answered');
    });
    // The relay's way in (the server module) shares the same order.
    const second = server.inSigningOrder?.(account, async () => {
      events.push('second signs');
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['first signs']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(events).toEqual(['first signs', 'first answered', 'second signs']);
  });
});
