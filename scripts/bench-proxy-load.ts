// The load side of the proxy benchmark (scripts/bench-proxy.ts), in its own process so that the proxy's CPU,
// memory and event loop are measured alone: the exchange simulators (one per simulated account, each with its own
// credentials), the dashboard stream clients (WebSocket /api/stream) and a Prometheus-like scraper of /metrics.
// Driven over the IPC channel of child_process.fork; every message is validated.
import { z } from 'zod';
import { WebSocket } from 'ws';
import { exchangeCatalog } from '../src/proxy/exchanges.ts';
import type { RunningSimulator } from '../src/exchanges/server-types.ts';
import {
  loadCommandSchema,
  type LoadReply,
  type LoadReport,
  type SimulatedAccount,
} from './bench-proxy-protocol.ts';

const simulators: RunningSimulator[] = [];
const sockets: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];
const clientFrames: number[] = [];
let frameBytes = 0;
let streamErrors = 0;
const scrapeMs: number[] = [];
let scrapeBytes = 0;
let scrapeFailures = 0;
const cpuAtStart = process.cpuUsage();

function send(reply: LoadReply): void {
  process.send?.(reply);
}

/** A credential value made unique to simulated account `index` (an e-mail keeps its @). */
function uniqueCredential(value: string, index: number): string {
  return value.includes('@') ? value.replace('@', `+${index}@`) : `${value}-${index}`;
}

async function startSimulators(perExchange: number, seed: number): Promise<SimulatedAccount[]> {
  const out: SimulatedAccount[] = [];
  for (const entry of exchangeCatalog().values()) {
    const spec = entry.server.demoAccount;
    for (let i = 1; i <= perExchange; i += 1) {
      const credentials = Object.fromEntries(
        Object.entries(spec.credentials).map(([key, value]) => [key, uniqueCredential(value, i)]),
      );
      const simulator = await entry.server.startSimulator({
        host: '127.0.0.1',
        port: 0,
        seed: seed + out.length,
        scenario: 'drift',
        account: { credentials, ...(spec.options ? { options: spec.options } : {}) },
      });
      simulators.push(simulator);
      out.push({
        id: `${spec.id}-${String(i).padStart(3, '0')}`,
        exchange: entry.id,
        credentials,
        endpoints: simulator.endpoints,
        ...(spec.thresholds ? { thresholds: spec.thresholds } : {}),
        ...(spec.pollSeconds !== undefined ? { pollSeconds: spec.pollSeconds } : {}),
        ...(spec.options ? { options: spec.options } : {}),
      });
    }
  }
  return out;
}

function openStreams(url: string, count: number): Promise<void> {
  const target = `${url.replace(/^http/, 'ws')}/api/stream`;
  const opened = Array.from(
    { length: count },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        clientFrames[i] = 0;
        const socket = new WebSocket(target, { headers: { origin: url } });
        sockets.push(socket);
        socket.on('message', (data: Buffer) => {
          clientFrames[i] = (clientFrames[i] ?? 0) + 1;
          frameBytes += data.length;
        });
        socket.once('open', () => resolve());
        socket.once('error', (err) => {
          streamErrors += 1;
          reject(err);
        });
        socket.on('close', () => {
          streamErrors += 1;
        });
      }),
  );
  return Promise.all(opened).then(() => undefined);
}

function scrapeEvery(url: string, token: string, seconds: number): void {
  const scrape = async (): Promise<void> => {
    const started = performance.now();
    try {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      if (res.status !== 200) {
        scrapeFailures += 1;
        return;
      }
      scrapeMs.push(performance.now() - started);
      scrapeBytes = body.length;
    } catch {
      scrapeFailures += 1;
    }
  };
  timers.push(setInterval(() => void scrape(), seconds * 1000));
  void scrape();
}

function report(): LoadReport {
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    clientFrames: [...clientFrames],
    frameBytes,
    streamErrors,
    scrapeMs: [...scrapeMs],
    scrapeBytes,
    scrapeFailures,
    cpuMicros: cpu.user + cpu.system,
    rssBytes: process.memoryUsage.rss(),
  };
}

async function stop(): Promise<void> {
  for (const timer of timers) clearInterval(timer);
  for (const socket of sockets) socket.removeAllListeners('close').terminate();
  await Promise.allSettled(simulators.map((s) => s.close()));
}

process.on('message', (raw: unknown) => {
  const parsed = loadCommandSchema.safeParse(raw);
  if (!parsed.success) {
    send({ type: 'failed', error: `unexpected command: ${z.prettifyError(parsed.error)}` });
    return;
  }
  const command = parsed.data;
  const run = async (): Promise<void> => {
    switch (command.type) {
      case 'simulators':
        send({ type: 'simulators', accounts: await startSimulators(command.perExchange, command.seed) });
        return;
      case 'clients':
        await openStreams(command.url, command.streams);
        scrapeEvery(command.url, command.metricsToken, command.scrapeSeconds);
        send({ type: 'clients' });
        return;
      case 'report':
        send({ type: 'report', report: report() });
        return;
      case 'stop':
        await stop();
        send({ type: 'stopped' });
        process.disconnect?.();
        return;
    }
  };
  run().catch((err: unknown) => send({ type: 'failed', error: String(err) }));
});
