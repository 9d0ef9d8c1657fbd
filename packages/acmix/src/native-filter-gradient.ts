// Every conv2d filter gradient of the native backend by native/conv_backprop_filter.cc, faster than TensorFlow's
// Conv2DBackpropFilter (oneDNN) and than the 1×1 convs' MatMul route on a YOLO step's shapes (bench:kernels).
// @acmix-lab/runtime's Conv2DBackpropFilter kernel (kernels/pointwise-conv.ts) asks this first; runtime cannot
// import this package, so the trainer installs it (useNativeFilterGradient). When the addon is not built, on
// other backends and with ACMIX_LAB_FUSED=0 it declines and the kernels it replaces run.
import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { setNativeFilterGradient } from '@acmix-lab/runtime';
import { fusedAttentionUnavailable, runNativeOp } from './native-op.js';
import { winogradConv2DBackpropFilter } from './native-winograd.js';

/** tfjs' Conv2DBackpropFilter attributes (its conv2d gradient has no dilations: they must be 1). */
interface FilterGradientAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW [kh, kw, c_in, c_out] of an NHWC float32 conv, or null where the native kernel does not apply. */
export function nativeConv2DBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: NamedAttrMap): tf.Tensor | null {
  const a = attrs as unknown as FilterGradientAttrs;
  if (a.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32' || fusedAttentionUnavailable() !== null) return null;
  const conv = tf.backend_util.computeConv2DInfo(x.shape, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  // A dy that does not fit is left to the stock kernel, which reports it.
  if (conv.outHeight !== dy.shape[1] || conv.outWidth !== dy.shape[2] || conv.outChannels !== dy.shape[3]) return null;
  // 3×3, stride-1, padding-1 convs by Winograd (native/winograd_filter.cc), unless ACMIX_LAB_WINOGRAD_FILTER=0.
  const winograd = winogradConv2DBackpropFilter(x, dy, attrs);
  if (winograd) return winograd;
  // Explicit padding is @acmix-lab/yolo's PyTorch-padded conv, which ran as Pad + VALID before: padded_order sums
  // in that order, so its gradient stays bit for bit what it was.
  const geometry = {
    kernel_h: conv.filterHeight, kernel_w: conv.filterWidth, stride_h: conv.strideHeight, stride_w: conv.strideWidth,
    pad_top: conv.padInfo.top, pad_left: conv.padInfo.left, padded_order: Array.isArray(a.pad) ? 1 : 0,
  };
  return runNativeOp('conv2dBackpropFilter', geometry, [x, dy], 1)[0]!;
}

/** Install (or with false remove) the native filter gradient in the native backend's Conv2DBackpropFilter kernel. */
export function useNativeFilterGradient(on = true): void {
  setNativeFilterGradient(on ? nativeConv2DBackpropFilter : null);
}
