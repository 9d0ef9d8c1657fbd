// npm run bench:backend — GFLOP/s of a 3×3 conv, forward and forward+backward, on every
// backend that loads here, in one run. The native figure is the "peak" that bench:train's
// utilisation ratio divides by. On the native backend also 1×1 convs, with tfjs-node's stock
// Conv2D kernels and as MatMul (the route initBackend installs, docs/onednn-sigfpe.md), interleaved.
import * as tf from '@tensorflow/tfjs';
import {
  initBackend, nativeBackendAvailable, registerNativeKernelFixes, unregisterNativeKernelFixes, type BackendName,
} from '@acmix-lab/runtime';
import { formatTable, recordBenchmark, timeMs } from './report.js';

interface ConvCase { batch: number; size: number; cin: number; cout: number; k?: number }

/** FLOPs of a stride-1 'same' k×k conv forward (2 per multiply-add). Backward is 2× (dx and dw). */
export function convFlops(c: ConvCase): number {
  return 2 * c.batch * c.size * c.size * c.cin * c.cout * (c.k ?? 3) ** 2;
}

export async function measureConv(backend: BackendName, c: ConvCase, runs: number) {
  await initBackend(backend);
  const k = c.k ?? 3;
  const x = tf.variable(tf.randomNormal([c.batch, c.size, c.size, c.cin])) as tf.Variable<tf.Rank.R4>;
  const w = tf.variable(tf.randomNormal([k, k, c.cin, c.cout]).mul(0.05)) as tf.Variable<tf.Rank.R4>;
  // Reading back a scalar, not the 13 MB output: the copy into JS would dominate the forward time.
  const fwd = await timeMs(() => tf.tidy(() => tf.conv2d(x, w, 1, 'same').sum().dataSync()), { runs });
  const fwdBwd = await timeMs(() => {
    const { value, grads } = tf.variableGrads(() => tf.conv2d(x, w, 1, 'same').square().mean() as tf.Scalar, [x, w]);
    tf.tidy(() => tf.add(tf.sum(grads[x.name]!), tf.sum(grads[w.name]!)).dataSync());
    tf.dispose([value, grads[x.name]!, grads[w.name]!]);
  }, { runs });
  tf.dispose([x, w]);
  const flops = convFlops(c);
  return { fwdGflops: flops / fwd / 1e6, fwdBwdGflops: (3 * flops) / fwdBwd / 1e6, fwd, fwdBwd };
}

async function main() {
  // The native backend gets the reference shape; the pure-JS backend a smaller one so the
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
  const note = 'fwd+bwd: the gradients of the input and the kernel. ' +
    'wasm: not measured (tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train).';
  const pointwise = nativeBackendAvailable() ? `\n\n${await pointwiseTable()}` : '';
  console.log(table + ratio + note + pointwise);
  recordBenchmark('bench:backend', 'npm run bench:backend', `${table}\n${ratio}\n${note}${pointwise}`);
}

/** 1×1 convs of YOLOv8 n at 320 and s at 640 sizes, stock kernels and MatMul alternately, best of 3 each. */
async function pointwiseTable(): Promise<string> {
  const cases: ConvCase[] = [
    { batch: 16, size: 80, cin: 48, cout: 32, k: 1 },
    { batch: 16, size: 40, cin: 128, cout: 64, k: 1 },
    { batch: 8, size: 20, cin: 768, cout: 512, k: 1 },
  ];
  await initBackend('tensorflow'); // installs the MatMul route; measureConv's initBackend then changes nothing
  const rows: (string | number)[][] = [];
  for (const c of cases) {
    const best = { stock: { fwd: 0, fwdBwd: 0 }, matmul: { fwd: 0, fwdBwd: 0 } };
    for (let round = 0; round < 3; round++) {
      for (const route of ['stock', 'matmul'] as const) {
        if (route === 'stock') unregisterNativeKernelFixes();
        const r = await measureConv('tensorflow', c, 5);
        registerNativeKernelFixes();
        best[route].fwd = Math.max(best[route].fwd, r.fwdGflops);
        best[route].fwdBwd = Math.max(best[route].fwdBwd, r.fwdBwdGflops);
      }
    }
    rows.push([`${c.batch}×${c.size}×${c.size}×${c.cin}→${c.cout}`, best.stock.fwd.toFixed(1), best.matmul.fwd.toFixed(1),
      (best.matmul.fwd / best.stock.fwd).toFixed(2), best.stock.fwdBwd.toFixed(1), best.matmul.fwdBwd.toFixed(1),
      (best.matmul.fwdBwd / best.stock.fwdBwd).toFixed(2)]);
  }
  return formatTable(['conv 1×1 (NHWC), native', 'fwd GFLOP/s stock', 'fwd MatMul', 'ratio', 'fwd+bwd stock', 'fwd+bwd MatMul', 'ratio'], rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
