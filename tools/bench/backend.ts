// npm run bench:backend — GFLOP/s of a 3×3 conv, forward and forward+backward, on every
// backend that loads here, in one run. The native figure is the "peak" that bench:train's
// utilisation ratio divides by. On the native backend also the 1×1 convolutions of a YOLOv8n
// training step, with tfjs-node's stock kernels and as MatMul (the route initBackend installs,
// docs/onednn-sigfpe.md), alternately; and its BatchNorm → SiLU pairs (Conv's bn → act), fused (σ inline and
// through libm) and as FusedBatchNormV3 then the SiLU kernel, alternately (`-- --batchnorm`: that table alone).
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  initBackend, nativeBackendAvailable, registerNativeKernelFixes, unregisterNativeKernelFixes, type BackendName,
} from '@acmix-lab/runtime';
import { buildModel, concreteShapes, TorchBatchNorm } from '@acmix-lab/yolo';
import { alternateMs, formatTable, recordBenchmark, repoRoot, timeMs } from './report.js';

interface ConvCase { batch: number; size: number; cin: number; cout: number }

/** FLOPs of a stride-1 'same' 3×3 conv forward (2 per multiply-add). Backward is 2× (dx and dw). */
export function convFlops(c: ConvCase): number {
  return 2 * c.batch * c.size * c.size * c.cin * c.cout * 9;
}

export async function measureConv(backend: BackendName, c: ConvCase, runs: number) {
  await initBackend(backend);
  const x = tf.randomNormal([c.batch, c.size, c.size, c.cin]) as tf.Tensor4D;
  const w = tf.variable(tf.randomNormal([3, 3, c.cin, c.cout]).mul(0.05)) as tf.Variable<tf.Rank.R4>;
  // Reading back a scalar, not the 13 MB output: the copy into JS would dominate the forward time.
  const fwd = await timeMs(() => tf.tidy(() => tf.conv2d(x, w, 1, 'same').sum().dataSync()), { runs });
  const fwdBwd = await timeMs(() => {
    const { value, grads } = tf.variableGrads(() => tf.conv2d(x, w, 1, 'same').square().mean() as tf.Scalar, [w]);
    grads[w.name]!.dataSync();
    tf.dispose([value, grads[w.name]!]);
  }, { runs });
  tf.dispose([x, w]);
  const flops = convFlops(c);
  return { fwdGflops: flops / fwd / 1e6, fwdBwdGflops: (3 * flops) / fwdBwd / 1e6, fwd, fwdBwd };
}

async function main() {
  // The native backend gets the issue's reference shape; the pure-JS backend a smaller one so the
  // run takes seconds (GFLOP/s are comparable: both are compute-bound at these sizes).
  const cases: [BackendName, ConvCase, number][] = [];
  if (nativeBackendAvailable()) cases.push(['tensorflow', { batch: 8, size: 80, cin: 64, cout: 64 }, 5]);
  cases.push(['cpu', { batch: 1, size: 40, cin: 64, cout: 64 }, 1]);
  const rows: (string | number)[][] = [];
  const results: Record<string, number> = {};
  for (const [backend, c, runs] of cases) {
    const r = await measureConv(backend, c, runs);
    results[backend] = r.fwdBwdGflops;
    rows.push([backend, `${c.batch}×${c.size}×${c.size}×${c.cin}→${c.cout}`, r.fwd.toFixed(1), r.fwdGflops.toFixed(2),
      r.fwdBwd.toFixed(1), r.fwdBwdGflops.toFixed(2)]);
  }
  const table = formatTable(['backend', 'conv 3×3 (NHWC)', 'fwd ms', 'fwd GFLOP/s', 'fwd+bwd ms', 'fwd+bwd GFLOP/s'], rows);
  const ratio = results.tensorflow && results.cpu ? `\nnative / cpu (fwd+bwd GFLOP/s): ${(results.tensorflow / results.cpu).toFixed(0)}×\n` : '';
  const note = 'wasm: not measured (tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train).';
  const pointwise = nativeBackendAvailable() ? `\n\n${await pointwiseTable()}\n\n${await batchNormSiluTable()}` : '';
  console.log(table + ratio + note + pointwise);
  recordBenchmark('bench:backend', 'npm run bench:backend', `${table}\n${ratio}\n${note}${pointwise}`);
}

type Shape4 = [number, number, number, number];
export interface StepConv { x: Shape4; filter: Shape4; out: Shape4; count: number }

