// npm run bench:train — training throughput of YOLOv8n and the seed's version-one yaml (three ACmix
// in the neck) at imgsz 320, batch 16, in one run on this machine:
//   * the training step alone (forward, v8 loss with the assigner, backward, optimizer loop with
//     accumulation to nbs 64 and the EMA) on a fixed batch;
//   * the same step fed by the DataLoader (mosaic augmentation in worker threads);
//   * the share of the machine's conv throughput the step achieves: 3 × forward FLOPs × img/s
//     ÷ the fwd+bwd GFLOP/s of bench:backend's 3×3 conv, measured in this run;
//   * the reference: the same network in PyTorch 2 threads, forward + backward of a plain loss;
//   * the step with tfjs-node's stock Conv2D kernels against the 1×1-as-MatMul route initBackend
//     installs (docs/onednn-sigfpe.md), alternating in this process so both see the same load.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend, registerNativeKernelFixes, unregisterNativeKernelFixes } from '@acmix-lab/runtime';
import { buildModel, modelSummary, type YoloModel } from '@acmix-lab/yolo';
import {
  DataLoader, loadDataYaml, resolveTrainConfig, scanSplit, synthDataset, TrainingStep, type Batch,
} from '@acmix-lab/trainer';
import { measureConv } from './backend.js';
import { formatTable, recordBenchmark, repoRoot } from './report.js';

const BATCH = 16;
const IMGSZ = 320;
const NC = 3;
const STEPS = Number(process.env.BENCH_STEPS ?? 8);
const MODELS = [
  { name: 'yolov8n', yaml: 'experiments/models/yolov8.yaml' },
  { name: 'yolov8n + 3 ACmix (seed v1)', yaml: 'experiments/models/yolov8-acmix-neck.yaml' },
];

/** The training step train() runs, past warmup, accumulating 4 batches per optimizer step as at batch 16. */
function trainer(model: YoloModel, images: number) {
  const config = resolveTrainConfig({ model: 'bench', data: 'bench', batch: BATCH, imgsz: IMGSZ, epochs: 100 });
  const step = new TrainingStep(model, config, { nc: NC, images, nb: Math.ceil(images / BATCH) });
  let ni = 300;
  return {
    step: (b: Batch) => { step.run(b, ni++, 3); },
    dispose: () => step.dispose(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Step ms with the stock conv kernels and with the 1×1 MatMul route: medians of single steps, alternating ABBA. */
function pointwiseRouteAB(step: () => void, rounds = 10): { stock: number; matmul: number } {
  const times = { stock: [] as number[], matmul: [] as number[] };
  const run = (route: 'stock' | 'matmul') => {
    if (route === 'stock') unregisterNativeKernelFixes();
    const t0 = performance.now();
    step();
    times[route].push(performance.now() - t0);
    registerNativeKernelFixes();
  };
  run('stock'); // warm-up: the stock primitives for these shapes
  times.stock.length = 0;
  for (let round = 0; round < rounds; round++) {
    for (const route of round % 2 ? ['matmul', 'stock'] as const : ['stock', 'matmul'] as const) run(route);
  }
  return { stock: median(times.stock), matmul: median(times.matmul) };
}

async function timeSteps(run: () => Promise<void> | void, steps: number): Promise<number> {
  await run(); // warm-up: kernels, graph shapes
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await run();
  return (performance.now() - t0) / steps;
}

function torchReference(yaml: string): { ms: number; img_s: number } | null {
  try {
    const out = execFileSync('python3', [path.join(repoRoot, 'tools/bench/train_torch.py'), path.join(repoRoot, yaml), 'n', String(NC), String(BATCH), String(IMGSZ)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.trim().split('\n').pop()!);
  } catch (err) {
    console.warn(`PyTorch reference skipped: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
}

async function main() {
  const backend = await initBackend();
  const peak = (await measureConv(backend.backend, { batch: 8, size: 80, cin: 64, cout: 64 }, 5)).fwdBwdGflops;
  const dataDir = path.join(os.tmpdir(), 'acmix-lab-bench-synth-320');
  if (!fs.existsSync(path.join(dataDir, 'data.yaml'))) await synthDataset({ out: dataDir, train: 96, val: 8, imgsz: IMGSZ, classes: NC, seed: 0 });
  const data = loadDataYaml(path.join(dataDir, 'data.yaml'));
  const items = scanSplit(data.train, data.nc, { log: () => {} }).items;
  const rows: (string | number)[][] = [];
  const abRows: (string | number)[][] = [];
  for (const m of MODELS) {
    const model = buildModel(path.join(repoRoot, m.yaml), { scale: 'n', nc: NC, seed: 0 });
    const gflops = modelSummary(model, IMGSZ).gflops;
    const t = trainer(model, items.length);
    const loader = new DataLoader({ items, imgsz: IMGSZ, batchSize: BATCH, augment: true, seed: 0 });
    const first = (await loader.epoch(0).next()).value as Batch;
    const stepMs = await timeSteps(() => t.step(first), STEPS);
    let epoch = 1;
    let it = loader.epoch(epoch);
    const withData = await timeSteps(async () => {
      let r = await it.next();
      if (r.done) { it = loader.epoch(++epoch); r = await it.next(); }
      const b = r.value as Batch;
      if (b.size === BATCH) t.step(b);
    }, STEPS);
    await loader.close();
    if (backend.backend === 'tensorflow') {
      const ab = pointwiseRouteAB(() => t.step(first));
      abRows.push([m.name, ab.stock.toFixed(0), ab.matmul.toFixed(0), (ab.stock / ab.matmul).toFixed(2)]);
    }
    t.dispose();
    model.dispose();
    const torch = torchReference(m.yaml);
    const imgS = (BATCH * 1000) / stepMs;
    const util = (3 * gflops * imgS) / peak;
    rows.push([m.name, gflops.toFixed(2), stepMs.toFixed(0), imgS.toFixed(1), ((BATCH * 1000) / withData).toFixed(1),
      `${(100 * util).toFixed(0)}%`, torch ? torch.img_s.toFixed(1) : '-', torch ? `${(imgS / torch.img_s).toFixed(2)}×` : '-']);
    console.log(rows.at(-1)!.join('  '));
  }
  const table = formatTable(['model (imgsz 320, batch 16)', 'GFLOPs/img', 'step ms', 'img/s step', 'img/s with data', 'of conv peak',
    'PyTorch fwd+bwd img/s', 'ours ÷ PyTorch'], rows);
  const note = `conv peak (bench:backend 3×3 conv fwd+bwd, this run): ${peak.toFixed(1)} GFLOP/s; ${STEPS} timed steps after one warm-up. ` +
    'Our step includes the v8 loss, assigner, optimizer and EMA; the PyTorch reference is forward + backward of a plain loss only.';
  const ab = abRows.length === 0 ? '' : `\n\n${formatTable(['model', 'step ms, stock conv kernels', 'step ms, 1×1 as MatMul', 'speed-up'], abRows)}\n\n` +
    '1×1 convolutions through tfjs-node\'s stock Conv2D kernels or as MatMul (the route initBackend installs against ' +
    'oneDNN\'s SIGFPE, docs/onednn-sigfpe.md): medians of 10 single steps each, alternating (ABBA), in this process.';
  console.log(`\n${table}\n\n${note}${ab}`);
  recordBenchmark('bench:train', 'npm run bench:train', `${table}\n\n${note}${ab}`);
}

await main();
