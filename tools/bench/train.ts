// npm run bench:train [-- --profile] — training speed of YOLOv8n and the seed's version-one yaml (three
// ACmix in the neck) at imgsz 320, batch 16, against PyTorch on the same batch in the same run:
//   * our full step (TrainingStep: forward, v8 loss with the assigner, backward, the optimizer loop with
//     accumulation to nbs 64, SGD nesterov with weight-decay groups, EMA) and PyTorch's full step
//     (train_torch.py: the same, with tools/fixtures' ports of the loss, assigner, optimizer and EMA),
//     alternating one accumulation cycle (4 batches, one optimizer step) of each per round; best and median;
//   * beside it PyTorch's forward + backward of a plain loss (the network's compute alone);
//   * the same step fed by the DataLoader (mosaic augmentation in worker threads);
//   * the share of the machine's conv throughput the step achieves (bench:backend's 3×3 conv, this run);
//   * routes against what they replace, step against step in this process: the 1×1-as-MatMul kernels initBackend
//     installs (docs/onednn-sigfpe.md) against the stock Conv2D kernels, the fused SiLU against the composed one,
//     the native conv filter gradient against TensorFlow's, Winograd 3×3 convs against TensorFlow's, the batched BatchNorm
//     running-stat update and the lean Add/Sub/Multiply/RealDiv/Square/Identity gradients against what they replace (both
//     bit-identical: JavaScript and dispatch work only);
//   * with --profile, where our step's time goes by op family and phase (step-profile.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { initBackend, registerNativeKernelFixes, unregisterNativeKernelFixes } from '@acmix-lab/runtime';
import { useNativeFilterGradient, useWinogradConv } from '@acmix-lab/acmix';
import { buildModel, modelSummary, type YoloModel } from '@acmix-lab/yolo';
import {
  DataLoader, resolveTrainConfig, TrainingStep, type Batch, type StepPhase,
} from '@acmix-lab/trainer';
import { BENCH_CLASSES, BENCH_IMGSZ, benchTrainItems } from './bench-data.js';
import { measureConv } from './backend.js';
import { formatTable, recordBenchmark, repoRoot } from './report.js';
import { opFamilies, StepProfiler } from './step-profile.js';

const BATCH = 16;
const IMGSZ = BENCH_IMGSZ;
const NC = BENCH_CLASSES;
/** Batches per optimizer step at batch 16 (nbs 64): one timed cycle. */
const CYCLE = 4;
const PROFILE = process.argv.includes('--profile');
/** `--profile --ops 'concat'`: with the profile, the costliest ops of the matching families one by one (name, input shapes). */
const OPS = process.argv.includes('--ops') ? process.argv[process.argv.indexOf('--ops') + 1]! : null;
/** `--only yolov8n`: only the model of that name (printed, not recorded in docs/benchmarks.md). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]! : '';
/** `--route 'max pool|padding'`: only the route-table rows whose name matches (printed, not recorded). */
const ROUTE = process.argv.includes('--route') ? process.argv[process.argv.indexOf('--route') + 1]! : '';
const MODELS = [
  { name: 'yolov8n', yaml: 'experiments/models/yolov8.yaml', rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
  // PyTorch's official ACmix takes ~4 s a step here (a round is ~30 s of it), but two rounds left our side's median
  // swinging ±10% between runs: as many rounds as yolov8n.
  { name: 'yolov8n + 3 ACmix (seed v1)', yaml: 'experiments/models/yolov8-acmix-neck.yaml', rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
];

/** The training step train() runs, past warmup, accumulating 4 batches per optimizer step as at batch 16. */
function trainer(model: YoloModel, images: number, onPhase?: (p: StepPhase) => void) {
  const config = resolveTrainConfig({ model: 'bench', data: 'bench', batch: BATCH, imgsz: IMGSZ, epochs: 100 });
  const step = new TrainingStep(model, config, { nc: NC, images, nb: Math.ceil(images / BATCH) }, { onPhase });
  let ni = 300;
  return {
    step: (b: Batch) => { step.run(b, ni++, 3); },
    dispose: () => step.dispose(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** train_torch.py as a child answering `full N` / `fwdbwd N` with per-iteration ms. */
function torchReference(yaml: string, batchDir: string) {
  // OpenMP's threads otherwise spin while waiting: on this shared 2-core machine PyTorch's step then ran 5× slower
  // (12–18 s instead of 2.5–4 s at load 9), which would flatter our ratio.
  const child = spawn('python3', [path.join(repoRoot, 'tools/bench/train_torch.py'), path.join(repoRoot, yaml), 'n', String(NC), batchDir],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async run(cmd: 'full' | 'fwdbwd', n: number): Promise<number[]> {
      child.stdin.write(`${cmd} ${n}\n`);
      const line = await lines.next();
      if (line.done) throw new Error(`train_torch.py exited (${child.exitCode}) before answering "${cmd} ${n}"`);
      return (JSON.parse(line.value) as { ms: number[] }).ms;
    },
    close: () => { child.stdin.end(); },
  };
}

/** The batch for PyTorch: images as raw float32 NHWC, targets as Ultralytics' batch_idx / cls / bboxes. */
function writeBatch(b: Batch, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'images.f32'), Buffer.from(b.images.buffer, b.images.byteOffset, b.images.byteLength));
  fs.writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ batch: b.size, imgsz: b.imgsz,
    batch_idx: [...b.targets.batchIndex], cls: [...b.targets.cls], bboxes: [...b.targets.boxes] }));
}

