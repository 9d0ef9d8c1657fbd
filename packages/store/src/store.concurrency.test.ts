// Several processes writing one database file, as a sweep's workers do; and processes killed with
// SIGKILL in the middle of a write.
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openDatabase } from './database.js';
import { openReader } from './reader.js';
import { openStore } from './store.js';
import { tempDbPath } from './test-helpers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const script = fileURLToPath(new URL('./writer-process.ts', import.meta.url));

interface Writer {
  child: ChildProcess;
  lines: AsyncIterator<string>;
  exit: Promise<number | null>;
}

async function startWriter(file: string, ...args: string[]): Promise<Writer> {
  const child = spawn(process.execPath, ['--import', tsx, script, file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  return { child, lines, exit };
}

const go = (writers: Writer[]) => writers.forEach((w) => w.child.stdin!.end('go\n'));

/** The database after a crash: intact, and every run's epochs exactly 1..epoch (no partial epoch). */
function expectConsistent(file: string) {
  const db = openDatabase(file, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  const mismatched = db.prepare(`SELECT r.id, r.epoch, COUNT(m.epoch) AS n, MAX(m.epoch) AS last FROM runs r
    LEFT JOIN metrics m ON m.run_id = r.id GROUP BY r.id HAVING n != r.epoch OR COALESCE(last, 0) != r.epoch`).all();
  expect(mismatched).toEqual([]);
  const logged = db.prepare('SELECT COUNT(*) AS n FROM metrics').get() as { n: number };
  db.close();
  return logged.n;
}

describe('concurrent writers', () => {
  it('8 processes × 200 transactions: no "database is locked", no run claimed twice, a reader never blocked', async () => {
    const file = tempDbPath();
    // The processes open the fresh file together: they race on creating it and migrating it too.
    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => startWriter(file, 'stress', `w${i}`, '200')));
    const reader = openReader(file);
    let reads = 0;
    const reading = setInterval(() => {
      reader.listRuns();
      reads++;
    }, 5);
    go(writers);
    const reports = await Promise.all(writers.map(async (w) => {
      const line = (await w.lines.next()).value as string;
      expect(await w.exit).toBe(0);
      return JSON.parse(line) as { transactions: number; locked: number; claimed: number[] };
    }));
    clearInterval(reading);
    reader.close();
    expect(reports.map((r) => r.transactions)).toEqual(Array(8).fill(200));
    expect(reports.map((r) => r.locked)).toEqual(Array(8).fill(0));
    const claimed = reports.flatMap((r) => r.claimed);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(reads).toBeGreaterThan(0);
    const store = openReader(file);
    const runs = store.listRuns();
    expect(runs).toHaveLength(400);
    expect(store.listSweeps()).toHaveLength(1);
    for (const id of claimed) {
      const run = runs[id - 1]!;
      expect(run.status === 'completed' || run.status === 'running').toBe(true);
      // Every epoch a worker logged is there with its values (resultsRow(epoch, run id)).
      for (const m of store.runMetrics(id)) expect(m.map50).toBeCloseTo(0.1 * m.epoch + id / 100, 12);
    }
    expect(runs.filter((r) => r.status !== 'queued').length).toBe(claimed.length);
    store.close();
    expectConsistent(file);
  });

  it('kill -9 inside the transaction of an epoch leaves the database intact and no partial epoch', async () => {
    const file = tempDbPath();
    const writer = await startWriter(file, 'hang', 'w0');
    go([writer]);
    expect((await writer.lines.next()).value).toBe('in-transaction');
    writer.child.kill('SIGKILL');
    expect(await writer.exit).toBeNull();
    expect(expectConsistent(file)).toBe(1);
    // The metrics row of epoch 2 was written inside the killed transaction: rolled back with it.
    const store = openStore(file);
    expect(store.getRun(1)).toMatchObject({ status: 'running', epoch: 1, worker: 'w0' });
    expect(store.runMetrics(1).map((m) => m.epoch)).toEqual([1]);
    store.close();
  });

  it('kill -9 at random points of a writing loop leaves every run consistent', async () => {
    const file = tempDbPath();
    let logged = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const writer = await startWriter(file, 'loop', `w${attempt}`);
      go([writer]);
      expect((await writer.lines.next()).value).toBe('writing');
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 500));
      writer.child.kill('SIGKILL');
      expect(await writer.exit).toBeNull();
      const now = expectConsistent(file);
      expect(now).toBeGreaterThan(logged);
      logged = now;
    }
  });
});
