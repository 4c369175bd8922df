import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../exchanges/server-types.ts';
import { FileNonceSource } from './nonce.ts';
import { memoryNonceSource } from '../exchanges/kit/signing.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-nonce-'));
  dirs.push(dir);
  return dir;
}

function tempFile(): string {
  return join(tempDir(), 'data', 'nonces.json');
}

function expectStrictlyIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i += 1) {
    if (!((values[i] ?? 0) > (values[i - 1] ?? 0))) throw new Error(`not increasing at ${i}`);
  }
}

describe('FileNonceSource', () => {
  it('follows the clock when calls are slower than the clock', () => {
    let now = 1_700_000_000_000;
    const nonces = new FileNonceSource({ file: tempFile(), now: () => now });
    expect(nonces.next('k')).toBe(1_700_000_000_000);
    now += 50;
    expect(nonces.next('k')).toBe(1_700_000_000_050);
  });

  it('stays strictly increasing through a burst of 10 000 with a frozen clock, writing once per block', () => {
    const now = 1_700_000_000_000;
    const nonces = new FileNonceSource({ file: tempFile(), now: () => now, block: 1_000 });
    const values = Array.from({ length: 10_000 }, () => nonces.next('api-key-1'));
    expectStrictlyIncreasing(values);
    expect(values[0]).toBe(now);
    expect(values[9_999]).toBe(now + 9_999);
    // One reservation per 1 001 nonces (reserved = nonce + block): 10 writes, not 10 000.
    expect(nonces.writes).toBe(10);
  });

  it('stays strictly increasing through a burst with the real clock', () => {
    const nonces = new FileNonceSource({ file: tempFile() });
    const values = Array.from({ length: 10_000 }, () => nonces.next('k'));
    expectStrictlyIncreasing(values);
    expect(nonces.writes).toBeLessThan(20);
  });

  it('keeps keys independent', () => {
    const nonces = new FileNonceSource({ file: tempFile(), now: () => 1000 });
    expect([nonces.next('a'), nonces.next('a'), nonces.next('b'), nonces.next('a')]).toEqual([
      1000, 1001, 1000, 1002,
    ]);
  });

  it('continues above every issued nonce after a restart, even when the clock went back', () => {
    const file = tempFile();
    let now = 2_000_000;
    const first = new FileNonceSource({ file, now: () => now });
    let last = 0;
    for (let i = 0; i < 10_000; i += 1) last = first.next('key');
    expect(last).toBe(2_009_999);
    now = 1_000_000; // the clock stepped back across the restart
    const second = new FileNonceSource({ file, now: () => now });
    const next = second.next('key');
    expect(next).toBeGreaterThan(last);
    expect(second.next('key')).toBe(next + 1);
    expect(second.next('other')).toBe(1_000_000);
  });

  it('stores a hash of the key, never the key', () => {
    const file = tempFile();
    const nonces = new FileNonceSource({ file, now: () => 5 });
    nonces.next('my-api-key-XYZ');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('my-api-key-XYZ');
    expect(text).toMatch(/^\{"version":1,"reserved":\{"[0-9a-f]{64}":10005\}\}$/);
  });

  it('warns and starts from the clock when the file is corrupt', () => {
    const file = tempFile();
    new FileNonceSource({ file, now: () => 1 }).next('k');
    writeFileSync(file, 'not json');
    const warnings: string[] = [];
    const log: Logger = { info: () => {}, warn: (m) => warnings.push(m), error: () => {} };
    const nonces = new FileNonceSource({ file, now: () => 500, log });
    expect(nonces.next('k')).toBe(500);
    expect(warnings).toEqual(['nonce file is not valid JSON; starting from the clock']);
  });

  it('keeps working in memory, with one warning, when the file cannot be written', () => {
    const warnings: string[] = [];
    const log: Logger = { info: () => {}, warn: (m) => warnings.push(m), error: () => {} };
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, '');
    const nonces = new FileNonceSource({ file: join(blocker, 'nonces.json'), now: () => 7, block: 1, log });
    expect([nonces.next('k'), nonces.next('k'), nonces.next('k')]).toEqual([7, 8, 9]);
    expect(warnings).toEqual([
      'cannot read the nonce file',
      'cannot write the nonce file; nonces stay increasing only until restart',
    ]);
  });
});

describe('memoryNonceSource', () => {
  it('is strictly increasing per key', () => {
    const nonces = memoryNonceSource(() => 10);
    expect([nonces.next('a'), nonces.next('a'), nonces.next('b')]).toEqual([10, 11, 10]);
  });
});