/** The product's routes: initBackend's 1×1-as-MatMul kernels, every fused kernel, the native filter gradient, Winograd. */
function productRoutes(): void {
  registerNativeKernelFixes();
  delete process.env.ACMIX_LAB_FUSED;
  delete process.env.ACMIX_LAB_FUSED_BN_SILU;
  delete process.env.ACMIX_LAB_BN_SILU_POLY_SIGMOID;
  delete process.env.ACMIX_LAB_WINOGRAD;
  delete process.env.ACMIX_LAB_WINOGRAD_FILTER;
  delete process.env.ACMIX_LAB_ACMIX_PROJECTION;
  delete process.env.ACMIX_LAB_ACMIX_COMPOSE;
  delete process.env.ACMIX_LAB_ACMIX_FOLDED_CONV;
  delete process.env.ACMIX_LAB_ACMIX_DIRECT_CONV;
  delete process.env.ACMIX_LAB_BATCHED_BN_STATS;
  delete process.env.ACMIX_LAB_LEAN_GRADIENTS;
  delete process.env.ACMIX_LAB_NATIVE_MAX_POOL;
  delete process.env.ACMIX_LAB_EXPLICIT_PAD;
  delete process.env.ACMIX_LAB_BROADCAST_MATMUL;
  delete process.env.ACMIX_LAB_CANDIDATE_DECODE;
  delete process.env.ACMIX_LAB_NATIVE_CONCAT;
  useNativeFilterGradient(true);
  useWinogradConv(true);
}

interface Route { name: string; without: string; off: () => void; on?: () => void }

/** Rounds of the route table's ABBA comparison: each is one accumulation cycle per side. */
const ROUTE_ROUNDS = 6;

/**
 * ms of `step` without and with a route, wall and process CPU time (all threads; steadier than wall time
 * on a loaded machine): medians, alternating ABBA, each from the product's routes with `off` (without)
 * or `on` (with, when the comparison needs more than the defaults) applied.
 */
