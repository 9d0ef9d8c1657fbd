import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '@acmix-lab/store';

const bin = fileURLToPath(new URL('../../bin/acmix-lab.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-dashboard-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('acmix-lab dashboard', () => {
  it('prints its URL, serves the database read-only and stops on SIGINT', async () => {
    const db = path.join(tmp, 'runs.db');
    const store = openStore(db);
    store.ensureSweep({ name: 'neck' });
    store.close();
    const child = spawn(process.execPath, [bin, 'dashboard', '--db', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const [url] = await readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const sweeps = await (await fetch(new URL('/api/sweeps', url))).json() as { name: string }[];
    expect(sweeps.map((s) => s.name)).toEqual(['neck']);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('a bad --db or --port is one line', () => {
    const missing = spawnSync(process.execPath, [bin, 'dashboard', '--db', path.join(tmp, 'nothing.db')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([`acmix-lab: error: ${path.join(tmp, 'nothing.db')}: no such database`]);
    const port = spawnSync(process.execPath, [bin, 'dashboard', '--port', '70000'], { encoding: 'utf8' });
    expect(port.status).toBe(2);
    expect(port.stderr).toMatch(/expected a port from 0 to 65535, got "70000"/);
  });
});
