// npm run bench:backend — GFLOP/s of a 3×3 conv, forward and forward+backward, on every
// backend that loads here, in one run. The native figure is the "peak" that bench:train's
// utilisation ratio divides by.
import * as tf from '@tensorflow/tfjs';
import { initBackend, nativeBackendAvailable, type BackendName } from '@acmix-lab/runtime';
import { formatTable, recordBenchmark, timeMs } from './report.js';

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
  const note = 'wasm: not measured (tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train).';
  console.log(table + ratio + note);
  recordBenchmark('bench:backend', 'npm run bench:backend', `${table}\n${ratio}\n${note}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
