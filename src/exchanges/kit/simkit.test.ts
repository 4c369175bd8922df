import { request } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Faults, LevelPath, NonceGuard, seededRandom, startSimServer, TimestampGuard } from './simkit.ts';

describe('seededRandom', () => {
  it('is deterministic per seed and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(seededRandom(43)()).not.toBe(seededRandom(42)());
  });
});

describe('LevelPath', () => {
  it('in demo crosses from above the highest band to below the lowest within one cycle', () => {
    const path = new LevelPath({ seed: 7, scenario: 'demo', high: 3, low: 0.9, periodMs: 150_000, start: 0 });
    const levels = Array.from({ length: 301 }, (_, i) => path.at(i * 500));
    expect(Math.max(...levels)).toBeGreaterThan(2);
    expect(Math.min(...levels)).toBeLessThan(1.1);
    expect(levels[0]).toBeCloseTo(3, 5);
  });
  it('stays near its centre when steady, and can be pinned', () => {
    const path = new LevelPath({ seed: 7, scenario: 'steady', high: 3, low: 0.9, start: 0 });
    const levels = Array.from({ length: 600 }, (_, i) => path.at(i * 500));
    expect(Math.min(...levels)).toBeGreaterThan(2);
    path.set(1.05);
    expect(path.at(1_000_000)).toBe(1.05);
    path.set(null);
    expect(path.at(1_000_500)).not.toBe(1.05);
  });
  it('is deterministic for a seed', () => {
    const p = new LevelPath({ seed: 1, scenario: 'demo', high: 3, low: 1, start: 0 });
    const q = new LevelPath({ seed: 1, scenario: 'demo', high: 3, low: 1, start: 0 });
    expect(p.at(60_000)).toBe(q.at(60_000));
  });
});

describe('guards', () => {
  it('NonceGuard wants strictly increasing nonces per key', () => {
    const g = new NonceGuard();
    expect(g.check('k', 10)).toBe('ok');
    expect(g.check('k', 10)).toBe('not-increasing');
    expect(g.check('k', 9)).toBe('not-increasing');
    expect(g.check('k', '1731349200123456789')).toBe('ok');
    expect(g.check('other', 1)).toBe('ok');
  });
  it('TimestampGuard enforces a window and single use', () => {
    const g = new TimestampGuard(30_000);
    expect(g.check('k', 100_000, 100_000)).toBe('ok');
    expect(g.check('k', 100_000, 100_000)).toBe('reused');
    expect(g.check('k', 60_000, 100_000)).toBe('stale');
    expect(g.check('k', 140_000, 100_000)).toBe('future');
  });
  it('Faults counts one-shot faults and http errors', () => {
    const f = new Faults();
    f.apply({ kind: 'http-error', status: 429, count: 2 });
    f.apply({ kind: 'malformed' });
    expect([f.takeHttpError(), f.takeHttpError(), f.takeHttpError()]).toEqual([429, 429, null]);
    expect([f.takeMalformed(), f.takeMalformed()]).toEqual([true, false]);
    f.apply({ kind: 'revoke' });
    expect(f.revoked).toBe(true);
    f.apply({ kind: 'restore' });
    expect(f.revoked).toBe(false);
  });
});

const JSON_BODY = { 'content-type': 'application/json' };

