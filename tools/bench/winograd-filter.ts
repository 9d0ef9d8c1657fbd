// bench:kernels' Winograd filter-gradient tables: the filter gradient (Conv2DBackpropFilter) of a YOLOv8n step's 3×3
// stride-1 convs by @acmix-lab/acmix's direct native kernel (native/conv_backprop_filter.cc) and by Winograd
// F(3×3, 2×2) and F(3×3, 4×4) (native/winograd_filter.cc), alternating per shape; and the float32 error of each,
// and of TensorFlow's kernel, against float64.
import * as tf from '@tensorflow/tfjs';
import { useNativeFilterGradient, winogradConv2DBackpropFilter } from '@acmix-lab/acmix';
import type { StepConv } from './backend.js';
import { alternateMs, formatTable, type Times } from './report.js';
import { errors, forEachTap } from './winograd.js';

type Route = 'direct' | 'F(2×2)' | 'F(4×4)';
const attrsOf = (conv: StepConv) => ({ strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: conv.filter }) as unknown as tf.NamedAttrMap;

/** dW by a route: the installed native filter gradient with Winograd off (direct), or Winograd with output tile m. */
function filterGradient(route: Route | 'tensorflow', x: tf.Tensor4D, dy: tf.Tensor4D, attrs: tf.NamedAttrMap): tf.Tensor {
  if (route === 'F(2×2)' || route === 'F(4×4)') return winogradConv2DBackpropFilter(x, dy, attrs, route === 'F(2×2)' ? 2 : 4)!;
  useNativeFilterGradient(route === 'direct');
  process.env.ACMIX_LAB_WINOGRAD_FILTER = '0';
  try {
    return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs) as tf.Tensor;
  } finally {
    delete process.env.ACMIX_LAB_WINOGRAD_FILTER;
    useNativeFilterGradient(false);
  }
}

function speedTable(convs: StepConv[], rounds: number): string {
  const routes: Route[] = ['direct', 'F(2×2)', 'F(4×4)'];
  const total = Object.fromEntries(routes.flatMap((r) => [[r, 0], [`cpu ${r}`, 0]])) as Record<string, number>;
  const rows: (string | number)[][] = [];
  for (const conv of convs) {
    const [x, dy] = [conv.x, conv.out].map((s) => tf.randomNormal(s)) as tf.Tensor4D[];
    const attrs = attrsOf(conv);
    const ms = alternateMs(Object.fromEntries(routes.map((r) => [r, () => {
      tf.tidy(() => filterGradient(r, x!, dy!, attrs).sum().dataSync());
    }])) as Record<Route, () => void>, rounds);
    tf.dispose([x!, dy!]);
    for (const r of routes) { total[r] += conv.count * ms[r].wall; total[`cpu ${r}`] += conv.count * ms[r].cpu; }
    const flops = 2 * conv.out[0] * conv.out[1] * conv.out[2] * 9 * conv.x[3] * conv.out[3];
    const cell = (t: Times) => `${t.wall.toFixed(2)} (${(flops / t.wall / 1e6).toFixed(0)})`;
    const ratio = (r: Route) => `${(ms.direct.wall / ms[r].wall).toFixed(2)} / ${(ms.direct.cpu / ms[r].cpu).toFixed(2)}`;
    rows.push([`${conv.x.join('×')} → ${conv.out[3]}`, conv.count, ...routes.map((r) => cell(ms[r])), ratio('F(2×2)'), ratio('F(4×4)')]);
    console.log(`filter gradient: ${rows.at(-1)!.join('  ')}`);
  }
  const ratio = (r: Route) => `${(total.direct! / total[r]!).toFixed(2)} / ${(total['cpu direct']! / total[`cpu ${r}`]!).toFixed(2)}`;
  rows.push(['all 3×3 stride-1 convs of the step (× count)', convs.reduce((a, c) => a + c.count, 0),
    ...routes.map((r) => total[r]!.toFixed(1)), ratio('F(2×2)'), ratio('F(4×4)')]);
  return formatTable(['filter gradient (x → c_out)', 'count', 'direct native ms (GFLOP/s)', 'Winograd F(2×2) ms', 'Winograd F(4×4) ms',
    'F(2×2) speed-up, wall / CPU', 'F(4×4) speed-up, wall / CPU'], rows);
}

/** The float64 dW of a 'same' 3×3 conv from x [n, h, w, c_in] and dy [n, h, w, c_out], and Σ|x·dy| per weight. */
function filterGradient64(x: tf.Tensor4D, dy: tf.Tensor4D): { exact: Float64Array; scale: Float64Array } {
  const [n, h, w, cin] = x.shape;
  const cout = dy.shape[3];
  const xs = x.dataSync(), ds = dy.dataSync();
  const exact = new Float64Array(9 * cin * cout), scale = new Float64Array(exact.length);
  forEachTap(n, h, w, (p, tap, q) => {
    for (let c = 0; c < cin; c++) {
      const xv = xs[q * cin + c]!;
      for (let k = 0, o = (tap * cin + c) * cout; k < cout; k++) {
        const product = xv * ds[p * cout + k]!;
        exact[o + k] += product;
        scale[o + k] += Math.abs(product);
      }
    }
  });
  return { exact, scale };
}

/** Float32 errors against float64 at batch 2, x and dy ~ N(0, 1): TensorFlow's kernel, direct native, F(2×2), F(4×4). */
function accuracyRow(conv: StepConv): string[] {
  const [, h, w, cin] = conv.x;
  const cout = conv.out[3];
  return tf.tidy(() => {
    const x = tf.randomNormal([2, h, w, cin], 0, 1, 'float32', 3) as tf.Tensor4D;
    const dy = tf.randomNormal([2, h, w, cout], 0, 1, 'float32', 5) as tf.Tensor4D;
    const exact = filterGradient64(x, dy);
    const attrs = attrsOf(conv);
    return [`${[2, h, w, cin].join('×')} → ${cout}`, ...(['tensorflow', 'direct', 'F(2×2)', 'F(4×4)'] as const)
      .map((r) => errors(filterGradient(r, x, dy, attrs), exact))];
  });
}

/** The filter gradient's speed and accuracy tables, for the 3×3 stride-1 convs among `convs`. */
export function winogradFilterTables(threeByThree: StepConv[], rounds: number): string {
  const accuracy = formatTable(['float32 error of dW (x → c_out)', 'TensorFlow: max / Σ|terms|, rms rel', 'direct native',
    'Winograd F(2×2)', 'Winograd F(4×4)'], threeByThree.map(accuracyRow));
  return `${speedTable(threeByThree, rounds)}\n\n${accuracy}\n\n` +
    'The filter gradient (Conv2DBackpropFilter) of the same 3×3 stride-1 convs: @acmix-lab/acmix\'s direct native kernel ' +
    '(native/conv_backprop_filter.cc, the route before) and Winograd F(3×3, m×m) (native/winograd_filter.cc; the product uses ' +
    `F(4×4), ACMIX_LAB_WINOGRAD_FILTER=0 turns it off), median of ${rounds} runs per route and shape, alternating every round; ` +
    'speed-up: direct ms ÷ Winograd ms by wall and by CPU time. Error: float32 against a float64 sum at batch 2, x and dy ~ ' +
    'N(0, 1); the largest |error| / Σ|x·dy| of a weight, and ‖error‖ / ‖dW‖.';
}