function routeAB(step: () => void, route: Route, rounds = ROUTE_ROUNDS) {
  const times = { without: [] as number[], with: [] as number[] };
  const cpu = { without: [] as number[], with: [] as number[] };
  const run = (which: 'without' | 'with') => {
    productRoutes();
    (which === 'without' ? route.off : route.on)?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    times[which].push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu[which].push((c.user + c.system) / 1000);
  };
  run('without'); // warm-up: the other kernels' primitives for these shapes
  times.without.length = 0;
  cpu.without.length = 0;
  for (let round = 0; round < rounds; round++) {
    for (const which of round % 2 ? ['with', 'without'] as const : ['without', 'with'] as const) run(which);
  }
  productRoutes();
  return { without: median(times.without), with: median(times.with), cpuWithout: median(cpu.without), cpuWith: median(cpu.with) };
}

/**
 * The routes compared step against step. The stock conv kernels and ACMIX_LAB_FUSED=0 also turn off the native
 * filter gradient and Winograd (and ACMIX_LAB_FUSED=0 the fused BatchNorm → SiLU), so those rows run without them
 * on both sides.
 */
const ROUTES: Route[] = [
  { name: '1×1 conv as MatMul', without: 'stock conv kernels', off: unregisterNativeKernelFixes,
    on: () => { useNativeFilterGradient(false); useWinogradConv(false); } },
  { name: 'fused SiLU', without: 'composed SiLU', off: () => { process.env.ACMIX_LAB_FUSED = '0'; },
    on: () => { process.env.ACMIX_LAB_FUSED_BN_SILU = '0'; process.env.ACMIX_LAB_WINOGRAD = '0'; useNativeFilterGradient(false); } },
  { name: 'fused BN+SiLU', without: 'BN then SiLU', off: () => { process.env.ACMIX_LAB_FUSED_BN_SILU = '0'; } },
  { name: 'BN+SiLU σ inline', without: 'libm\'s expf', off: () => { process.env.ACMIX_LAB_BN_SILU_POLY_SIGMOID = '0'; } },
  { name: 'native backprop filter', without: 'TensorFlow\'s', off: () => useNativeFilterGradient(false) },
  { name: 'Winograd 3×3 fwd + dx', without: 'TensorFlow\'s', off: () => { process.env.ACMIX_LAB_WINOGRAD = '0'; } },
  { name: 'Winograd 3×3 filter gradient', without: 'the direct native kernel', off: () => { process.env.ACMIX_LAB_WINOGRAD_FILTER = '0'; } },
  { name: 'ACmix projection gradient + native composed weights', without: 'taped concat/MatMul, composition from tfjs ops',
    off: () => { process.env.ACMIX_LAB_ACMIX_PROJECTION = '0'; process.env.ACMIX_LAB_ACMIX_COMPOSE = '0'; } },
  { name: 'ACmix conv path from q, k, v (fc folded into dep_conv)', without: 'f_conv projected, then dep_conv',
    off: () => { process.env.ACMIX_LAB_ACMIX_FOLDED_CONV = '0'; } },
  { name: 'ACmix conv path reads q, k, v in place', without: 'gathered into padded planes',
    off: () => { process.env.ACMIX_LAB_ACMIX_DIRECT_CONV = '0'; } },
  { name: 'batched BN running stats', without: 'per layer', off: () => { process.env.ACMIX_LAB_BATCHED_BN_STATS = '0'; } },
  { name: 'lean gradients', without: 'tfjs\' own', off: () => { process.env.ACMIX_LAB_LEAN_GRADIENTS = '0'; } },
  { name: 'native max pool gradient', without: 'TensorFlow\'s MaxPoolGrad', off: () => { process.env.ACMIX_LAB_NATIVE_MAX_POOL = '0'; } },
  { name: 'explicit conv padding', without: 'Pad + VALID', off: () => { process.env.ACMIX_LAB_EXPLICIT_PAD = '0'; } },
  { name: '1×1 conv as broadcast MatMul', without: 'Reshapes to rows', off: () => { process.env.ACMIX_LAB_BROADCAST_MATMUL = '0'; } },
  { name: 'assigner decodes candidates only', without: 'every anchor', off: () => { process.env.ACMIX_LAB_CANDIDATE_DECODE = '0'; } },
  { name: 'native concat / split', without: 'TensorFlow\'s ConcatV2 / SplitV', off: () => { process.env.ACMIX_LAB_NATIVE_CONCAT = '0'; } },
];

