// "Safe by default", rule by rule: the Host header (DNS rebinding), no CORS, headers that stop
// script injection and sniffing, artifact paths that cannot leave the run folder, a bad --db as one
// line, loopback by default, and reading that never blocks a writing sweep.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, StoreError } from '@acmix-lab/store';
import { servedHosts } from './host-guard.js';
import { startDashboard } from './start.js';
import { fixtureApp, HOST, type FixtureApp } from './testing/fixture-app.js';

let f: FixtureApp;
beforeAll(async () => {
  f = await fixtureApp();
});
afterAll(() => f.close());

const ROUTES = ['/', '/assets/app.js', '/api/runs', '/api/sweeps', '/api/runs/1', '/api/runs/1/metrics', '/api/runs/1/files/results.png', '/api/events'];

describe('DNS rebinding: only requests addressed to this server', () => {
  it.each([
    ['a foreign name', 'evil.example:5173'], ['a foreign name on port 80', 'evil.example'], ['another port', '127.0.0.1:5174'],
    ['no port', '127.0.0.1'], ['an empty host', ''],
  ])('refuses %s on every route', async (_, host) => {
    for (const url of ROUTES) {
      const response = await f.app.inject({ method: 'GET', url, headers: { host } });
      expect(response.statusCode, url).toBe(403);
      expect(response.json().error).toMatch(/Host header/);
    }
  });

  it('answers every loopback name of a loopback server', async () => {
    expect([...servedHosts('127.0.0.1', 8080)].sort()).toEqual(['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']);
    expect([...servedHosts('192.168.1.20', 8080)]).toEqual(['192.168.1.20:8080']);
    expect(servedHosts('0.0.0.0', 8080).has(`${os.hostname().toLowerCase()}:8080`)).toBe(true);
    expect((await f.get('/api/runs', { host: HOST.toUpperCase() })).statusCode).toBe(200);
  });
});

describe('no cross-origin access', () => {
  it('sends no CORS header to another origin, and has no preflight route', async () => {
    for (const url of ROUTES.filter((u) => u !== '/api/events')) {
      const response = await f.get(url, { origin: 'http://evil.example' });
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-')), url).toEqual([]);
    }
    const preflight = await f.app.inject({ method: 'OPTIONS', url: '/api/runs', headers: { host: HOST, origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers GET only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      expect((await f.app.inject({ method, url: '/api/runs', headers: { host: HOST } })).statusCode).toBe(404);
    }
  });
});

describe('stored strings never become markup', () => {
  it('sends a content security policy without inline scripts, and no sniffing, on pages, data and refusals', async () => {
    for (const response of [await f.get('/'), await f.get('/api/runs'), await f.get('/api/runs/9999'), await f.app.inject({ url: '/', headers: { host: 'evil.example' } })]) {
      expect(response.headers['content-security-policy']).toMatch(/script-src 'self';/);
      expect(response.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('serves stored strings as JSON data only', async () => {
    const response = await f.get('/api/runs');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json().find((r: { id: number }) => r.id === f.fixture.runs.xss).name).toBe('<img src=x onerror=alert(1)>');
  });

  it('serves an html file of a run folder as a download, never as a page', async () => {
    const response = await f.get(`/api/runs/${f.fixture.runs.baseline}/files/page.html`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.headers['content-disposition']).toBe('attachment');
  });
});

/** A GET whose path is sent as written: inject() and fetch() resolve `..` and `%2e%2e` before sending. */
function rawGet(base: string, requestPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port, host } = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path: requestPath, headers: { host } }, (response) => {
      let body = '';
      response.on('data', (d) => { body += d; }).on('end', () => resolve({ status: response.statusCode!, body }));
    }).on('error', reject);
  });
}