/** The convolutions of a YOLOv8n forward pass at imgsz 320, batch 16 (as tf.profile sees them), by shape. */
export async function yolov8nConvs(): Promise<StepConv[]> {
  await initBackend('tensorflow');
  const m = buildModel(path.join(repoRoot, 'experiments/models/yolov8.yaml'), { scale: 'n', nc: 3 });
  const x = tf.zeros([16, 320, 320, 3]) as tf.Tensor4D;
  const { kernels } = await tf.profile(() => { tf.tidy(() => { m.forwardTrain(x); }); });
  tf.dispose(x);
  m.dispose();
  const byShape = new Map<string, StepConv>();
  for (const k of kernels) {
    if (k.name !== tf.Conv2D) continue;
    const [xs, fs] = k.inputShapes as Shape4[];
    // By output shape too: with explicit padding a stride-2 conv reads the same x as a stride-1 one.
    const key = `${xs}/${fs}/${k.outputShapes[0]}`;
    const conv = byShape.get(key) ?? { x: xs!, filter: fs!, out: k.outputShapes[0] as Shape4, count: 0 };
    conv.count++;
    byShape.set(key, conv);
  }
  return [...byShape.values()];
}

/** ms of each conv kernel for one shape: medians of 5 runs. */
async function pointwiseKernelMs({ x: xShape, filter: filterShape }: StepConv): Promise<Record<'fwd' | 'dx' | 'dw', number>> {
  const dyShape: Shape4 = [xShape[0], xShape[1], xShape[2], filterShape[3]];
  const [x, w, dy] = [xShape, filterShape, dyShape].map((s) => tf.randomNormal(s)) as tf.Tensor4D[];
  const dwAttrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap;
  const ms = {
    fwd: await timeMs(() => tf.tidy(() => tf.conv2d(x!, w!, 1, 'valid').sum().dataSync())),
    dx: await timeMs(() => tf.tidy(() => tf.conv2dTranspose(dy!, w!, xShape, 1, 'valid').sum().dataSync())),
    dw: await timeMs(() => tf.tidy(() => (tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: x!, dy: dy! }, dwAttrs) as tf.Tensor).sum().dataSync())),
  };
  tf.dispose([x!, w!, dy!]);
  return ms;
}

/** Each kernel summed over the step's 1×1 convs, stock and MatMul alternately, the best of 3 rounds per shape. */
async function pointwiseTable(): Promise<string> {
  const convs = (await yolov8nConvs()).filter((c) => c.filter[0] === 1 && c.filter[1] === 1);
  const kernels = ['fwd', 'dx', 'dw'] as const;
  const total = { stock: { fwd: 0, dx: 0, dw: 0 }, matmul: { fwd: 0, dx: 0, dw: 0 } };
  for (const conv of convs) {
    const best = { stock: { fwd: Infinity, dx: Infinity, dw: Infinity }, matmul: { fwd: Infinity, dx: Infinity, dw: Infinity } };
    for (let round = 0; round < 3; round++) {
      for (const route of ['stock', 'matmul'] as const) {
        if (route === 'stock') unregisterNativeKernelFixes();
        const ms = await pointwiseKernelMs(conv);
        registerNativeKernelFixes();
        for (const k of kernels) best[route][k] = Math.min(best[route][k], ms[k]);
      }
    }
    for (const route of ['stock', 'matmul'] as const) for (const k of kernels) total[route][k] += conv.count * best[route][k];
  }
  const row = (name: string, stock: number, matmul: number) => [name, stock.toFixed(1), matmul.toFixed(1), (stock / matmul).toFixed(2)];
  const sum = (r: Record<string, number>) => kernels.reduce((a, k) => a + r[k]!, 0);
  const rows = [
    row('forward (Conv2D)', total.stock.fwd, total.matmul.fwd),
    row('input gradient (Conv2DBackpropInput)', total.stock.dx, total.matmul.dx),
    row('kernel gradient (Conv2DBackpropFilter)', total.stock.dw, total.matmul.dw),
    row('all three', sum(total.stock), sum(total.matmul)),
  ];
  const count = convs.reduce((a, c) => a + c.count, 0);
  return `${formatTable([`1×1 convs of a YOLOv8n step (${count} convs, ${convs.length} shapes), native`, 'stock kernels ms', 'as MatMul ms', 'speed-up'], rows)}\n\n` +
    'Imgsz 320, batch 16, as bench:train. Per shape and kernel: median of 5 runs, best of 3 rounds alternating the stock ' +
    'tfjs-node kernels and the MatMul route (docs/onednn-sigfpe.md); summed over the step\'s convs.';
}

