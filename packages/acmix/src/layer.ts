// The ACmix layer (Pan et al., CVPR 2022), exact to the official PyTorch module
// (LeapLabTHU/ACmix ResNet/test_bottleneck.py, class ACmix), NHWC in and out.
//
// Same parameters and outputs as the official module; the computation is rearranged so that
// every heavy step is one native op (see README.md "How it is computed"):
//  - q, k, v, the fc mixing of the conv path, rate1 and rate2 are all linear in x, so they are
//    folded into small composed weight matrices; x is augmented with [1, loc_w, loc_h] channels so
//    biases and the positional grid ride along in the same matmuls.
//  - the positional logit term q·(pe_center − pe_window) = (q·W_p)·(loc_center − loc_window): the
//    centre part is constant over the window and cancels in the softmax (so does conv_p's bias),
//    the rest is two extra channels per head on q (q·W_p) and k (−loc).
// `rates` (ACMIX_RATES) freezes rate1/rate2 for the paper's ablation of the two paths; both
// implementations read the rates through composedWeights(), so they honour it alike.
// With the native addon built (native/, `npm run build:native`), the window attention and the
// grouped dep_conv run as fused TensorFlow kernels (native-op.ts), the composed weights as one op
// each way (composed-weights.ts), the projections as one tape node with a written-out gradient
// (projection.ts) and the conv path as one grouped conv over q′, k, v (qkv-conv.ts); otherwise as
// composed TensorFlow.js ops (attention.ts, and one dense conv for the conv path).
import * as tf from '@tensorflow/tfjs';
import { plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { windowAttention } from './attention.js';
import { ACmixConfigError } from './errors.js';
import { fusedAttentionUnavailable, fusedGroupedConv, fusedWindowAttention } from './native-op.js';
import { COMPOSE_INPUTS, composeFolded, composeNative, foldedConvEnabled, nativeComposeEnabled, type ComposeInputs, type FusedWeights } from './composed-weights.js';
import { projectAugmented, projectionGradientEnabled } from './projection.js';
import { qkvConv } from './qkv-conv.js';
import { attentionIndex, chooseTile, linspace, windowGeometry, type AttentionIndex, type WindowGeometry } from './geometry.js';
import { groupedConvBinding, matrixBinding, shiftKernel } from './torch-weights.js';

/**
 * How the two paths are mixed, out = rate1·att + rate2·conv (the paper's ablation of the
 * combination): `learned` is the official module (both rates trained from 0.5); the others freeze
 * both rates as non-trainable weights: `conv` (0, 1), `attention` (1, 0), `fixed` (0.5, 0.5).
 */
export const ACMIX_RATES = ['learned', 'conv', 'attention', 'fixed'] as const;
export type ACmixRates = (typeof ACMIX_RATES)[number];

const RATE_INIT: Record<ACmixRates, [rate1: number, rate2: number]> = {
  learned: [0.5, 0.5], conv: [0, 1], attention: [1, 0], fixed: [0.5, 0.5],
};

/** The official module's defaults (test_bottleneck.py ACmix.__init__), plus `rates`. */
export const ACMIX_DEFAULTS = { kernelAtt: 7, head: 4, kernelConv: 3, stride: 1, dilation: 1, rates: 'learned' } as const;

export interface ACmixArgs {
  outPlanes: number;
  kernelAtt?: number;
  head?: number;
  kernelConv?: number;
  stride?: number;
  dilation?: number;
  rates?: ACmixRates;
  name?: string;
}

type ResolvedArgs = Required<Omit<ACmixArgs, 'name'>>;

function withDefaults(args: ACmixArgs): ResolvedArgs {
  const d = ACMIX_DEFAULTS;
  return {
    outPlanes: args.outPlanes, kernelAtt: args.kernelAtt ?? d.kernelAtt, head: args.head ?? d.head,
    kernelConv: args.kernelConv ?? d.kernelConv, stride: args.stride ?? d.stride, dilation: args.dilation ?? d.dilation,
    rates: args.rates ?? d.rates,
  };
}

/** Why these arguments cannot make an ACmix (the official module crashes on them), or null. */
export function acmixArgsProblem(args: ACmixArgs): string | null {
  const a = withDefaults(args);
  const positive = { outPlanes: a.outPlanes, kernelAtt: a.kernelAtt, head: a.head, kernelConv: a.kernelConv, stride: a.stride, dilation: a.dilation };
  for (const [field, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) return `${field} must be a positive integer, got ${value}`;
  }
  if (a.outPlanes % a.head !== 0) {
    return `outPlanes ${a.outPlanes} is not divisible by head ${a.head} (head_dim = out_planes / head must be an integer)`;
  }
  // An even window has no centre pixel; the official module's unfold/view crashes on it too.
  for (const field of ['kernelAtt', 'kernelConv'] as const) {
    if (a[field] % 2 === 0) return `${field} must be odd, got ${a[field]}`;
  }
  if (!ACMIX_RATES.includes(a.rates)) return `rates must be one of ${ACMIX_RATES.join(', ')}, got ${String(a.rates)}`;
  return null;
}

type Initializer = ReturnType<typeof tf.initializers.zeros>;
type Weights = Record<'w1' | 'b1' | 'w2' | 'b2' | 'w3' | 'b3' | 'wp' | 'bp' | 'fc' | 'dep' | 'rate1' | 'rate2', tf.LayerVariable>;

/** PyTorch's default Conv2d init (kaiming_uniform a=√5, and the bias rule): U(±1/√fan_in). */
function torchDefault(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound });
}

