// Tests of the simulator helpers every exchange simulator uses: header reading and the control route.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SimControl } from '../server-types.ts';
import { Faults, header, startSimServer } from './simkit.ts';
import { until } from './testing/session-harness.ts';

function request(headers: IncomingMessage['headers']): IncomingMessage {
  return { headers } as IncomingMessage;
}

describe('header', () => {
  it('reads a header by any case, the first of repeated values, undefined when absent', () => {
    const req = request({ 'x-valr-api-key': 'k', 'set-cookie': ['a', 'b'] });
    expect(header(req, 'X-VALR-API-KEY')).toBe('k');
    expect(header(req, 'Set-Cookie')).toBe('a');
    expect(header(req, 'authorization')).toBeUndefined();
  });
});

describe('SimServer.control', () => {
  it('applies the fault, runs the simulator handling, and drops connections at once', async () => {
    const faults = new Faults();
    const handled: SimControl['kind'][] = [];
    const server = await startSimServer({
      faults,
      onControl: (command) => handled.push(command.kind),
      handleHttp: (_req, res) => void res.end(),
    });
    try {
      const ws = new WebSocket(server.wsUrl);
      let closed = false;
      ws.on('close', () => (closed = true));
      await new Promise((resolve) => ws.once('open', resolve));
      server.control({ kind: 'revoke' });
      expect(faults.revoked).toBe(true);
      server.control({ kind: 'drop' });
      await until(() => closed, 'the client dropped');
      expect(handled).toEqual(['revoke', 'drop']);
    } finally {
      await server.close();
    }
  });
});
