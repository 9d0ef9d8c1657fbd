// The native backend's MaxPoolGrad kernel replaced by native/max_pool_grad.cc, bit for bit TensorFlow's result
// (ties go to the first maximum in raster order, as in TensorFlow and PyTorch) and ~18× faster: TensorFlow's
// CPU kernel took 11 ms CPU (0.6 here) for each of YOLOv8n's three SPPF pools at 16×10×10×128 in a training step
// (docs/benchmarks.md, "Data movement"). Every max pool's gradient on the tensorflow backend goes
// through it once installed (the trainer's TrainingStep installs it); it hands back to the stock kernel when the
// addon is not built, with ACMIX_LAB_FUSED=0 and with ACMIX_LAB_NATIVE_MAX_POOL=0 (bench:train's A/B).
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { fusedAttentionUnavailable, runNativeOp } from './native-op.js';

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Why max pool gradients run TensorFlow's kernel, or null when they run the native one. */
export function nativeMaxPoolGradUnavailable(): string | null {
  if (process.env.ACMIX_LAB_NATIVE_MAX_POOL === '0') return 'disabled by ACMIX_LAB_NATIVE_MAX_POOL=0';
  return fusedAttentionUnavailable();
}

/** dx of an NHWC float32 max pool from its input x and the output gradient dy (native/max_pool_grad.cc). */
export function nativeMaxPoolGrad(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: MaxPoolGradAttrs): tf.Tensor4D {
  const pool = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  if (pool.outHeight !== dy.shape[1] || pool.outWidth !== dy.shape[2]) {
    throw new Error(`max pool gradient: dy ${JSON.stringify(dy.shape)} does not match the pool of x ${JSON.stringify(x.shape)}`);
  }
  const geometry = {
    kernel_h: pool.filterHeight, kernel_w: pool.filterWidth, stride_h: pool.strideHeight, stride_w: pool.strideWidth,
    pad_top: pool.padInfo.top, pad_left: pool.padInfo.left,
  };
  return runNativeOp('maxPoolGrad', geometry, [x, dy], 1)[0] as tf.Tensor4D;
}

let stock: KernelConfig | undefined;

const maxPoolGrad: KernelFunc = (args) => {
  const { dy, input } = args.inputs as { dy: tf.Tensor4D; input: tf.Tensor4D };
  if (input.dtype !== 'float32' || nativeMaxPoolGradUnavailable() !== null) return stock!.kernelFunc(args);
  return nativeMaxPoolGrad(input, dy, args.attrs as unknown as MaxPoolGradAttrs);
};

/** Install (or with false remove) the native max pool gradient as the tensorflow backend's MaxPoolGrad kernel. */
export function useNativeMaxPoolGrad(on = true): void {
  const current = tf.getKernel(tf.MaxPoolGrad, 'tensorflow');
  if (!current) return; // tfjs-node is not loaded: nothing to replace
  const installed = current.kernelFunc === maxPoolGrad;
  if (on === installed) return;
  if (on) stock = current;
  tf.unregisterKernel(tf.MaxPoolGrad, 'tensorflow');
  tf.registerKernel(on ? { kernelName: tf.MaxPoolGrad, backendName: 'tensorflow', kernelFunc: maxPoolGrad } : stock!);
}
