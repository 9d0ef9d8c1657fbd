// 1×1 convolutions as MatMul on the native backend (docs/onednn-sigfpe.md).
// oneDNN 3.7 (inside TensorFlow 2.21) sets up its brgemm 1×1 convolution with a division by zero
// for (c_in, c_out) ∈ {(1024, 2048), (1024, 512), (256, 1024), (512, 1024), (512, 2048)} when the
// per-core L1 size it reads from CPUID is small: brg_blocking_t::est_eff_1x1 computes an AMX-only
// factor with an integer division (its "maskrcnn workaround") on every CPU. TensorFlow's backprop
// ops build that forward setup too (as their hint), and backprop-input at stride 1 runs it again
// with c_in and c_out swapped. YOLOv8 s and l hold such convs (SPPF cv2 1024→512, …), so the process
// died with SIGFPE on machines that report such a cache.
// A 1×1 conv is a matmul over pixels, which TensorFlow runs through oneDNN's matmul instead, as fast
// (bench:backend, bench:train). Conv2D and both backprop kernels are replaced for unpadded 1×1 NHWC
// filters at any stride; every other conv runs tfjs-node's stock kernel, but for the gradients of explicitly
// padded convs, which tfjs-node rejects (explicit-padding.ts). The filter gradient first asks a native kernel
// installed from above (setNativeFilterGradient: @acmix-lab/acmix's, installed by the trainer), and so do the
// forward and the input gradient (setNativeConvolution: acmix's Winograd 3×3 convs).
// Kernel functions may call ops: nested ops are not recorded on the gradient tape, and the gradients stay
// tfjs' own Conv2D gradient, computed by these kernels.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap } from '@tensorflow/tfjs';
import { backpropFilterOverPadding, backpropInputOverPadding, explicitPads } from './explicit-padding.js';

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | number[][];
  dataFormat: 'NHWC' | 'NCHW';
}

interface Pointwise { strides: [number, number]; cin: number; cout: number }

/** The conv's strides and channels when it is a 1×1 NHWC conv without padding, else null (run it stock). */
function pointwise(filterShape: number[], attrs: NamedAttrMap): Pointwise | null {
  const { strides, pad, dataFormat } = attrs as unknown as ConvAttrs;
  const [kh, kw, cin, cout] = filterShape as [number, number, number, number];
  // A 1×1 window needs no padding for 'same'; explicit or numeric padding must be zero.
  const unpadded = typeof pad === 'string' || (typeof pad === 'number' ? pad === 0 : pad.flat().every((p) => p === 0));
  if (kh !== 1 || kw !== 1 || dataFormat !== 'NHWC' || !unpadded) return null;
  return { strides: typeof strides === 'number' ? [strides, strides] : strides, cin, cout };
}

/** The input pixels a 1×1 conv reads: x, or every stride-th pixel (TensorFlow's output size: ⌈size / stride⌉). */
function stridedInput(x: tf.Tensor4D, { strides: [sh, sw] }: Pointwise): tf.Tensor4D {
  return sh === 1 && sw === 1 ? x : tf.stridedSlice(x, [0, 0, 0, 0], x.shape, [1, sh, sw, 1]) as tf.Tensor4D;
}

/** The input pixels a 1×1 conv reads as rows [pixels, c_in], and the output shape. */
function inputRows(x: tf.Tensor4D, p: Pointwise): [tf.Tensor2D, number[]] {
  const read = stridedInput(x, p);
  return [tf.reshape(read, [-1, p.cin]), [...read.shape.slice(0, 3), p.cout]];
}

/**
 * The forward and the stride-1 input gradient as one BatchMatMulV2 over the 4-D tensors, the filter broadcast over
 * the pixels, instead of Reshapes to rows and back (three ops and two shape tensors fewer per call; TensorFlow folds
 * the broadcast batch into the rows, so the values are the same bits, pointwise-conv.test.ts). Its transposed form
 * needs the filter as a matrix: with the 4-D filter TensorFlow multiplies pixel row by pixel row, 2–3× slower.
 * ACMIX_LAB_BROADCAST_MATMUL=0 runs the row form (bench:train's A/B).
 */
const broadcastMatMul = () => process.env.ACMIX_LAB_BROADCAST_MATMUL !== '0';

function stockKernel(name: string): KernelFunc {
  const stock = originals.get(name);
  if (!stock) throw new Error(`${name}: the stock tensorflow kernel is not registered`);
  return stock.kernelFunc;
}

const conv2d: KernelFunc = (args) => {
  const { x, filter } = args.inputs as { x: tf.Tensor4D; filter: tf.Tensor4D };
  const native = nativeConvolution?.forward(x, filter, args.attrs!);
  if (native) return native;
  const p = pointwise(filter.shape, args.attrs!);
  if (!p) return stockKernel(tf.Conv2D)(args);
  if (broadcastMatMul()) return tf.tidy(() => tf.matMul(stridedInput(x, p), filter));
  return tf.tidy(() => {
    const [rows, outShape] = inputRows(x, p);
    return tf.reshape(tf.matMul(rows, tf.reshape(filter, [p.cin, p.cout])), outShape);
  });
};