/** Input shapes of YOLOv8n's BatchNorm → SiLU layers at imgsz 320, batch 16, with how many layers have each. */
function yolov8nBatchNormSiluShapes(): { shape: number[]; count: number }[] {
  const m = buildModel(path.join(repoRoot, 'experiments/models/yolov8.yaml'), { scale: 'n', nc: 3 });
  const layers = m.model.layers.filter((l) => l instanceof TorchBatchNorm && l.activation === 'silu');
  const inputs = layers.map((l) => l.inboundNodes[0]!.inputTensors[0]!);
  const shapes = concreteShapes(m.input, [16, 320, 320, 3], inputs);
  m.dispose();
  const byShape = new Map<string, { shape: number[]; count: number }>();
  for (const t of inputs) {
    const shape = shapes.get(t.id)!;
    const entry = byShape.get(`${shape}`) ?? { shape, count: 0 };
    entry.count++;
    byShape.set(`${shape}`, entry);
  }
  return [...byShape.values()];
}

/** How TorchBatchNorm with SiLU runs: the two TensorFlow ops, the fused op with σ through libm, the fused op (the product). */
const BN_SILU_ROUTES = {
  'BN then SiLU': { ACMIX_LAB_FUSED_BN_SILU: '0' },
  'fused, libm σ': { ACMIX_LAB_BN_SILU_POLY_SIGMOID: '0' },
  fused: {},
} as const;
type BnSiluRoute = keyof typeof BN_SILU_ROUTES;

/**
 * Forward + backward (dx, dγ, dβ) of every BatchNorm → SiLU of a YOLOv8n training step, through TorchBatchNorm
 * as Conv builds it, by each of BN_SILU_ROUTES, alternating (ABBA) per shape; wall and CPU medians, summed.
 */
async function batchNormSiluTable(rounds = 10): Promise<string> {
  await initBackend('tensorflow');
  const load = os.loadavg()[0]!.toFixed(1);
  const layers = yolov8nBatchNormSiluShapes();
  const routes = Object.keys(BN_SILU_ROUTES) as BnSiluRoute[];
  const total = Object.fromEntries(routes.map((r) => [r, { wall: 0, cpu: 0 }])) as Record<BnSiluRoute, { wall: number; cpu: number }>;
  for (const { shape, count } of layers) {
    const bn = new TorchBatchNorm({ activation: 'silu' });
    bn.build(shape);
    const [x, dy] = [tf.randomNormal(shape), tf.randomNormal(shape)];
    // γ and β are read by the layer itself; passing them makes tf.grads differentiate with respect to them too.
    const weights = bn.trainableWeights.map((w) => w.read() as tf.Variable);
    const fwdBwd = (route: BnSiluRoute) => () => {
      Object.assign(process.env, BN_SILU_ROUTES[route]);
      try {
        tf.tidy(() => { tf.grads((xi) => bn.apply(xi!, { training: true }) as tf.Tensor)([x!, ...weights], dy!); });
      } finally {
        for (const name of Object.keys(BN_SILU_ROUTES[route])) delete process.env[name];
      }
    };
    const times = alternateMs(Object.fromEntries(routes.map((r) => [r, fwdBwd(r)])) as Record<BnSiluRoute, () => void>, rounds);
    for (const r of routes) {
      total[r].wall += count * times[r].wall;
      total[r].cpu += count * times[r].cpu;
    }
    tf.dispose([x!, dy!]);
    bn.weights.forEach((w) => w.dispose());
  }
  const count = layers.reduce((a, l) => a + l.count, 0);
  const ms = (r: BnSiluRoute) => `${total[r].wall.toFixed(1)} (${total[r].cpu.toFixed(1)})`;
  const ratio = (a: BnSiluRoute, b: BnSiluRoute) => `${(total[a].wall / total[b].wall).toFixed(2)} (${(total[a].cpu / total[b].cpu).toFixed(2)})`;
  return `${formatTable([`BatchNorm → SiLU of a YOLOv8n step (${count} layers, ${layers.length} shapes), native`, ...routes.map((r) => `${r} ms (CPU)`),
    'fused ÷ BN then SiLU', 'σ inline ÷ libm σ'],
  [['forward + backward (dx, dγ, dβ)', ...routes.map(ms), ratio('BN then SiLU', 'fused'), ratio('fused, libm σ', 'fused')]])}\n\n` +
    'Imgsz 320, batch 16, as bench:train, through TorchBatchNorm as Conv builds it: FusedBatchNormV3 then the SiLU kernel ' +
    '(ACMIX_LAB_FUSED_BN_SILU=0), native/batchnorm_silu.cc with σ through libm\'s expf (ACMIX_LAB_BN_SILU_POLY_SIGMOID=0) and ' +
    `with σ inline (sigmoid.h SigmoidPolynomial, the product). Per shape: medians of ${rounds} runs each, the routes alternating ` +
    `(ABBA); wall ms with the process's CPU ms in brackets, summed over the step's layers; ratios are speed-ups. Load average at the start: ${load}.`;
}

// `-- --batchnorm`: the BatchNorm → SiLU table alone, printed, not recorded.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--batchnorm')) console.log(await batchNormSiluTable());
  else await main();
}
