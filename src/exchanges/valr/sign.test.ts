import { describe, expect, it } from 'vitest';
import { requestPathOf } from '../kit/signing.ts';
import type { AccountConfig, NonceSource } from '../server-types.ts';
import {
  authHeaders,
  credentialsOf,
  nonceKey,
  signRest,
  signingText,
  valrSignature,
  wsHandshakeHeaders,
} from './sign.ts';

// Published VALR documentation test vectors (the API docs' signing examples).
// The secret of VALR's published signing example (public documentation test vector, not a credential).
const DOC_SECRET = '4961b74efac86b25cce8fbe4c9811c4c7a787b7a5996660afcc2e287ad864363'; // published test vector

describe('valrSignature: every published signing vector', () => {
  it.each([
    {
      name: 'doc: GET /v1/account/balances',
      ts: '1558014486185',
      verb: 'GET',
      path: '/v1/account/balances',
      body: '',
      sig: '9d52c181ed69460b49307b7891f04658e938b21181173844b5018b2fe783a6d4c62b8e67a03de4d099e7437ebfabe12c56233b73c6a0cc0f7ae87e05f6289928',
    },
    {
      name: 'doc: POST /v1/orders/market (BTCUSDC)',
      ts: '1558017528946',
      verb: 'POST',
      path: '/v1/orders/market',
      body: '{"customerOrderId":"ORDER-000001","pair":"BTCUSDC","side":"BUY","quoteAmount":"80000"}',
      sig: '09f536e3dfdad58443f16010a97a0a21ad27486b7b8d6d4103170d885410ed77f037f1fa628474190d4f5c08ca12c1acc850901f1c2e75c6d906ec3b32b008d0',
    },
    {
      name: 'older doc: POST /v1/orders/market (BTCZAR)',
      ts: '1558017528946',
      verb: 'POST',
      path: '/v1/orders/market',
      body: '{"customerOrderId":"ORDER-000001","pair":"BTCZAR","side":"BUY","quoteAmount":"80000"}',
      sig: 'be97d4cd9077a9eea7c4e199ddcfd87408cb638f2ec2f7f74dd44aef70a49fdc49960fd5de9b8b2845dc4a38b4fc7e56ef08f042a3c78a3af9aed23ca80822e8',
    },
    {
      name: 'computed: GET /ws/account',
      ts: '1558014486185',
      verb: 'GET',
      path: '/ws/account',
      body: '',
      sig: '7c8893b201ee0a38e4fbc0e15aa30a5bab18a9e6c1e9c4f1c50ab7d1403bd8e1923d068f21be6b2a2717c43abb014a41ef762a113bb6d323393637dae9ac02fb',
    },
    {
      name: 'computed: GET /v2/margin/status',
      ts: '1558014486185',
      verb: 'GET',
      path: '/v2/margin/status',
      body: '',
      sig: '61efe97ba1075d24e36085717a7d3fb8416458333adf5b122b1b099c04b26a21e9c9456d2dea7a0aa5a5194eaabcd4f65f1a5e96f29a8866543480bf5b095d89',
    },
  ])('$name', ({ ts, verb, path, body, sig }) => {
    expect(valrSignature(DOC_SECRET, ts, verb, path, body)).toBe(sig);
    expect(valrSignature(DOC_SECRET, ts, verb, path, body, '')).toBe(sig);
  });

  it('signs the body bytes as sent: the same object with spaces signs differently', () => {
    const spaced =
      '{"customerOrderId": "ORDER-000001", "pair": "BTCUSDC", "side": "BUY", "quoteAmount": "80000"}';
    expect(valrSignature(DOC_SECRET, '1558017528946', 'POST', '/v1/orders/market', spaced)).not.toBe(
      '09f536e3dfdad58443f16010a97a0a21ad27486b7b8d6d4103170d885410ed77f037f1fa628474190d4f5c08ca12c1acc850901f1c2e75c6d906ec3b32b008d0',
    );
  });

  it('upper-cases the verb', () => {
    expect(valrSignature(DOC_SECRET, '1558014486185', 'get', '/v1/account/balances', '')).toBe(
      '9d52c181ed69460b49307b7891f04658e938b21181173844b5018b2fe783a6d4c62b8e67a03de4d099e7437ebfabe12c56233b73c6a0cc0f7ae87e05f6289928',
    );
  });

  // Values below were computed with `openssl dgst -sha512 -hmac <secret>` over the signing text.
  it.each([
    [
      'the sub-account id appended',
      '/v1/account/balances',
      '1234567890',
      'cb28b48a98ab3dd4e31a121f18aab275b8e8255a3187155061d4b604165b375464172893050908741244894d5f9e666cc6a4d48d16e4e3bdfa773d754ef7daaf',
    ],
    [
      'the query string included',
      '/v1/account/balances?excludeZeroBalances=true',
      '',
      'b252adbf9ebb62f1a9043d15bee8a0f66fc77f139ca5a406c08a7ae56b626a17531aafbbd4899db44286f81784b366a42807b3875433702bb8a5b51df58720f5',
    ],
    [
      'the WebSocket path with a sub-account',
      '/ws/account',
      '1234567890',
      '6994c4dfe05b1498609035afe298912c04cbb085a7037f935599ac1f2e9e7328497973b0ebdfe68e62f8d1ae6aac0d7685ce8d74d843521cda7f54ff5fe1b4f5',
    ],
  ])('signs %s', (_name, path, sub, sig) => {
    expect(valrSignature(DOC_SECRET, '1558014486185', 'GET', path, '', sub)).toBe(sig);
  });
});