/**
 * The whole conv path as one dense kc×kc kernel over the augmented input: dep_conv group g maps
 * f_conv[g, m] to outputs g·head + t, so kernel[κ, row, g·head + t] = Σ_m fmix[g, row, m] ·
 * dep[g, m, t·kc² + κ].
 */
function denseConvKernel(fmix: tf.Tensor3D, dep: tf.Tensor3D, kc: number, head: number, outPlanes: number): tf.Tensor4D {
  const [d, rows] = fmix.shape;
  const kernel = tf.reshape(tf.matMul(fmix, dep), [d, rows, head, kc, kc]);
  return tf.reshape(tf.transpose(kernel, [3, 4, 1, 0, 2]), [kc, kc, rows, outPlanes]) as tf.Tensor4D;
}

export class ACmix extends tf.layers.Layer implements TorchMappable {
  static className = 'ACmix';
  readonly outPlanes: number;
  readonly kernelAtt: number;
  readonly head: number;
  readonly kernelConv: number;
  readonly stride: number;
  readonly dilation: number;
  readonly rates: ACmixRates;
  readonly headDim: number;
  private inPlanes = 0;
  private w?: Weights;
  private geometry = new Map<string, WindowGeometry>();
  private indices = new Map<string, AttentionIndex>();

  constructor(args: ACmixArgs) {
    super({ name: args.name });
    const problem = acmixArgsProblem(args);
    if (problem) throw new ACmixConfigError(`ACmix layer "${this.name}": ${problem}`);
    const a = withDefaults(args);
    this.outPlanes = a.outPlanes;
    this.kernelAtt = a.kernelAtt;
    this.head = a.head;
    this.kernelConv = a.kernelConv;
    this.stride = a.stride;
    this.dilation = a.dilation;
    this.rates = a.rates;
    this.headDim = this.outPlanes / this.head;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const cin = shape[shape.length - 1];
    if (shape.length !== 4 || cin == null) {
      throw new ACmixConfigError(`ACmix layer "${this.name}": expects NHWC input with known channels, got shape [${shape}]`);
    }
    this.inPlanes = cin;
    const { outPlanes: c, headDim: d, head, kernelConv: kc } = this;
    const add = (name: string, shape: number[], init: Initializer, trainable = true) =>
      this.addWeight(name, shape, 'float32', init, undefined, trainable);
    // A frozen rate stays a parameter (state_dict, summary count), like requires_grad False in torch.
    const [rate1, rate2] = RATE_INIT[this.rates];
    const rate = (name: string, value: number) => add(name, [1], tf.initializers.constant({ value }), this.rates === 'learned');
    this.w = {
      w1: add('conv1.weight', [cin, c], torchDefault(cin)), b1: add('conv1.bias', [c], torchDefault(cin)),
      w2: add('conv2.weight', [cin, c], torchDefault(cin)), b2: add('conv2.bias', [c], torchDefault(cin)),
      w3: add('conv3.weight', [cin, c], torchDefault(cin)), b3: add('conv3.bias', [c], torchDefault(cin)),
      wp: add('conv_p.weight', [2, d], torchDefault(2)), bp: add('conv_p.bias', [d], torchDefault(2)),
      fc: add('fc.weight', [3 * head, kc * kc], torchDefault(3 * head)),
      dep: add('dep_conv.weight', [d, kc * kc, head * kc * kc], tf.initializers.zeros()),
      rate1: rate('rate1', rate1), rate2: rate('rate2', rate2),
    };
    // ACmix.reset_parameters: dep_conv starts as the one-hot shift kernels, so the conv path
    // begins as a plain kc×kc conv assembled from the fc outputs.
    tf.tidy(() => { this.w!.dep.write(shiftKernel(kc, d, head)); });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const down = (n: number | null | undefined) => (n == null ? null : Math.ceil(n / this.stride));
    return [b ?? null, down(h), down(w), this.outPlanes];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [batch, height, width] = x.shape;
      const { head, kernelConv: kc } = this;
      const pixels = batch * height * width;
      const x2d = tf.reshape(x, [pixels, this.inPlanes]) as tf.Tensor2D;
      const grid = tf.tile(this.gridChannels(height, width), [batch, 1]) as tf.Tensor2D;
      const augmented = () => tf.concat([x2d, grid], 1) as tf.Tensor2D;
      const [outH, outW] = [Math.ceil(height / this.stride), Math.ceil(width / this.stride)];
      const outShape = [batch, outH, outW, this.outPlanes];
      let att: tf.Tensor;
      let conv: tf.Tensor;
      if (fusedAttentionUnavailable() === null) {
        const project = (ws: tf.Tensor2D[]) => {
          if (projectionGradientEnabled()) return projectAugmented(x2d, grid, ws, [batch, height, width]);
          const xa = augmented(); // ACMIX_LAB_ACMIX_PROJECTION=0: concat and MatMuls on the tape
          return ws.map((w) => tf.matMul(xa, w));
        };
        const five = (y: tf.Tensor | undefined) => tf.reshape(y!, [batch, height, width, head, -1]);
        const attrs = { kernelAtt: this.kernelAtt, stride: this.stride, dilation: this.dilation };
        if (foldedConvEnabled()) {
          // Conv path from q′, k, v themselves, by one kernel that also adds rate1·att (qkv-conv.ts).
          const { wq, wk, wv, wc } = composeFolded(this.composeInputs());
          const [q, k, v] = project([wq, wk, wv]).map(five);
          att = tf.reshape(fusedWindowAttention(q!, k!, v!, attrs), outShape);
          return tf.reshape(qkvConv(q!, k!, v!, att, wc, this.w!.rate1.read(), kc, this.stride), outShape);
        }
        // Conv path: f_conv = xa·wf (fc over q, k, v regrouped), then the grouped dep_conv kernel.
        const { wq, wk, wv, wf, dep } = this.fusedWeights();
        const [yq, yk, yv, yf] = project([wq, wk, wv, wf]);
        att = tf.reshape(fusedWindowAttention(five(yq), five(yk), five(yv), attrs), outShape);
        const f = tf.reshape(yf!, [batch, height, width, this.headDim, kc * kc]);
        conv = tf.reshape(fusedGroupedConv(f, dep, kc, this.stride), outShape);
      } else {
        const { wq, wk, wv, fmix, dep } = this.composedWeights();
        const xa = augmented();
        // Rows (batch, pixel, head) of the per-head projections: a free reshape of the matmul.
        const rows = (w: tf.Tensor2D) => tf.reshape(tf.matMul(xa, w), [pixels * head, -1]) as tf.Tensor2D;
        const geo = this.windowGeometry(height, width);
        att = tf.reshape(windowAttention(rows(wq), rows(wk), rows(wv), geo, this.attentionIndex(geo, batch)), outShape);
        // Conv path: fc, the regrouping and the grouped dep_conv are linear too, so the whole path
        // is one dense kc×kc conv of the augmented input with a composed kernel (TensorFlow's CPU
        // grouped and depthwise convs are slower at these shapes). Zero padding kernel_conv // 2
        // (official: 1): padded pixels have no bias channel, so f_conv is 0 there too.
        const p = (kc - 1) / 2;
        const xPad = tf.pad(tf.reshape(xa, [batch, height, width, -1]), [[0, 0], [p, p], [p, p], [0, 0]]) as tf.Tensor4D;
        conv = tf.conv2d(xPad, denseConvKernel(fmix, dep, kc, head, this.outPlanes), this.stride, 'valid');
      }
      return tf.add(att, conv);
    });
  }

  /** [1, loc_w, loc_h] per pixel: ones carry the biases, loc is ACmix `position()`. */
  private gridChannels(height: number, width: number): tf.Tensor2D {
    const lw = linspace(width);
    const lh = linspace(height);
    const grid = new Float32Array(height * width * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) grid.set([1, lw[x]!, lh[y]!], (y * width + x) * 3);
    }
    return tf.tensor2d(grid, [height * width, 3]);
  }

  private attentionIndex(geo: WindowGeometry, batch: number): AttentionIndex {
    const key = `${batch}x${geo.rows.size}x${geo.cols.size}`;
    let index = this.indices.get(key);
    if (!index) {
      index = attentionIndex(geo, batch, this.head);
      // Index tables grow with the batch; keep only the most recent few shapes.
      if (this.indices.size >= 4) this.indices.delete(this.indices.keys().next().value!);
      this.indices.set(key, index);
    }
    return index;
  }

  private windowGeometry(height: number, width: number): WindowGeometry {
    const key = `${height}x${width}`;
    let geo = this.geometry.get(key);
    if (!geo) {
      const opts = { kernelAtt: this.kernelAtt, stride: this.stride, dilation: this.dilation };
      geo = windowGeometry(height, width, chooseTile(height, width, this.headDim, opts), opts);
      this.geometry.set(key, geo);
    }
    return geo;
  }

  private composeInputs(): ComposeInputs {
    return Object.fromEntries(COMPOSE_INPUTS.map((name) => [name, this.w![name].read()])) as ComposeInputs;
  }

  /** The fused kernels' weights: one native op (composed-weights.ts), or composedWeights() with fmix regrouped as wf. */
  private fusedWeights(): FusedWeights {
    if (nativeComposeEnabled()) return composeNative(this.composeInputs());
    const { fmix, ...rest } = this.composedWeights();
    return { ...rest, wf: tf.reshape(tf.transpose(fmix, [1, 0, 2]), [this.inPlanes + 3, -1]) as tf.Tensor2D };
  }

  /**
   * Weight matrices over the augmented input [x, 1, loc_w, loc_h] (rows), so that
   * q' = xa·wq, k' = xa·wk, rate1·v = xa·wv per head, and the conv path's fc mixing (fmix) and
   * rate2·dep_conv (dep).
   */
  private composedWeights() {
    const w = this.w!;
    const { head, headDim: d, inPlanes: cin } = this;
    const rows = cin + 3;
    const full = (wt: tf.LayerVariable, b: tf.LayerVariable) =>
      tf.concat([wt.read(), tf.reshape(b.read(), [1, -1]), tf.zeros([2, this.outPlanes])], 0);
    const [q, k, v] = [full(w.w1, w.b1), full(w.w2, w.b2), full(w.w3, w.b3)];
    const qs = tf.reshape(tf.mul(q, d ** -0.5), [rows * head, d]);
    const qp = tf.matMul(qs, w.wp.read(), false, true);
    const wq = tf.concat([tf.reshape(qs, [rows, head, d]), tf.reshape(qp, [rows, head, 2])], 2);
    const locSel = new Float32Array(rows * head * 2);
    for (let h = 0; h < head; h++) {
      locSel[((cin + 1) * head + h) * 2] = -1;
      locSel[((cin + 2) * head + h) * 2 + 1] = -1;
    }
    const wk = tf.concat([tf.reshape(k, [rows, head, d]), tf.tensor3d(locSel, [rows, head, 2])], 2);
    const wv = tf.mul(v, w.rate1.read());
    // f_conv channel g·kc² + m = Σ_s fc[s, m] · (q|k|v)[s-th head block, channel g] (fc over the
    // stacked heads): fmix[g, row, m] is that map's weight on input row `row`.
    const qkv = tf.transpose(tf.reshape(tf.stack([q, k, v], 1), [rows, 3 * head, d]), [2, 0, 1]);
    const fmix = tf.matMul(qkv, tf.tile(tf.expandDims(w.fc.read(), 0), [d, 1, 1])) as tf.Tensor3D; // (d, rows, kc²)
    const dep = tf.mul(w.dep.read(), w.rate2.read()) as tf.Tensor3D; // (d, kc², head·kc²)
    return {
      wq: tf.reshape(wq, [rows, -1]) as tf.Tensor2D, wk: tf.reshape(wk, [rows, -1]) as tf.Tensor2D,
      wv: wv as tf.Tensor2D, fmix, dep,
    };
  }

  torchBindings(): TorchParamBinding[] {
    const w = this.w;
    if (!w) throw new ACmixConfigError(`ACmix layer "${this.name}": build it (call it on an input) before mapping weights`);
    const { outPlanes: c, headDim: d, head, kernelConv: kc } = this;
    return [
      matrixBinding('conv1.weight', w.w1), plainBinding('conv1.bias', w.b1, [c]),
      matrixBinding('conv2.weight', w.w2), plainBinding('conv2.bias', w.b2, [c]),
      matrixBinding('conv3.weight', w.w3), plainBinding('conv3.bias', w.b3, [c]),
      matrixBinding('conv_p.weight', w.wp), plainBinding('conv_p.bias', w.bp, [d]),
      matrixBinding('fc.weight', w.fc),
      groupedConvBinding('dep_conv.weight', w.dep, { outPlanes: c, headDim: d, head, kernelConv: kc }),
      plainBinding('rate1', w.rate1, [1]), plainBinding('rate2', w.rate2, [1]),
    ];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      outPlanes: this.outPlanes, kernelAtt: this.kernelAtt, head: this.head,
      kernelConv: this.kernelConv, stride: this.stride, dilation: this.dilation, rates: this.rates,
    };
  }
}
tf.serialization.registerClass(ACmix);
