import { describe, expect, it } from 'vitest';
import type { NonceSource } from '../server-types.ts';
import {
  HEADER_APIKEY,
  HEADER_PAYLOAD,
  HEADER_SIGNATURE,
  authHeaders,
  bitoproCredentials,
  getPayload,
  nonceKey,
  signPayload,
  signedHeaders,
} from './sign.ts';

// Published vectors (BitoPro API docs, authentication section): secret "bitopro".
const vectors = [
  {
    name: 'README example (hcmlinj@gmail.com)',
    identity: 'hcmlinj@gmail.com',
    nonce: 1554380909131,
    payload: 'eyJpZGVudGl0eSI6ImhjbWxpbmpAZ21haWwuY29tIiwibm9uY2UiOjE1NTQzODA5MDkxMzF9',
    signature:
      '01a85a9083db47c20da7196380598f3feacd3c76a9077aaf7ffaf08ce0091abf65b61778792607b010921adfe1c2941a',
  },
  {
    name: 'padded payload (support@bitoex.com)',
    identity: 'support@bitoex.com',
    nonce: 1554380909131,
    payload: 'eyJpZGVudGl0eSI6InN1cHBvcnRAYml0b2V4LmNvbSIsIm5vbmNlIjoxNTU0MzgwOTA5MTMxfQ==',
    signature:
      '98ddf62831afaa56fcd64220a2b60712a3990b404a5f28a8cf37069dc3cb77d634f576895906e238e36ba50c626dfadb',
  },
];

describe('BitoPro signing: published vectors', () => {
  it.each(vectors)('$name: payload is the documented base64', ({ identity, nonce, payload }) => {
    expect(getPayload(identity, nonce)).toBe(payload);
  });

  it.each(vectors)('$name: signature is the documented hex HMAC-SHA384', ({ payload, signature }) => {
    expect(signPayload('bitopro', payload)).toBe(signature);
  });

  it.each(vectors)(
    '$name: headers carry key, payload and signature',
    ({ identity, nonce, payload, signature }) => {
      const headers = authHeaders({ apiKey: 'demo-bitopro-key', apiSecret: 'bitopro', identity }, nonce);
      expect(headers).toEqual({
        [HEADER_APIKEY]: 'demo-bitopro-key',
        [HEADER_PAYLOAD]: payload,
        [HEADER_SIGNATURE]: signature,
      });
    },
  );
});

describe('BitoPro signing: header building', () => {
  const credentials = {
    apiKey: 'demo-bitopro-key',
    apiSecret: 'demo-bitopro-secret-not-real',
    identity: 'demo@example.com',
  };

  it('uses the header names BitoPro documents', () => {
    expect(Object.keys(authHeaders(credentials, 1))).toEqual([
      'X-BITOPRO-APIKEY',
      'X-BITOPRO-PAYLOAD',
      'X-BITOPRO-SIGNATURE',
    ]);
  });

  it('payload decodes to exactly {identity, nonce} as JSON', () => {
    const payload = authHeaders(credentials, 1700000000123)[HEADER_PAYLOAD] ?? '';
    expect(Buffer.from(payload, 'base64').toString('utf8')).toBe(
      '{"identity":"demo@example.com","nonce":1700000000123}',
    );
  });

  it('signature is lowercase hex of 48 bytes and changes with the nonce', () => {
    const a = authHeaders(credentials, 1)[HEADER_SIGNATURE] ?? '';
    const b = authHeaders(credentials, 2)[HEADER_SIGNATURE] ?? '';
    expect(a).toMatch(/^[0-9a-f]{96}$/);
    expect(b).toMatch(/^[0-9a-f]{96}$/);
    expect(a).not.toBe(b);
  });

  it('never puts the secret in a header', () => {
    const values = Object.values(authHeaders(credentials, 5));
    for (const value of values) {
      expect(value).not.toContain(credentials.apiSecret);
      expect(Buffer.from(value, 'base64').toString('utf8')).not.toContain(credentials.apiSecret);
    }
  });

  it('takes a fresh nonce per call from the NonceSource, keyed by the API key', () => {
    const calls: string[] = [];
    let n = 1000;
    const nonces: NonceSource = {
      next(key) {
        calls.push(key);
        n += 1;
        return n;
      },
    };
    const first = signedHeaders(credentials, nonces);
    const second = signedHeaders(credentials, nonces);
    expect(calls).toEqual([nonceKey('demo-bitopro-key'), nonceKey('demo-bitopro-key')]);
    expect(Buffer.from(first[HEADER_PAYLOAD] ?? '', 'base64').toString('utf8')).toBe(
      '{"identity":"demo@example.com","nonce":1001}',
    );
    expect(Buffer.from(second[HEADER_PAYLOAD] ?? '', 'base64').toString('utf8')).toBe(
      '{"identity":"demo@example.com","nonce":1002}',
    );
  });
});

describe('BitoPro credentials', () => {
  it('picks apiKey, apiSecret and identity', () => {
    expect(bitoproCredentials({ apiKey: 'k', apiSecret: 's', identity: 'a@b.c' })).toEqual({
      apiKey: 'k',
      apiSecret: 's',
      identity: 'a@b.c',
    });
  });

  it.each(['apiKey', 'apiSecret', 'identity'])('names a missing %s without showing any value', (field) => {
    const record: Record<string, string> = {
      apiKey: 'key-value',
      apiSecret: 'secret-value',
      identity: 'me@x.y',
    };
    delete record[field];
    expect(() => bitoproCredentials(record)).toThrow(`BitoPro credentials.${field} is missing`);
    try {
      bitoproCredentials(record);
    } catch (err) {
      expect(String(err)).not.toMatch(/key-value|secret-value|me@x\.y/);
    }
  });
});
