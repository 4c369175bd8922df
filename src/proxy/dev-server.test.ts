import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from './dev-server.ts';

// A project root laid out like a real checkout with a config, history and nonces beside the sources (what the
// README advises against, and what a dev server must still never hand out).
const SECRET = 'FAKE-dev-server-secret-0123456789';
const FOREIGN = 'http://localhost:3000';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET `target` exactly as written, from a page on another localhost port. */
function get(base: URL, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname.replace(/^\[|\]$/g, ''),
        port: base.port,
        path: target,
        headers: { origin: FOREIGN, accept: '*/*', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the dev server (npm run dev)', () => {
  let root = '';
  let dev: DevServer;
  let base: URL;
  beforeAll(async () => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'mw-dev-')));
    const write = (path: string, text: string): void => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write(
      'index.html',
      '<!doctype html><title>Dev</title><script type="module" src="/src/main.ts"></script>',
    );
    write('src/main.ts', "export const marker = 'dev-module-marker';\n");
    write('public/icon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
    write('margin-watch.config.json', JSON.stringify({ accounts: [{ apiSecret: SECRET }] }));
    write('data/history.sqlite', `SQLite format 3\u0000${SECRET}`);
    write('data/nonces.json', JSON.stringify({ key: SECRET }));
    write('.env', `API_SECRET=${SECRET}\n`);
    write('src/margin-watch.config.json', JSON.stringify({ apiSecret: SECRET }));
    write('src/copy.sqlite', SECRET);
    write('src/tls.pem', SECRET);
    dev = await startDevServer({ root, apiUrl: 'http://127.0.0.1:9', port: 0, logLevel: 'silent' });
    base = new URL(dev.url);
  });
  afterAll(async () => {
    await dev.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('still serves the page, a source module and a public asset', async () => {
    const page = await get(base, '/', { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('/src/main.ts');
    const module = await get(base, '/src/main.ts');
    expect(module.status).toBe(200);
    expect(module.body).toContain('dev-module-marker');
    expect((await get(base, '/icon.svg')).status).toBe(200);
  });

  it.each([
    '/margin-watch.config.json',
    '/margin-watch.config.json?import',
    '/margin-watch.config.json?raw',
    '/margin-watch.config.json?url',
    '/data/history.sqlite',
    '/data/history.sqlite?raw',
    '/data/nonces.json',
    '/data/nonces.json?import',
    '/.env',
    '/src/margin-watch.config.json',
    '/src/margin-watch.config.json?import',
    '/src/copy.sqlite?raw',
    '/src/tls.pem',
    'ROOT/margin-watch.config.json',
    'ROOT/data/nonces.json',
  ])('refuses %s to a page on another port, without CORS', async (path) => {
    const target = path.replace('ROOT', `/@fs${root}`);
    const answer = await get(base, target);
    expect(answer.status, answer.body.slice(0, 200)).toBeGreaterThanOrEqual(400);
    expect(answer.body).not.toContain(SECRET);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers no CORS preflight', async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port,
          method: 'OPTIONS',
          path: '/src/main.ts',
          headers: { origin: FOREIGN, 'access-control-request-method': 'GET' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