describe('signingText', () => {
  it('concatenates timestamp, verb, path, body and sub-account id with no separators', () => {
    expect(signingText('1558014486185', 'get', '/v1/a?b=c', '{"x":1}', '99')).toBe(
      '1558014486185GET/v1/a?b=c{"x":1}99',
    );
    expect(signingText('1', 'GET', '/ws/account', '')).toBe('1GET/ws/account');
  });

  it('takes path and query from the URL exactly as requested', () => {
    expect(requestPathOf(new URL('https://api.valr.com/v1/account/balances?excludeZeroBalances=true'))).toBe(
      '/v1/account/balances?excludeZeroBalances=true',
    );
    expect(requestPathOf(new URL('http://127.0.0.1:4000/v2/margin/status'))).toBe('/v2/margin/status');
  });
});

function accountWith(
  options: Record<string, unknown> = {},
  credentials?: Record<string, string>,
): AccountConfig {
  return {
    id: 'valr-margin',
    exchange: 'valr',
    label: 'VALR',
    credentials: credentials ?? { apiKey: 'doc-key', apiSecret: DOC_SECRET },
    endpoints: { rest: 'https://api.valr.com', ws: 'wss://api.valr.com/ws/account' },
    pollSeconds: 15,
    options,
  };
}

function fixedNonces(value: number, seen: string[] = []): NonceSource {
  return {
    next(key) {
      seen.push(key);
      return value;
    },
  };
}

