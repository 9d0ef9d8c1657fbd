// npm run bench:sweep — total training images/s of a sweep on this machine with 1 worker × all threads and
// with N workers × an equal share (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS and the data loader
// threads per worker, packages/orchestrator/src/threads.ts), in the same run, on the same runs: YOLOv8n on
// the synthetic dataset, four seeds so that every worker always has work, at 128 px (the shipped sweeps')
// and 64 px (the demo's). The time is the runner's wall time, worker start-up (TensorFlow loading) and
// validation included: what a sweep gets. Each setting runs `--repeats` times, alternating (1, N, N, 1, …),
// and the best counts: other jobs on a shared machine only ever slow a run down.
//   npm run bench:sweep [-- --imgsz 128,64 --epochs 3 --images 128 --runs 4 --repeats 3 --no-record]  (needs redis-server)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_WORKERS, runSweep, threadsPerWorker } from '@acmix-lab/orchestrator';
import { startRedis } from '@acmix-lab/orchestrator/testing/queue';
import { synthDataset } from '@acmix-lab/trainer';
import { formatTable, recordBenchmark, repoRoot } from './report.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const sizes = flag('imgsz', '128,64').split(',').map(Number);
const epochs = Number(flag('epochs', '3'));
const images = Number(flag('images', '128'));
const runs = Number(flag('runs', '4'));
const repeats = Number(flag('repeats', '3'));
const cpus = os.availableParallelism();
const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' / ');

interface Setting { label: string; workers: number; queue: boolean }
const settings: Setting[] = [
  { label: `1 × ${threadsPerWorker(1)}`, workers: 1, queue: false },
  { label: `${cpus} × ${threadsPerWorker(cpus)}`, workers: cpus, queue: false },
  { label: `${cpus} × ${threadsPerWorker(cpus)} over the queue`, workers: cpus, queue: true },
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
const redis = await startRedis();

/** One sweep with `setting`; over the queue, its workers start with it (start-up counted, as for local workers) and stop after. */
async function sweepOnce(setting: Setting, sweepFile: string, dbFile: string) {
  if (!setting.queue) return runSweep(sweepFile, { dbFile, workers: setting.workers });
  const workers = spawn(process.execPath, [path.join(repoRoot, 'apps/cli/bin/acmix-lab.js'), 'worker', '--queue', redis.url,
    '--checkpoints', path.join(dir, 'shared'), '--concurrency', String(setting.workers)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => workers.on('exit', resolve));
  try {
    return await runSweep(sweepFile, { dbFile, workers: setting.workers, queue: redis.url });
  } finally {
    workers.kill('SIGTERM');
    await exited;
  }
}

try {
  const { yamlFile } = await synthDataset({ out: path.join(dir, 'data'), train: images, val: 8, imgsz: 128, classes: 3, seed: 0 });
  const trained = runs * epochs * images;
  const loads: string[] = [load()];
  const rows: (string | number)[][] = [];
  const verdicts: string[] = [];
  for (const imgsz of sizes) {
    const sweepFile = path.join(dir, `bench${imgsz}.yaml`);
    fs.writeFileSync(sweepFile, `name: bench\nmodel: ${path.join(repoRoot, 'experiments/models/yolov8.yaml')}\nscales: [n]\n`
      + `seeds: [${Array.from({ length: runs }, (_, i) => i).join(', ')}]\ndata: ${yamlFile}\n`
      + `train: {epochs: ${epochs}, batch: 16, imgsz: ${imgsz}, nbs: 16, warmup_epochs: 1, close_mosaic: 0, plots: false}\n`);
    const times = new Map<Setting, number[]>(settings.map((s) => [s, []]));
    const order = Array.from({ length: repeats }, (_, i) => settings.map((_s, j) => settings[(i + j) % settings.length]!)).flat();
    for (const [i, setting] of order.entries()) {
      const t0 = performance.now();
      const result = await sweepOnce(setting, sweepFile, path.join(dir, `${imgsz}-${i}.db`));
      const seconds = (performance.now() - t0) / 1000;
      const failed = result.runs.filter((r) => r.status !== 'completed');
      if (failed.length > 0) throw new Error(`${failed.length} runs did not complete: ${failed.map((r) => r.error).join('; ')}`);
      times.get(setting)!.push(seconds);
      loads.push(load());
      console.log(`${imgsz} px, ${setting.label} (workers × threads): ${(trained / seconds).toFixed(1)} img/s (load ${load()})`);
    }
    const rate = (s: Setting) => trained / Math.min(...times.get(s)!);
    const median = (s: Setting) => trained / [...times.get(s)!].sort((a, b) => a - b)[Math.floor(repeats / 2)]!;
    for (const s of settings) rows.push([imgsz, s.label, times.get(s)!.map((t) => t.toFixed(1)).join(', '), rate(s).toFixed(1), median(s).toFixed(1)]);
    const [one, local, queue] = settings as [Setting, Setting, Setting];
    verdicts.push(`${imgsz} px: ${cpus} workers / 1 worker = ${(rate(local) / rate(one)).toFixed(2)}× (best), ${(median(local) / median(one)).toFixed(2)}× (median); `
      + `${cpus} workers over the queue / without = ${(rate(queue) / rate(local)).toFixed(2)}× (best), ${(median(queue) / median(local)).toFixed(2)}× (median)`);
  }
  const table = formatTable(['imgsz', 'workers × threads', 'wall s (each repeat)', 'images/s (best)', 'images/s (median)'], rows);
  const body = `YOLOv8n, batch 16, ${runs} runs (seeds) × ${epochs} epochs × ${images} synthetic images = ${trained} training images per sweep, `
    + `trained by \`runSweep\` with each setting ${repeats} times, in rotating order (over the queue: ${cpus} \`acmix-lab worker\` processes started `
    + `with the sweep, redis-server on loopback, the coordinator applying their events); wall time of the whole sweep (worker start-up and `
    + `validation included), the best and the median of the repeats. ${verdicts.join('; ')}. The runner's default is ${DEFAULT_WORKERS} worker(s) (DEFAULT_WORKERS). `
    + `Load average before and after each sweep (other jobs share the machine): ${loads.join(' → ')}.\n\n${table}`;
  console.log(`\n${table}\n${verdicts.join('\n')}`);
  if (!process.argv.includes('--no-record')) recordBenchmark('bench:sweep', ['npm run bench:sweep', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '), body);
} finally {
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
