// bench:kernels' Winograd tables: the forward (Conv2D) and input gradient (Conv2DBackpropInput) of a YOLOv8n step's
// 3×3 stride-1 convs, TensorFlow's kernels (oneDNN) against @acmix-lab/acmix's Winograd (native/winograd_conv.cc),
// alternating per shape; and the float32 error of both against a float64 direct conv.
import * as tf from '@tensorflow/tfjs';
import { useWinogradConv } from '@acmix-lab/acmix';
import type { StepConv } from './backend.js';
import { alternateMs, formatTable, type Times } from './report.js';

type Kernel = 'forward' | 'input gradient';
const SAME = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };

/** Median wall and CPU ms of one conv's kernel by TensorFlow and by Winograd, alternating every round. */
function kernelMs(conv: StepConv, kernel: Kernel, rounds: number): Record<'tensorflow' | 'winograd', Times> {
  const [x, filter, dy] = [conv.x, conv.filter, conv.out].map((s) => tf.randomNormal(s)) as tf.Tensor4D[];
  const call = kernel === 'forward'
    ? () => tf.engine().runKernel(tf.Conv2D, { x: x!, filter: filter! }, SAME)
    : () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy!, filter: filter! }, { ...SAME, inputShape: conv.x });
  const route = (on: boolean) => () => {
    useWinogradConv(on);
    tf.tidy(() => (call() as tf.Tensor).sum().dataSync());
  };
  const ms = alternateMs({ tensorflow: route(false), winograd: route(true) }, rounds);
  useWinogradConv(false);
  tf.dispose([x!, filter!, dy!]);
  return ms;
}

function speedTable(convs: StepConv[], kernel: Kernel, rounds: number): string {
  const total = { tensorflow: 0, winograd: 0, cpuTensorflow: 0, cpuWinograd: 0 };
  const rows: (string | number)[][] = [];
  for (const conv of convs) {
    const ms = kernelMs(conv, kernel, rounds);
    total.tensorflow += conv.count * ms.tensorflow.wall;
    total.winograd += conv.count * ms.winograd.wall;
    total.cpuTensorflow += conv.count * ms.tensorflow.cpu;
    total.cpuWinograd += conv.count * ms.winograd.cpu;
    const flops = 2 * conv.out[0] * conv.out[1] * conv.out[2] * 9 * conv.x[3] * conv.out[3];
    const cell = (t: Times) => `${t.wall.toFixed(2)} (${(flops / t.wall / 1e6).toFixed(0)})`;
    rows.push([`${conv.x.join('×')} → ${conv.out[3]}`, conv.count, cell(ms.tensorflow), cell(ms.winograd),
      (ms.tensorflow.wall / ms.winograd.wall).toFixed(2), (ms.tensorflow.cpu / ms.winograd.cpu).toFixed(2)]);
    console.log(`${kernel}: ${rows.at(-1)!.join('  ')}`);
  }
  rows.push(['all 3×3 stride-1 convs of the step (× count)', convs.reduce((a, c) => a + c.count, 0), total.tensorflow.toFixed(1),
    total.winograd.toFixed(1), (total.tensorflow / total.winograd).toFixed(2), (total.cpuTensorflow / total.cpuWinograd).toFixed(2)]);
  return formatTable([`${kernel} (x → c_out)`, 'count', 'TensorFlow ms (GFLOP/s)', 'Winograd ms (GFLOP/s)', 'speed-up', 'same, CPU time'], rows);
}

/** A float64 'same' 3×3 conv of x [n, h, w, c_in] by f [3, 3, c_in, c_out], and Σ|x·f| per output. */
function directConv64(x: tf.Tensor4D, f: tf.Tensor4D): { exact: Float64Array; scale: Float64Array } {
  const [n, h, w, cin] = x.shape;
  const cout = f.shape[3];
  const xs = x.dataSync(), fs = f.dataSync();
  const exact = new Float64Array(n * h * w * cout), scale = new Float64Array(exact.length);
  forEachTap(n, h, w, (p, tap, q) => {
    for (let c = 0; c < cin; c++) {
      for (let k = 0, fo = (tap * cin + c) * cout; k < cout; k++) {
        const product = xs[q * cin + c]! * fs[fo + k]!;
        exact[p * cout + k] += product;
        scale[p * cout + k] += Math.abs(product);
      }
    }
  });
  return { exact, scale };
}