describe('header building', () => {
  it('signs a REST GET with the doc vector and sends Content-Type', () => {
    const seen: string[] = [];
    const headers = signRest(
      { method: 'GET', url: new URL('https://api.valr.com/v1/account/balances'), body: '' },
      accountWith(),
      fixedNonces(1558014486185, seen),
    );
    expect(headers).toEqual({
      'X-VALR-API-KEY': 'doc-key',
      'X-VALR-SIGNATURE':
        '9d52c181ed69460b49307b7891f04658e938b21181173844b5018b2fe783a6d4c62b8e67a03de4d099e7437ebfabe12c56233b73c6a0cc0f7ae87e05f6289928',
      'X-VALR-TIMESTAMP': '1558014486185',
      'Content-Type': 'application/json',
    });
    expect(seen).toEqual(['valr:doc-key']);
    expect(nonceKey('doc-key')).toBe('valr:doc-key');
  });

  it('adds the sub-account header and signs the id when subaccountId is set', () => {
    const headers = signRest(
      { method: 'GET', url: new URL('https://api.valr.com/v1/account/balances'), body: '' },
      accountWith({ subaccountId: '1234567890' }),
      fixedNonces(1558014486185),
    );
    expect(headers['X-VALR-SUB-ACCOUNT-ID']).toBe('1234567890');
    expect(headers['X-VALR-SIGNATURE']).toBe(
      'cb28b48a98ab3dd4e31a121f18aab275b8e8255a3187155061d4b604165b375464172893050908741244894d5f9e666cc6a4d48d16e4e3bdfa773d754ef7daaf',
    );
  });

  it('sends no sub-account header for an empty subaccountId', () => {
    const headers = signRest(
      { method: 'GET', url: new URL('https://api.valr.com/v2/margin/status'), body: '' },
      accountWith({ subaccountId: '' }),
      fixedNonces(1558014486185),
    );
    expect(Object.keys(headers).sort()).toEqual([
      'Content-Type',
      'X-VALR-API-KEY',
      'X-VALR-SIGNATURE',
      'X-VALR-TIMESTAMP',
    ]);
    expect(headers['X-VALR-SIGNATURE']).toBe(
      '61efe97ba1075d24e36085717a7d3fb8416458333adf5b122b1b099c04b26a21e9c9456d2dea7a0aa5a5194eaabcd4f65f1a5e96f29a8866543480bf5b095d89',
    );
  });

  it('signs the query string of a REST GET', () => {
    const headers = signRest(
      {
        method: 'GET',
        url: new URL('https://api.valr.com/v1/account/balances?excludeZeroBalances=true'),
        body: '',
      },
      accountWith(),
      fixedNonces(1558014486185),
    );
    expect(headers['X-VALR-SIGNATURE']).toBe(
      'b252adbf9ebb62f1a9043d15bee8a0f66fc77f139ca5a406c08a7ae56b626a17531aafbbd4899db44286f81784b366a42807b3875433702bb8a5b51df58720f5',
    );
  });

  it('signs the WebSocket handshake as GET /ws/account, without Content-Type', () => {
    const credentials = credentialsOf(accountWith());
    expect(wsHandshakeHeaders(credentials, new URL('wss://api.valr.com/ws/account'), 1558014486185)).toEqual({
      'X-VALR-API-KEY': 'doc-key',
      'X-VALR-SIGNATURE':
        '7c8893b201ee0a38e4fbc0e15aa30a5bab18a9e6c1e9c4f1c50ab7d1403bd8e1923d068f21be6b2a2717c43abb014a41ef762a113bb6d323393637dae9ac02fb',
      'X-VALR-TIMESTAMP': '1558014486185',
    });
    const sub = credentialsOf(accountWith({ subaccountId: '1234567890' }));
    expect(wsHandshakeHeaders(sub, new URL('wss://api.valr.com/ws/account'), '1558014486185')).toMatchObject({
      'X-VALR-SIGNATURE':
        '6994c4dfe05b1498609035afe298912c04cbb085a7037f935599ac1f2e9e7328497973b0ebdfe68e62f8d1ae6aac0d7685ce8d74d843521cda7f54ff5fe1b4f5',
      'X-VALR-SUB-ACCOUNT-ID': '1234567890',
    });
  });

  it('a fresh timestamp gives a fresh signature', () => {
    const credentials = credentialsOf(accountWith());
    const a = authHeaders(credentials, 1558014486185, 'GET', '/ws/account', '');
    const b = authHeaders(credentials, 1558014486186, 'GET', '/ws/account', '');
    expect(a['X-VALR-SIGNATURE']).not.toBe(b['X-VALR-SIGNATURE']);
    expect(b['X-VALR-TIMESTAMP']).toBe('1558014486186');
  });

  it('shares one timestamp stream between two accounts of the same key', () => {
    const seen: string[] = [];
    const url = new URL('https://api.valr.com/v1/account/balances');
    signRest({ method: 'GET', url, body: '' }, accountWith(), fixedNonces(1, seen));
    signRest(
      { method: 'GET', url, body: '' },
      { ...accountWith({ subaccountId: '1234567890' }), id: 'valr-sub' },
      fixedNonces(2, seen),
    );
    expect(seen).toEqual(['valr:doc-key', 'valr:doc-key']);
  });

  it('names a missing credential without showing any value', () => {
    expect(() => credentialsOf(accountWith({}, { apiKey: 'k' }))).toThrow(
      'account valr-margin: credentials.apiSecret is missing',
    );
    expect(() => credentialsOf(accountWith({}, { apiSecret: 'very-secret' }))).toThrow(
      'account valr-margin: credentials.apiKey is missing',
    );
    try {
      credentialsOf(accountWith({}, { apiSecret: 'very-secret' }));
    } catch (err) {
      expect(String(err)).not.toContain('very-secret');
    }
  });

  it('ignores a subaccountId that is not a string', () => {
    expect(credentialsOf(accountWith({ subaccountId: 42 })).subaccountId).toBe('');
  });
});