const conv2dBackpropInput: KernelFunc = (args) => {
  const { dy, filter } = args.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
  const native = nativeConvolution?.backpropInput(dy, filter, args.attrs!);
  if (native) return native;
  const { inputShape } = args.attrs as unknown as { inputShape: [number, number, number, number] };
  const p = pointwise(filter.shape, args.attrs!);
  if (!p) return explicitPads(args.attrs!) ? backpropInputOverPadding(args) : stockKernel(tf.Conv2DBackpropInput)(args);
  const [sh, sw] = p.strides;
  if (sh === 1 && sw === 1 && broadcastMatMul()) return tf.tidy(() => tf.matMul(dy, tf.reshape(filter, [p.cin, p.cout]), false, true));
  return tf.tidy(() => {
    const [batch, height, width, cin] = inputShape;
    const [, outH, outW] = dy.shape;
    const dx = tf.matMul(tf.reshape(dy, [-1, p.cout]), tf.reshape(filter, [p.cin, p.cout]), false, true);
    if (sh === 1 && sw === 1) return tf.reshape(dx, inputShape);
    // Strided: each output pixel's gradient lands on the input pixel it read, zeros in between.
    const spread = tf.pad(tf.reshape(dx, [batch, outH, 1, outW, 1, cin]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    return tf.slice(tf.reshape(spread, [batch, outH * sh, outW * sw, cin]), 0, [batch, height, width, cin]);
  });
};

/**
 * A faster filter gradient for any conv, from a package above runtime (@acmix-lab/acmix's native kernel,
 * installed by setNativeFilterGradient); it returns null for the convs it leaves to the kernels here.
 */
export type NativeFilterGradient = (x: tf.Tensor4D, dy: tf.Tensor4D, attrs: NamedAttrMap) => tf.Tensor | null;
let nativeFilterGradient: NativeFilterGradient | null = null;

/** Route every Conv2DBackpropFilter through `gradient` first (null: back to MatMul for 1×1, stock otherwise). */
export function setNativeFilterGradient(gradient: NativeFilterGradient | null): void {
  nativeFilterGradient = gradient;
}

/**
 * A faster forward and input gradient for some convs, from a package above runtime (@acmix-lab/acmix's Winograd
 * 3×3 kernel, installed by useWinogradConv); each returns null for the convs it leaves to the kernels here.
 */
export interface NativeConvolution {
  forward(x: tf.Tensor4D, filter: tf.Tensor4D, attrs: NamedAttrMap): tf.Tensor | null;
  backpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: NamedAttrMap): tf.Tensor | null;
}
let nativeConvolution: NativeConvolution | null = null;

/** Route every Conv2D and Conv2DBackpropInput through `convolution` first (null: the kernels here only). */
export function setNativeConvolution(convolution: NativeConvolution | null): void {
  nativeConvolution = convolution;
}

const conv2dBackpropFilter: KernelFunc = (args) => {
  const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
  const native = nativeFilterGradient?.(x, dy, args.attrs!);
  if (native) return native;
  const { filterShape } = args.attrs as unknown as { filterShape: [number, number, number, number] };
  const p = pointwise(filterShape, args.attrs!);
  if (!p) return explicitPads(args.attrs!) ? backpropFilterOverPadding(args) : stockKernel(tf.Conv2DBackpropFilter)(args);
  return tf.tidy(() => tf.reshape(tf.matMul(inputRows(x, p)[0], tf.reshape(dy, [-1, p.cout]), true, false), filterShape));
};

const FIXES: KernelConfig[] = [
  { kernelName: tf.Conv2D, backendName: 'tensorflow', kernelFunc: conv2d },
  { kernelName: tf.Conv2DBackpropInput, backendName: 'tensorflow', kernelFunc: conv2dBackpropInput },
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'tensorflow', kernelFunc: conv2dBackpropFilter },
];
const originals = new Map<string, KernelConfig>();

/** Route the native backend's 1×1 convolutions through MatMul (idempotent). */
export function registerNativeKernelFixes(): void {
  for (const fix of FIXES) {
    const current = tf.getKernel(fix.kernelName, fix.backendName);
    if (current?.kernelFunc === fix.kernelFunc) continue;
    if (!current) throw new Error(`${fix.kernelName}: no tensorflow kernel to replace (is tfjs-node loaded?)`);
    originals.set(fix.kernelName, current);
    tf.unregisterKernel(fix.kernelName, fix.backendName);
    tf.registerKernel(fix);
  }
}

/**
 * Whether convs may pass explicit padding (tf.conv2d's [[0, 0], [t, b], [l, r], [0, 0]]) to the native backend:
 * these kernels are installed (tfjs-node's own take it forward only) and ACMIX_LAB_EXPLICIT_PAD is not 0.
 */
export function explicitConvPaddingAvailable(): boolean {
  return process.env.ACMIX_LAB_EXPLICIT_PAD !== '0' && tf.getBackend() === 'tensorflow' &&
    FIXES.every((fix) => tf.getKernel(fix.kernelName, fix.backendName)?.kernelFunc === fix.kernelFunc);
}

/** Put tfjs-node's stock kernels back (tests and bench:backend compare against them). */
export function unregisterNativeKernelFixes(): void {
  for (const fix of FIXES) {
    const stock = originals.get(fix.kernelName);
    if (!stock || tf.getKernel(fix.kernelName, fix.backendName)?.kernelFunc !== fix.kernelFunc) continue;
    tf.unregisterKernel(fix.kernelName, fix.backendName);
    tf.registerKernel(stock);
  }
}
