// npm run bench:dashboard — the dashboard's API under load while a sweep writes: 1,000 runs × 100
// epochs in the database, a writer process logging epochs meanwhile (no busy timeout: any wait on a
// reader would be a "database is locked" error), and 50 concurrent clients for 30 s on GET /api/runs,
// then 30 s on GET /api/runs/:id/metrics of random runs. Reference: the same store queries in-process,
// without HTTP; the ratio of the rate served to the rate those queries could run at in one process
// shows what HTTP costs (below 1) and what answering the runs once per database version saves (above 1).
//   npm run bench:dashboard [-- --runs 1000 --epochs 100 --connections 50 --seconds 30 --writer-interval-ms 50 --no-record]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { METRIC_COLUMNS, openReader, openStore, writeTransaction, type EpochEntry } from '@acmix-lab/store';
import { flag, formatTable, recordBenchmark, repoRoot, timeMs } from './report.js';

const RUNS = flag('runs', 1000);
const EPOCHS = flag('epochs', 100);
const CONNECTIONS = flag('connections', 50);
const SECONDS = flag('seconds', 30);
const WRITER_INTERVAL_MS = flag('writer-interval-ms', 50);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

function row(epoch: number, salt: number): EpochEntry['row'] {
  const values = METRIC_COLUMNS.map(({ csv }, i) => [csv, csv.startsWith('metrics/') ? (1 - Math.exp(-epoch / 20)) * (0.3 + salt) : 3 / (epoch + i + salt)]);
  return Object.fromEntries([['epoch', epoch], ...values]) as EpochEntry['row'];
}

function fillDatabase(file: string): void {
  const store = openStore(file);
  const sweep = store.ensureSweep({ name: 'bench' });
  const combos = [[], ['P3'], ['P4'], ['P5'], ['P3', 'P4'], ['P3', 'P5'], ['P4', 'P5'], ['P3', 'P4', 'P5']];
  for (let start = 0; start < RUNS; start += 100) {
    writeTransaction(store.db, () => {
      for (let i = start; i < Math.min(RUNS, start + 100); i++) {
        const positions = combos[i % combos.length]!;
        const name = ['yolov8n', ...positions].join('+');
        store.importRun(sweep.id, {
          key: `bench-${i}`, name, positions, scale: 'n', seed: Math.floor(i / combos.length), model_yaml: `# ${name}\n`,
          config: { epochs: EPOCHS, imgsz: 320 }, epoch_budget: EPOCHS, backend: 'tensorflow', params: 3_157_200 + 60_000 * positions.length, gflops: 8.9,
        }, Array.from({ length: EPOCHS }, (_, e) => ({ row: row(e + 1, 0.01 * positions.length + 0.001 * (i % 7)), time: 10 * (e + 1) })));
      }
    });
  }
  store.close();
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
function node(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', tsx, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
}
const firstLine = async (child: ChildProcess) => (await readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-'));
const db = path.join(dir, 'acmix-lab.db');
try {
  const loadStart = load();
  let t0 = performance.now();
  fillDatabase(db);
  const fillSeconds = (performance.now() - t0) / 1000;
  console.log(`database: ${RUNS} runs × ${EPOCHS} epochs in ${fillSeconds.toFixed(1)} s (${(fs.statSync(db).size / 2 ** 20).toFixed(1)} MiB)`);

  const reader = openReader(db);
  const ids = reader.listRuns().map((r) => r.id);
  const reference = { runs: await timeMs(() => JSON.stringify(reader.listRuns())), metrics: await timeMs(() => JSON.stringify(reader.runMetrics(ids[ids.length >> 1]!)), { runs: 50 }) };
  reader.close();

  const totalMs = (2 * SECONDS + 15) * 1000;
  const writer = node(path.join(repoRoot, 'apps/dashboard/src/testing/epoch-writer.ts'), [db, String(totalMs), String(WRITER_INTERVAL_MS)]);
  const writerReport = firstLine(writer);
  const server = node(path.join(repoRoot, 'apps/cli/bin/acmix-lab.js'), ['dashboard', '--db', db, '--port', '0']);
  const url = await firstLine(server);
  console.log(`dashboard at ${url}; writer logging an epoch every ${WRITER_INTERVAL_MS} ms`);
  await fetch(new URL('/api/runs', url)); // the first request builds nothing, but warms the JIT

  const randomId = () => ids[Math.floor(Math.random() * ids.length)]!;
  const phases = [
    { endpoint: 'GET /api/runs', requests: [{ path: '/api/runs' }] },
    { endpoint: 'GET /api/runs/:id/metrics', requests: [{ setupRequest: (r: { path: string }) => ({ ...r, path: `/api/runs/${randomId()}/metrics` }) }] },
  ];
  const results = [];
  for (const { endpoint, requests } of phases) {
    t0 = performance.now();
    const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, timeout: 30, requests });
    console.log(`${endpoint}: ${r.requests.total} requests, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}`);
    results.push({ endpoint, r });
  }
  server.kill('SIGINT');
  const written = JSON.parse(await writerReport) as { epochs: number; locked: number; slowest_ms: number };
  const loadEnd = load();

  const table = formatTable(
    ['endpoint', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'non-2xx', 'in-process query + JSON ms', 'req/s ÷ in-process queries/s'],
    results.map(({ endpoint, r }) => {
      const ref = endpoint.endsWith('metrics') ? reference.metrics : reference.runs;
      return [endpoint, r.requests.total, r.requests.average.toFixed(0), r.latency.p50, r.latency.p99, r.latency.max, r.errors + r.timeouts, r.non2xx, ref.toFixed(2),
        `${(r.requests.average / (1000 / ref)).toFixed(2)}`];
    }),
  );
  const body = `${RUNS} runs × ${EPOCHS} epochs (${(fs.statSync(db).size / 2 ** 20).toFixed(0)} MiB database), ${CONNECTIONS} concurrent connections for ${SECONDS} s per endpoint `
    + `(autocannon in the benchmark process, the server in its own: \`acmix-lab dashboard\`), metrics of a random run per request.\n\n${table}\n\n`
    + `Meanwhile a writer process logged ${written.epochs} epochs (one every ${WRITER_INTERVAL_MS} ms, each its own BEGIN IMMEDIATE transaction with fsync, `
    + `busy timeout 0): "database is locked" ${written.locked} times; slowest epoch write ${written.slowest_ms} ms (with no busy timeout a `
    + `write never waits for a lock: a slow one waited for the CPU or the disk). `
    + `Load average (1 / 5 / 15 min) on the 2 cores: ${loadStart} at the start, ${loadEnd} at the end.`;
  console.log(`\n${body}`);
  const failed = results.some(({ r }) => r.errors + r.timeouts + r.non2xx > 0) || written.locked > 0;
  if (!process.argv.includes('--no-record')) recordBenchmark('bench:dashboard', 'npm run bench:dashboard', body);
  if (failed) {
    console.error('bench:dashboard: errors or a locked writer (see above)');
    process.exitCode = 1;
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