/** One raw request (fetch would not send a foreign Host or a malformed target). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startSimServer', () => {
  it('serves HTTP, takes control commands, refuses or accepts upgrades, and drops sockets', async () => {
    const faults = new Faults();
    const commands: string[] = [];
    const sim = await startSimServer({
      faults,
      onControl: (c) => commands.push(c.kind),
      handleHttp: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello');
      },
      authorizeUpgrade: (req) =>
        req.headers['x-key'] === 'good' ? null : { status: 401, body: '{"error":"no"}' },
      onConnection: (ws) => ws.send('welcome'),
    });
    try {
      expect(await (await fetch(`${sim.url}/x`)).text()).toBe('hello');
      const bad = await fetch(`${sim.url}/__sim/control`, {
        method: 'POST',
        headers: JSON_BODY,
        body: '{"kind":"nope"}',
      });
      expect(bad.status).toBe(400);
      const ok = await fetch(`${sim.url}/__sim/control`, {
        method: 'POST',
        headers: JSON_BODY,
        body: '{"kind":"silence","on":true}',
      });
      expect(ok.status).toBe(200);
      expect(faults.silent).toBe(true);

      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${sim.wsUrl}/ws`);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
      expect(refused).toBe(401);

      const ws = new WebSocket(`${sim.wsUrl}/ws`, { headers: { 'x-key': 'good' } });
      const first = await new Promise<string>((resolve) =>
        ws.once('message', (d: Buffer) => resolve(d.toString())),
      );
      expect(first).toBe('welcome');
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await fetch(`${sim.url}/__sim/control`, {
        method: 'POST',
        headers: JSON_BODY,
        body: '{"kind":"drop"}',
      });
      expect(await closed).toBe(1006);
      expect(commands).toEqual(['silence', 'drop']);
    } finally {
      await sim.close();
    }
  });
});

describe('startSimServer robustness', () => {
  it('takes control commands only as JSON sent to a loopback name', async () => {
    const faults = new Faults();
    const sim = await startSimServer({ faults, handleHttp: (_req, res) => void res.end() });
    const port = Number(new URL(sim.url).port);
    const command = '{"kind":"revoke"}';
    try {
      const cases: [Record<string, string>, number][] = [
        [{ host: `127.0.0.1:${port}`, 'content-type': 'text/plain' }, 415], // a cross-site form
        [{ host: `127.0.0.1:${port}` }, 415],
        [{ host: `attacker.example:${port}`, ...JSON_BODY }, 403], // a DNS-rebound name
        [{ host: `localhost.attacker.example`, ...JSON_BODY }, 403],
        [{ host: `[::1]:${port}`, ...JSON_BODY }, 200],
        [{ host: `localhost:${port}`, 'content-type': 'application/json; charset=utf-8' }, 200],
      ];
      for (const [headers, status] of cases) {
        faults.revoked = false;
        const res = await raw(port, 'POST', '/__sim/control', headers, command);
        expect([headers, res.status]).toEqual([headers, status]);
        expect(faults.revoked).toBe(status === 200);
      }
    } finally {
      await sim.close();
    }
  });

  it('survives clients that reset the connection while their upgrade is refused', async () => {
    const sim = await startSimServer({
      faults: new Faults(),
      handleHttp: (_req, res) => void res.end('ok'),
      authorizeUpgrade: () => ({ status: 401, body: JSON.stringify({ error: 'x'.repeat(256 * 1024) }) }),
    });
    const port = Number(new URL(sim.url).port);
    try {
      for (let i = 0; i < 20; i += 1) {
        await new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.write(
              `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
            );
            socket.once('data', () => {
              socket.resetAndDestroy();
              resolve();
            });
          });
          socket.on('error', () => resolve());
        });
      }
      await new Promise((r) => setTimeout(r, 50));
      expect((await raw(port, 'GET', '/still-up', { host: `127.0.0.1:${port}` })).body).toBe('ok');
    } finally {
      await sim.close();
    }
  });

  it('survives a malformed request target, a throwing upgrade check and a throwing connection handler', async () => {
    let mode: 'throw-check' | 'throw-connection' = 'throw-check';
    const sim = await startSimServer({
      faults: new Faults(),
      handleHttp: (_req, res) => void res.end('ok'),
      authorizeUpgrade: () => {
        if (mode === 'throw-check') throw new Error('check broke');
        return null;
      },
      onConnection: () => {
        throw new Error('handler broke');
      },
    });
    const port = Number(new URL(sim.url).port);
    try {
      expect((await raw(port, 'GET', '//[', { host: `127.0.0.1:${port}` })).status).toBe(400);
      const upgrade = (): Promise<string> =>
        new Promise((resolve) => {
          const ws = new WebSocket(`${sim.wsUrl}/ws`);
          ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode ?? 0}`));
          ws.on('close', (code) => resolve(`closed ${code}`));
          ws.on('error', () => {});
        });
      expect(await upgrade()).toBe('refused 500');
      mode = 'throw-connection';
      expect(await upgrade()).toBe('closed 1006');
      expect((await raw(port, 'GET', '/still-up', { host: `127.0.0.1:${port}` })).body).toBe('ok');
    } finally {
      await sim.close();
    }
  });
});