/** visit(p, tap, q) for every pixel p of n h×w maps and tap of a 'same' 3×3 conv whose input pixel q is inside. */
export function forEachTap(n: number, h: number, w: number, visit: (p: number, tap: number, q: number) => void): void {
  for (let p = 0; p < n * h * w; p++) {
    const [b, i, j] = [Math.floor(p / (h * w)), Math.floor(p / w) % h, p % w];
    for (let tap = 0; tap < 9; tap++) {
      const [iy, ix] = [i + Math.floor(tap / 3) - 1, j + (tap % 3) - 1];
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) visit(p, tap, (b * h + iy) * w + ix);
    }
  }
}

/** max over elements of |t − exact| / scale and ‖t − exact‖ / ‖exact‖, for a float64 result and its Σ|terms|. */
export function errors(t: tf.Tensor, { exact, scale }: { exact: Float64Array; scale: Float64Array }): string {
  let max = 0, squares = 0, norm = 0;
  t.dataSync().forEach((v, e) => { const d = Math.abs(v - exact[e]!); max = Math.max(max, d / scale[e]!); squares += d * d; norm += exact[e]! ** 2; });
  return `${max.toExponential(1)} / ${Math.sqrt(squares / norm).toExponential(1)}`;
}

/**
 * Float32 errors against float64, TensorFlow's and Winograd's, at batch 2 with x, dy ~ N(0, 1) and PyTorch's init
 * for w (U(±1/√(9·c_in))): the forward, and the input gradient (a conv of dy by w rotated 180°, channels swapped).
 */
function accuracyRow(conv: StepConv): string[] {
  const [, h, w, cin] = conv.x;
  const cout = conv.out[3];
  const bound = 1 / Math.sqrt(9 * cin);
  return tf.tidy(() => {
    const x = tf.randomNormal([2, h, w, cin], 0, 1, 'float32', 3) as tf.Tensor4D;
    const dy = tf.randomNormal([2, h, w, cout], 0, 1, 'float32', 5) as tf.Tensor4D;
    const filter = tf.randomUniform([3, 3, cin, cout], -bound, bound, 'float32', 4) as tf.Tensor4D;
    const forward = directConv64(x, filter);
    const backward = directConv64(dy, tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]));
    const row = (on: boolean) => {
      useWinogradConv(on);
      const cells = [errors(tf.conv2d(x, filter, 1, 'same'), forward), errors(tf.conv2dTranspose(dy, filter, [2, h, w, cin], 1, 'same'), backward)];
      useWinogradConv(false);
      return cells;
    };
    const [stock, winograd] = [row(false), row(true)];
    return [`${[2, h, w, cin].join('×')} → ${cout}`, stock[0]!, winograd[0]!, stock[1]!, winograd[1]!];
  });
}

/** The 3×3 stride-1 convs among `convs`. */
export const threeByThreeConvs = (convs: StepConv[]) =>
  convs.filter((c) => c.filter[0] === 3 && c.filter[1] === 3 && c.out[1] === c.x[1] && c.out[2] === c.x[2]);

/** Forward and input-gradient speed tables and the accuracy table, for the 3×3 stride-1 convs among `convs`. */
export function winogradTables(convs: StepConv[], rounds: number): string {
  const threeByThree = threeByThreeConvs(convs);
  const accuracy = formatTable(['float32 error (x → c_out)', 'forward, TensorFlow: max / Σ|terms|, rms rel', 'forward, Winograd F(2×2)',
    'input gradient, TensorFlow', 'input gradient, Winograd F(4×4)'], threeByThree.map(accuracyRow));
  return `${speedTable(threeByThree, 'forward', rounds)}\n\n${speedTable(threeByThree, 'input gradient', rounds)}\n\n${accuracy}\n\n` +
    `The 3×3 stride-1 convs of the same step (C2f bottlenecks, Detect head): Conv2D and Conv2DBackpropInput by TensorFlow's ` +
    `kernels (oneDNN) and by @acmix-lab/acmix's Winograd, F(2×2, 3×3) forward and F(4×4, 3×3) input gradient ` +
    `(native/winograd_conv.cc; ACMIX_LAB_WINOGRAD=0 turns it off), ` +
    `median of ${rounds} runs per route and shape, alternating every round; GFLOP/s counts a direct conv's FLOPs (2·9·c_in·c_out ` +
    'per output pixel). Error: float32 against a float64 direct conv at batch 2, x and dy ~ N(0, 1), w from PyTorch\'s ' +
    'init; the largest |error| / Σ|products| of an element, and ‖error‖ / ‖result‖.';
}
