// npm run bench:sweep — total training images/s of a sweep on this machine with 1 worker × all threads and
// with N workers × an equal share (TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS and the data loader
// threads per worker, packages/orchestrator/src/threads.ts), in the same run, on the same runs: YOLOv8n at
// 128 px on the synthetic dataset, four seeds, so two workers always have work. The time is the runner's
// wall time, worker start-up (TensorFlow loading) and validation included: what a sweep gets. The faster
// setting is the runner's default (DEFAULT_WORKERS). Each setting runs `--repeats` times, alternating
// (1, N, N, 1, …), and the best counts: other jobs on a shared machine only ever slow a run down.
//   npm run bench:sweep [-- --epochs 2 --images 64 --imgsz 128 --runs 4 --repeats 2 --no-record]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_WORKERS, runSweep, threadsPerWorker } from '@acmix-lab/orchestrator';
import { synthDataset } from '@acmix-lab/trainer';
import { formatTable, recordBenchmark, repoRoot } from './report.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const epochs = flag('epochs', 2);
const images = flag('images', 64);
const imgsz = flag('imgsz', 128);
const runs = flag('runs', 4);
const repeats = flag('repeats', 2);
const cpus = os.availableParallelism();
const load = () => os.loadavg().map((v) => v.toFixed(1)).join(' / ');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
try {
  const { yamlFile } = await synthDataset({ out: path.join(dir, 'data'), train: images, val: 8, imgsz: 128, classes: 3, seed: 0 });
  const sweepFile = path.join(dir, 'bench.yaml');
  fs.writeFileSync(sweepFile, `name: bench\nmodel: ${path.join(repoRoot, 'experiments/models/yolov8.yaml')}\nscales: [n]\n`
    + `seeds: [${Array.from({ length: runs }, (_, i) => i).join(', ')}]\ndata: ${yamlFile}\n`
    + `train: {epochs: ${epochs}, batch: 16, imgsz: ${imgsz}, nbs: 16, warmup_epochs: 1, close_mosaic: 0, plots: false}\n`);
  const trained = runs * epochs * images;
  const times = new Map<number, number[]>([[1, []], [cpus, []]]);
  const loads: string[] = [load()];
  const order = Array.from({ length: repeats }, (_, i) => (i % 2 === 0 ? [1, cpus] : [cpus, 1])).flat();
  for (const [i, workers] of order.entries()) {
    const t0 = performance.now();
    const result = await runSweep(sweepFile, { dbFile: path.join(dir, `${i}.db`), workers });
    const seconds = (performance.now() - t0) / 1000;
    const failed = result.runs.filter((r) => r.status !== 'completed');
    if (failed.length > 0) throw new Error(`${failed.length} runs did not complete: ${failed.map((r) => r.error).join('; ')}`);
    times.get(workers)!.push(seconds);
    loads.push(load());
    console.log(`${workers} worker(s) × ${threadsPerWorker(workers)} thread(s): ${trained} images in ${seconds.toFixed(1)} s = ${(trained / seconds).toFixed(1)} img/s (load ${load()})`);
  }
  const rate = (workers: number) => trained / Math.min(...times.get(workers)!);
  const ratio = rate(cpus) / rate(1);
  const best = ratio > 1 ? cpus : 1;
  const rows = [1, cpus].map((w) => [`${w} × ${threadsPerWorker(w)}`, trained, times.get(w)!.map((t) => t.toFixed(1)).join(', '), rate(w).toFixed(1)]);
  const table = formatTable(['workers × threads', 'training images', 'wall s (each repeat)', 'images/s (best)'], rows);
  const body = `YOLOv8n at ${imgsz} px, batch 16, ${runs} runs (seeds) × ${epochs} epochs × ${images} synthetic images, trained by \`runSweep\` `
    + `with each setting ${repeats} times, alternating, same runs; wall time of the whole sweep (worker start-up and validation included), best of the repeats. `
    + `${cpus} workers / 1 worker = ${ratio.toFixed(2)}×: the faster is ${best} worker${best > 1 ? 's' : ''}`
    + `${best === DEFAULT_WORKERS ? ' (the default, DEFAULT_WORKERS)' : ` — DEFAULT_WORKERS is ${DEFAULT_WORKERS}: update it`}. `
    + `Load average before, between and after (other jobs share the machine): ${loads.join(' → ')}.\n\n${table}`;
  console.log(`\n${table}\n${cpus} workers / 1 worker: ${ratio.toFixed(2)}×`);
  if (!process.argv.includes('--no-record')) recordBenchmark('bench:sweep', 'npm run bench:sweep', body);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