describe('artifact routes serve files inside the run folder only', () => {
  const outside = ['../secret.txt', '../../secret.txt', '../../../secret.txt', '%2e%2e/%2e%2e/secret.txt', '%2E%2E%2F%2E%2E%2Fsecret.txt',
    '..%2f..%2fsecret.txt', '..%5c..%5csecret.txt', 'weights/../../../secret.txt', '.%2e/.%2e/secret.txt', '%252e%252e/%252e%252e/secret.txt'];
  it.each(outside)('404 for %s, sent as written', async (requested) => {
    const dashboard = await startDashboard({ db: f.fixture.dbFile });
    try {
      const response = await rawGet(dashboard.url, `/api/runs/${f.fixture.runs.baseline}/files/${requested}`);
      expect(response.status).toBe(404);
      expect(response.body).toBe('{"error":"no such file in the run folder"}');
    } finally {
      await dashboard.close();
    }
  });

  it('404 for absolute paths', async () => {
    const secret = path.join(f.fixture.root, 'secret.txt');
    for (const requested of [secret, encodeURIComponent(secret), `/${secret}`, '/etc/passwd', '%2Fetc%2Fpasswd']) {
      expect((await f.get(`/api/runs/${f.fixture.runs.baseline}/files/${requested}`)).statusCode, requested).toBe(404);
    }
  });

  it('404 for symlinks leading out, for a file or through a directory', async () => {
    const run = f.fixture.runs.baseline;
    expect(fs.lstatSync(path.join(f.fixture.root, 'runs', `run-${run}`, 'leak.txt')).isSymbolicLink()).toBe(true);
    expect((await f.get(`/api/runs/${run}/files/leak.txt`)).statusCode).toBe(404);
    expect((await f.get(`/api/runs/${run}/files/weights/up/secret.txt`)).statusCode).toBe(404);
  });

  it('404 for directories, missing files, runs without a folder and unknown runs', async () => {
    const { baseline, queued } = f.fixture.runs;
    for (const url of [`/api/runs/${baseline}/files/weights`, `/api/runs/${baseline}/files/nothing.png`, `/api/runs/${queued}/files/results.png`, '/api/runs/9999/files/results.png']) {
      expect((await f.get(url)).statusCode, url).toBe(404);
    }
    expect((await f.get(`/api/runs/${baseline}/files/weights/best/model.json`)).statusCode).toBe(200);
  });
});

describe('starting', () => {
  it('a bad --db path is one line naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acmix-dashboard-db-'));
    const notSqlite = path.join(dir, 'notes.txt');
    fs.writeFileSync(notSqlite, 'not a database\n');
    for (const [db, message] of [[path.join(dir, 'missing.db'), 'no such database'], [notSqlite, 'file is not a database'], [dir, 'cannot open']] as const) {
      const error = await startDashboard({ db }).then(() => null, (err: unknown) => err as Error);
      expect(error).toBeInstanceOf(StoreError);
      expect(error!.message).toContain(db);
      expect(error!.message).toContain(message);
      expect(error!.message).not.toContain('\n');
    }
  });

  it('binds 127.0.0.1 by default, on a free port', async () => {
    const dashboard = await startDashboard({ db: f.fixture.dbFile });
    try {
      const url = new URL(dashboard.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(Number(url.port)).toBeGreaterThan(0);
      expect((await fetch(new URL('/api/sweeps', url))).status).toBe(200);
      const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
      if (external) {
        const refused = await new Promise<boolean>((resolve) => {
          const socket = net.connect(Number(url.port), external.address).once('connect', () => resolve(false)).once('error', () => resolve(true));
          socket.unref();
        });
        expect(refused).toBe(true);
      }
    } finally {
      await dashboard.close();
    }
  });
});

describe('reading never blocks a writing sweep', () => {
  it('answers while another process holds the write lock, from the last committed state', async () => {
    const writer = openStore(f.fixture.dbFile);
    const before = (await f.get('/api/runs')).json().length;
    writer.db.exec('BEGIN IMMEDIATE');
    writer.addRuns(writer.getSweep('neck')!.id, [{ key: 'uncommitted', name: 'yolov8n+P4', positions: ['P4'], scale: 'n', seed: 9, model_yaml: '', config: {}, epoch_budget: 1 }]);
    const t0 = performance.now();
    expect((await f.get('/api/runs')).json().length).toBe(before);
    expect(performance.now() - t0).toBeLessThan(1000);
    writer.db.exec('COMMIT');
    expect((await f.get('/api/runs')).json().length).toBe(before + 1);
    writer.close();
  });

  it('a writer with no busy timeout logs every epoch while the API is read without pause', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = new URL('./testing/epoch-writer.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--import', tsx, script, f.fixture.dbFile, '4000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let [out, err] = ['', ''];
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let reads = 0;
    while (child.exitCode === null) {
      const runs = (await f.get('/api/runs')).json() as { id: number }[];
      expect((await f.get(`/api/runs/${runs.at(-1)!.id}/metrics`)).statusCode).toBe(200);
      reads++;
      await new Promise((resolve) => setImmediate(resolve)); // inject() alone never yields to the child's exit event
    }
    expect(await exited, err).toBe(0);
    const report = JSON.parse(out) as { epochs: number; locked: number };
    expect(report.locked).toBe(0);
    expect(report.epochs).toBeGreaterThan(20);
    expect(reads).toBeGreaterThan(20);
  });
});

describe('NaN and Infinity', () => {
  it('arrive as null in valid JSON', async () => {
    const response = await f.get(`/api/runs/${f.fixture.runs.nan}/metrics`);
    expect(response.body).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(response.body)[3]).toMatchObject({ train_box_loss: null, val_dfl_loss: null });
  });
});
