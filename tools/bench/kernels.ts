// npm run bench:kernels — the conv filter gradient (Conv2DBackpropFilter) of every conv of a YOLOv8n training step
// at imgsz 320, batch 16: @acmix-lab/acmix's native kernel (native/conv_backprop_filter.cc) against what the native
// backend runs without it — TensorFlow's own kernel (oneDNN) for the 3×3 convs, the MatMul route of
// @acmix-lab/runtime for the 1×1 convs (and TensorFlow's kernel for those too) — alternating per shape in one run;
// then the forward and input gradient of its 3×3 stride-1 convs by TensorFlow and by Winograd (winograd.ts), and
// their filter gradient by the direct native kernel and by Winograd (winograd-filter.ts) (`npm run bench:kernels --
// --winograd`: those alone, printed, not recorded; `-- --winograd-filter`: the filter gradient's alone).
import * as tf from '@tensorflow/tfjs';
import { registerNativeKernelFixes, unregisterNativeKernelFixes } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable, useNativeFilterGradient } from '@acmix-lab/acmix';
import { yolov8nConvs, type StepConv } from './backend.js';
import { alternateMs, flag, formatTable, recordBenchmark, type Times } from './report.js';
import { threeByThreeConvs, winogradTables } from './winograd.js';
import { winogradFilterTables } from './winograd-filter.js';

const ROUNDS = flag('rounds', 10);
type Route = 'tensorflow' | 'matmul' | 'native';
const ROUTE_ON: Record<Route, () => void> = {
  tensorflow: () => { unregisterNativeKernelFixes(); useNativeFilterGradient(false); },
  matmul: () => { registerNativeKernelFixes(); useNativeFilterGradient(false); },
  native: () => { registerNativeKernelFixes(); useNativeFilterGradient(true); },
};

/**
 * A stride-1 conv keeps its size ('same'); our strided Conv2d pads by k // 2 on every side, explicitly (the default)
 * or, with ACMIX_LAB_EXPLICIT_PAD=0, by padding x itself and running 'valid'.
 */
function convAttrs({ x, filter, out }: StepConv) {
  const same = out[1] === x[1] && out[2] === x[2];
  const stride = same ? 1 : Math.round(x[1] / out[1]);
  const p = Math.floor(filter[0] / 2);
  const valid = Math.floor((x[1] - filter[0]) / stride) + 1 === out[1];
  const pad = same ? 'same' : valid ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
  return { strides: stride, pad, dataFormat: 'NHWC', filterShape: filter } as unknown as tf.NamedAttrMap;
}

/** Median wall and CPU ms of each route's filter gradient for one conv, the routes alternating every round. */
function filterGradientMs(conv: StepConv, routes: Route[]): Record<Route, Times> {
  const x = tf.randomNormal(conv.x) as tf.Tensor4D;
  const dy = tf.randomNormal(conv.out) as tf.Tensor4D;
  const attrs = convAttrs(conv);
  const runs = Object.fromEntries(routes.map((route) => [route, () => {
    ROUTE_ON[route]();
    tf.tidy(() => (tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor).sum().dataSync());
  }])) as Record<Route, () => void>;
  const ms = alternateMs(runs, ROUNDS);
  tf.dispose([x, dy]);
  ROUTE_ON.matmul(); // initBackend's default
  return ms;
}

async function main() {
  const convs = await yolov8nConvs();
  const unavailable = fusedAttentionUnavailable();
  if (unavailable) throw new Error(`bench:kernels needs the native kernels: ${unavailable}`);
  if (process.argv.includes('--winograd')) { // the Winograd tables alone: printed, not recorded
    console.log(`\n${winogradTables(convs, ROUNDS)}\n\n${winogradFilterTables(threeByThreeConvs(convs), ROUNDS)}`);
    return;
  }
  if (process.argv.includes('--winograd-filter')) {
    console.log(`\n${winogradFilterTables(threeByThreeConvs(convs), ROUNDS)}`);
    return;
  }
  const rows: (string | number)[][] = [];
  const total = { before: 0, native: 0, tensorflow: 0, cpuBefore: 0, cpuNative: 0 };
  for (const conv of convs) {
    const pointwise = conv.filter[0] === 1 && conv.filter[1] === 1;
    const ms = filterGradientMs(conv, pointwise ? ['tensorflow', 'matmul', 'native'] : ['tensorflow', 'native']);
    const before = pointwise ? ms.matmul : ms.tensorflow;
    total.before += conv.count * before.wall;
    total.native += conv.count * ms.native.wall;
    total.tensorflow += conv.count * ms.tensorflow.wall;
    total.cpuBefore += conv.count * before.cpu;
    total.cpuNative += conv.count * ms.native.cpu;
    const [kh, kw, cin, cout] = conv.filter;
    const flops = 2 * conv.out[0] * conv.out[1] * conv.out[2] * kh * kw * cin * cout;
    const cell = (t: Times) => `${t.wall.toFixed(2)} (${(flops / t.wall / 1e6).toFixed(0)})`;
    const s = (convAttrs(conv) as { strides: number }).strides;
    rows.push([`${conv.x.join('×')} ${kh}×${kw}/${s} → ${cout}`, conv.count, cell(ms.tensorflow), pointwise ? cell(ms.matmul) : '',
      cell(ms.native), (before.wall / ms.native.wall).toFixed(2), (before.cpu / ms.native.cpu).toFixed(2)]);
    console.log(rows.at(-1)!.join('  '));
  }
  rows.push(['all convs of the step (× count)', convs.reduce((a, c) => a + c.count, 0), total.tensorflow.toFixed(1),
    `today's route: ${total.before.toFixed(1)}`, total.native.toFixed(1), (total.before / total.native).toFixed(2),
    (total.cpuBefore / total.cpuNative).toFixed(2)]);
  const table = formatTable(['conv (x, kernel/stride → c_out)', 'count', 'TensorFlow ms (GFLOP/s)', 'MatMul route ms (GFLOP/s)',
    'native ms (GFLOP/s)', 'speed-up over today\'s route', 'same, CPU time'], rows);
  const note = `Conv2DBackpropFilter of every conv of a YOLOv8n step (imgsz 320, batch 16; shapes from the model's forward), ` +
    `median of ${ROUNDS} runs per route and shape, the routes alternating every round. Today's route: TensorFlow's kernel ` +
    '(oneDNN) for k > 1, the MatMul route (docs/onednn-sigfpe.md) for 1×1; native: @acmix-lab/acmix native/conv_backprop_filter.cc, ' +
    'and native/winograd_filter.cc for the 3×3 stride-1 convs. ' +
    'Speed-up: today\'s route ms ÷ native ms, by wall time and by the process\'s CPU time (steadier on a loaded machine). ' +
    'The total row sums ms × count.';
  const winograd = `${winogradTables(convs, ROUNDS)}\n\n${winogradFilterTables(threeByThreeConvs(convs), ROUNDS)}`;
  console.log(`\n${table}\n\n${note}\n\n${winograd}`);
  recordBenchmark('bench:kernels', 'npm run bench:kernels', `${table}\n\n${note}\n\n${winograd}`);
}

await main();
