// The forward and input gradient of 3×3, stride-1, dilation-1, padding-1 NHWC convs (a YOLO step's C2f bottlenecks
// and Detect head convs) by Winograd (native/winograd_conv.cc), fewer multiplies than TensorFlow's direct kernels
// (bench:kernels). @acmix-lab/runtime's Conv2D and Conv2DBackpropInput kernels
// (kernels/pointwise-conv.ts) ask this first; runtime cannot import this package, so the trainer installs it
// (useWinogradConv). It declines, and TensorFlow's kernels run, for every other conv, where the addon is not
// built, on other backends, with ACMIX_LAB_FUSED=0 and with ACMIX_LAB_WINOGRAD=0. Their filter gradient by Winograd
// (native/winograd_filter.cc) is asked first by nativeConv2DBackpropFilter instead, and ACMIX_LAB_WINOGRAD_FILTER=0
// turns it off.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { setNativeConvolution } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable, runNativeOp } from './native-op.js';

/**
 * Output tile m of F(m×m, 3×3) per kernel: multiplies per output and channel pair (m+2)²/m², 2.25 for m = 4 and 4
 * for m = 2 against a direct conv's 9. F(4×4)'s float32 error is ~2.5× a direct conv's (docs/benchmarks.md); in the
 * forward it passes through train-mode BatchNorms and moved the largest parameter gradients of the hashed YOLOv8l
 * parity test (packages/yolo parity-hashed.test.ts) to 2.6e-4 of scale, over its 2e-4 bound (F(2×2): 1.9e-4,
 * TensorFlow's kernels 1.3e-4); in the input gradient it changed none of them measurably. The filter gradient's
 * F(3×3, m×m) does 36 multiplies per 16 outputs for m = 4 and 16 per 4 for m = 2; F(4×4) is 1.46× faster than the
 * direct kernel over a YOLOv8n step's convs (F(2×2) 1.19×) and leaves the parity test's largest error at 1.904e-4.
 */
const FORWARD_TILE = 2;
const INPUT_GRADIENT_TILE = 4;
const FILTER_GRADIENT_TILE = 4;

/** tfjs' Conv2D / Conv2DBackpropInput attributes (the latter has no dilations and names x's shape). */
interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: [number, number, number, number];
}

/** Why 3×3 convs do not run by Winograd, or null when they do: the fused kernels' reasons, or ACMIX_LAB_WINOGRAD=0. */
export function winogradUnavailable(): string | null {
  if (process.env.ACMIX_LAB_WINOGRAD === '0') return 'disabled by ACMIX_LAB_WINOGRAD=0';
  return fusedAttentionUnavailable();
}

const float32 = (...tensors: tf.Tensor[]) => tensors.every((t) => t.dtype === 'float32');

/** Whether the conv of x (shape) by a filter of filterShape is a 3×3, stride-1, dilation-1 NHWC conv padded 1 on every side. */
function applies(xShape: number[], filterShape: [number, number, number, number], a: ConvAttrs): boolean {
  if (a.dataFormat !== 'NHWC' || filterShape[0] !== 3 || filterShape[1] !== 3) return false;
  const conv = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape, a.strides,
    a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const { top, bottom, left, right } = conv.padInfo;
  return conv.strideHeight === 1 && conv.strideWidth === 1 && conv.dilationHeight === 1 && conv.dilationWidth === 1 &&
    top === 1 && bottom === 1 && left === 1 && right === 1 && conv.outHeight === xShape[1] && conv.outWidth === xShape[2];
}

/** y [N, H, W, c_out] of the conv of x by filter [3, 3, c_in, c_out], or null where Winograd does not apply. */
export function winogradConv2D(x: tf.Tensor4D, filter: tf.Tensor4D, attrs: NamedAttrMap): tf.Tensor | null {
  if (x.shape[3] !== filter.shape[2] || !float32(x, filter) || winogradUnavailable() !== null ||
    !applies(x.shape, filter.shape, attrs as unknown as ConvAttrs)) return null;
  return runNativeOp('winogradConv2D', { backprop_input: 0, output_tile: FORWARD_TILE }, [x, filter], 1)[0]!;
}

/**
 * dx [N, H, W, c_in] of that conv from dy [N, H, W, c_out], or null where Winograd does not apply: the same conv of
 * dy by the filter rotated 180° with its channel axes swapped (the kernel reads the filter that way).
 */
export function winogradConv2DBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, attrs: NamedAttrMap): tf.Tensor | null {
  const a = attrs as unknown as ConvAttrs;
  const xShape = a.inputShape;
  if (!xShape || dy.shape[3] !== filter.shape[3] || xShape[3] !== filter.shape[2] || dy.shape[0] !== xShape[0] ||
    !float32(dy, filter) || winogradUnavailable() !== null || !applies(xShape, filter.shape, a) ||
    dy.shape[1] !== xShape[1] || dy.shape[2] !== xShape[2]) return null;
  return runNativeOp('winogradConv2D', { backprop_input: 1, output_tile: INPUT_GRADIENT_TILE }, [dy, filter], 1)[0]!;
}

/** Why 3×3 filter gradients do not run by Winograd, or null when they do: the fused kernels' reasons, or ACMIX_LAB_WINOGRAD_FILTER=0. */
export function winogradFilterUnavailable(): string | null {
  if (process.env.ACMIX_LAB_WINOGRAD_FILTER === '0') return 'disabled by ACMIX_LAB_WINOGRAD_FILTER=0';
  return fusedAttentionUnavailable();
}

/**
 * dW [3, 3, c_in, c_out] of that conv from x and dy [N, H, W, c_out], or null where Winograd does not apply
 * (native/winograd_filter.cc, F(3×3, m×m) with m = tile); attrs are Conv2DBackpropFilter's.
 * nativeConv2DBackpropFilter asks this first.
 */
export function winogradConv2DBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: NamedAttrMap,
  tile: 2 | 4 = FILTER_GRADIENT_TILE): tf.Tensor | null {
  const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  if (!float32(x, dy) || winogradFilterUnavailable() !== null || !applies(x.shape, a.filterShape, a) ||
    a.filterShape[2] !== x.shape[3] || a.filterShape[3] !== dy.shape[3] || dy.shape[0] !== x.shape[0] ||
    dy.shape[1] !== x.shape[1] || dy.shape[2] !== x.shape[2]) return null;
  return runNativeOp('winogradFilterGradient', { output_tile: tile }, [x, dy], 1)[0]!;
}

/** Install (or with false remove) Winograd in the native backend's Conv2D and Conv2DBackpropInput kernels. */
export function useWinogradConv(on = true): void {
  setNativeConvolution(on ? { forward: winogradConv2D, backpropInput: winogradConv2DBackpropInput } : null);
}