/** Mean ms per step of one accumulation cycle of ours, PyTorch's full step and PyTorch's fwd+bwd, per round. */
async function alternate(ours: () => void, torch: ReturnType<typeof torchReference>, rounds: number) {
  const cycle = () => { const ms: number[] = []; for (let i = 0; i < CYCLE; i++) { const t0 = performance.now(); ours(); ms.push(performance.now() - t0); } return ms; };
  cycle(); // warm-up: kernels, primitives, the optimizer's buffers
  await torch.run('full', 2 * CYCLE); // PyTorch's first few steps are several times slower (allocator, oneDNN primitives)
  await torch.run('fwdbwd', 2);
  const out = { ours: [] as number[], full: [] as number[], fwdbwd: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    out.ours.push(mean(cycle()));
    out.full.push(mean(await torch.run('full', CYCLE)));
    out.fwdbwd.push(mean(await torch.run('fwdbwd', CYCLE)));
  }
  return out;
}

async function main() {
  const backend = await initBackend();
  const peak = (await measureConv(backend.backend, { batch: 8, size: 80, cin: 64, cout: 64 }, 5)).fwdBwdGflops;
  const items = await benchTrainItems();
  const rows: (string | number)[][] = [];
  const abRows: (string | number)[][] = [];
  const profiles: string[] = [];
  const loadAt: string[] = [];
  for (const m of MODELS.filter((x) => !ONLY || x.name === ONLY)) {
    const model = buildModel(path.join(repoRoot, m.yaml), { scale: 'n', nc: NC, seed: 0 });
    const gflops = modelSummary(model, IMGSZ).gflops;
    const profiler = PROFILE ? new StepProfiler(OPS === null ? [] : opFamilies(OPS)) : null;
    const t = trainer(model, items.length, profiler?.onPhase);
    const loader = new DataLoader({ items, imgsz: IMGSZ, batchSize: BATCH, augment: true, seed: 0 });
    const first = (await loader.epoch(0).next()).value as Batch;
    const batchDir = path.join(os.tmpdir(), `acmix-lab-bench-train-${process.pid}`);
    writeBatch(first, batchDir);
    const torch = torchReference(m.yaml, batchDir);
    loadAt.push(os.loadavg()[0]!.toFixed(1));
    const times = await alternate(() => t.step(first), torch, m.rounds);
    torch.close();
    fs.rmSync(batchDir, { recursive: true, force: true });
    let epoch = 1;
    let it = loader.epoch(epoch);
    const waits: number[] = [];
    const withData: number[] = [];
    for (let i = 0; i < 2 * CYCLE; i++) {
      const t0 = performance.now();
      let r = await it.next();
      if (r.done) { it = loader.epoch(++epoch); r = await it.next(); }
      waits.push(performance.now() - t0);
      const b = r.value as Batch;
      if (b.size === BATCH) t.step(b);
      withData.push(performance.now() - t0);
    }
    await loader.close();
    if (profiler) {
      profiler.run(() => t.step(first), 2 * CYCLE);
      profiler.dispose();
      profiles.push(`**${m.name}**, ms per step (mean of ${2 * CYCLE} steps on the fixed batch, two optimizer steps):\n\n${profiler.table(mean(waits))}`);
      console.log(`\n${profiles.at(-1)}\n`);
      if (OPS !== null) console.log(`${profiler.opTable(30)}\n`);
    }
    if (backend.backend === 'tensorflow' && !PROFILE) {
      for (const r of ROUTES.filter((x) => new RegExp(ROUTE).test(x.name))) {
        // Whole accumulation cycles: with single steps the optimizer step (every CYCLE-th) fell on the same side of ABBA.
        const ab = routeAB(() => { for (let i = 0; i < CYCLE; i++) t.step(first); }, r);
        abRows.push([m.name, `${r.name} (against ${r.without})`, (ab.without / CYCLE).toFixed(0), (ab.with / CYCLE).toFixed(0), (ab.without / ab.with).toFixed(2),
          (ab.cpuWithout / ab.cpuWith).toFixed(2)]);
        console.log(abRows.at(-1)!.join('  '));
      }
    }
    t.dispose();
    model.dispose();
    const best = (xs: number[]) => Math.min(...xs);
    const ratio = (ref: number[]) => `${(median(ref) / median(times.ours)).toFixed(2)}× (${(best(ref) / best(times.ours)).toFixed(2)}×)`;
    const util = (3 * gflops * BATCH * 1000) / median(times.ours) / peak;
    const ms = (xs: number[]) => `${median(xs).toFixed(0)} (${best(xs).toFixed(0)})`;
    rows.push([m.name, gflops.toFixed(2), ms(times.ours), ms(times.full), ratio(times.full), ms(times.fwdbwd), ratio(times.fwdbwd),
      ((BATCH * 1000) / median(withData)).toFixed(1), `${(100 * util).toFixed(0)}%`]);
    console.log(rows.at(-1)!.join('  '));
  }
  const table = formatTable(['model (imgsz 320, batch 16)', 'GFLOPs/img', 'ours: full step ms', 'PyTorch: full step ms', 'ours ÷ PyTorch, full step',
    'PyTorch: fwd+bwd ms', 'ours ÷ PyTorch fwd+bwd', 'ours img/s with data', 'of conv peak'], rows);
  const note = `Step ms: median (best) over rounds (yolov8n ${MODELS[0]!.rounds}, seed v1 ${MODELS[1]!.rounds}) of the mean of one accumulation ` +
    `cycle (${CYCLE} batches, one optimizer step and EMA update), ours and PyTorch (2 threads) alternating; load average at the start ${loadAt.join(' / ')}. ` +
    'Ratios are speed, PyTorch ms ÷ our ms (above 1: we are faster), of medians (of bests). ' +
    `PyTorch's full step: forward, v8DetectionLoss with the TaskAlignedAssigner, backward, clip_grad_norm_, SGD nesterov with three ` +
    `weight-decay groups, ModelEMA (tools/bench/train_torch.py); fwd+bwd: a plain loss only. PyTorch runs with OMP_WAIT_POLICY=PASSIVE ` +
    '(spinning OpenMP threads made it 5× slower on this shared machine). ' +
    `Conv peak (bench:backend 3×3 conv fwd+bwd, this run): ${peak.toFixed(1)} GFLOP/s.`;
  const ab = abRows.length === 0 ? '' : `\n\n${formatTable(['model', 'route', 'step ms without', 'step ms with', 'speed-up', 'same, CPU time'], abRows)}\n\n` +
    `Each route against what it replaces, in this process: medians of ${ROUTE_ROUNDS} accumulation cycles (${CYCLE} steps; ms per step) each, alternating (ABBA). 1×1 as MatMul: ` +
    'the kernels initBackend installs against oneDNN\'s SIGFPE (docs/onednn-sigfpe.md); fused SiLU: @acmix-lab/acmix native/silu.cc ' +
    '(BatchNorm unfused and TensorFlow\'s filter gradient on both sides; ACMIX_LAB_FUSED=0 also turns off the fused ACmix kernels, ' +
    'so on the seed v1 row it measures both, and the optimizer\'s flat concat/split kernels, whose stock-op route adds a Reshape per ' +
    'parameter); fused BN+SiLU: native/batchnorm_silu.cc against FusedBatchNormV3 then the fused SiLU (ACMIX_LAB_FUSED_BN_SILU=0); ' +
    'BN+SiLU σ inline: that kernel\'s σ with exp evaluated inline (native/sigmoid.h SigmoidPolynomial) against libm\'s expf ' +
    '(ACMIX_LAB_BN_SILU_POLY_SIGMOID=0); ' +
    'native backprop filter: native/conv_backprop_filter.cc for every conv\'s filter gradient against TensorFlow\'s ' +
    'Conv2DBackpropFilter (and the MatMul route for 1×1 convs); Winograd: native/winograd_conv.cc for the 3×3 stride-1 convs\' ' +
    'forward and input gradient against TensorFlow\'s Conv2D and Conv2DBackpropInput (ACMIX_LAB_WINOGRAD=0); Winograd filter ' +
    'gradient: native/winograd_filter.cc for those convs\' filter gradient against the direct native kernel (ACMIX_LAB_WINOGRAD_FILTER=0; ' +
    'the native backprop filter row turns both off). The 1×1 row runs ' +
    'without the native filter gradient and Winograd on both sides. ' +
    'ACmix projection gradient + native composed weights: @acmix-lab/acmix projection.ts and native/composed_weights.cc against ' +
    'the taped concat + MatMul projections and the composition from TensorFlow.js ops (ACMIX_LAB_ACMIX_PROJECTION=0, ' +
    'ACMIX_LAB_ACMIX_COMPOSE=0; no effect on yolov8n). ' +
    'Batched BN running stats: every BatchNorm\'s running mean and variance updated by one concat, three elementwise ops and one split ' +
    'after the gradient (yolo torch-batchnorm.ts collectRunningStats) against six ops and two scalars per layer during the forward ' +
    '(ACMIX_LAB_BATCHED_BN_STATS=0); lean gradients: Add/Sub/Multiply/RealDiv/Square/Identity gradients without tfjs\' no-op Reshapes and Casts ' +
    '(runtime kernels/lean-gradients.ts; ACMIX_LAB_LEAN_GRADIENTS=0). Both are bit-identical to what they replace. ' +
    'Native max pool gradient: native/max_pool_grad.cc for SPPF\'s ' +
    'three pools against TensorFlow\'s MaxPoolGrad (ACMIX_LAB_NATIVE_MAX_POOL=0); explicit conv padding: the stride-2 convs ' +
    'without a zero-padded copy of their input (ACMIX_LAB_EXPLICIT_PAD=0); 1×1 conv as broadcast MatMul: the 1×1 convs\' forward and ' +
    'stride-1 input gradient as one BatchMatMulV2 over the 4-D tensors instead of Reshapes to rows and back (runtime ' +
    'kernels/pointwise-conv.ts; ACMIX_LAB_BROADCAST_MATMUL=0; bit-identical, tools/bench/route-identity.ts); assigner decodes ' +
    'candidates only: the loss decodes the predicted boxes of the assigner\'s candidate anchors instead of all B·A ' +
    '(trainer loss/detection-loss.ts; ACMIX_LAB_CANDIDATE_DECODE=0; bit-identical); native concat / split: every float32 concat and ' +
    'split (C2f, SPPF, the neck, Detect, and their gradients) by native/concat_split.cc against TensorFlow\'s ConcatV2 and SplitV ' +
    '(ACMIX_LAB_NATIVE_CONCAT=0; bit-identical, pure copies).';
  console.log(`\n${table}\n\n${note}${ab}`);
  if (ONLY || ROUTE) return; // a partial run is printed, not recorded
  if (PROFILE) {
    recordBenchmark('bench:train --profile', 'npm run bench:train -- --profile', `${table}\n\n${note}\n\n${profiles.join('\n\n')}\n\n${PROFILE_NOTE}`);
  } else {
    recordBenchmark('bench:train', 'npm run bench:train', `${table}\n\n${note}${ab}`);
  }
}

const PROFILE_NOTE = 'Every native op timed through the tfjs-node binding (executeOp, tensor create/delete/read), filed by op family ' +
  'and by the step phase TrainingStep reports; JavaScript is each phase\'s wall time minus its native ops (in the loss phase: the ' +
  'assigner and loss bookkeeping; elsewhere: tape and dispatch). Timing every op adds a little overhead to each.';

await main();
