// The native backend's Concat and SplitV kernels replaced by native/concat_split.cc: pure copies, so bit for bit
// TensorFlow's ConcatV2 and SplitV. A YOLO step concatenates along NHWC's channel axis in every C2f, SPPF and the
// neck (Ultralytics nn/modules/block.py C2f.forward, SPPF.forward; nn/modules/conv.py Concat) and in Detect, and
// each concat's gradient is a split (tfjs-core gradients/Concat_grad.ts); along channels those copy rows of 16–256
// floats per pixel, where TensorFlow's SplitV runs Eigen's slicing once per output. The native ops also take the
// axis and sizes as attributes, where tfjs-node's kernels make one or two small int32 tensors per call (a create
// and a delete each). Installed by the trainer's TrainingStep for every float32 concat and split on the tensorflow
// backend; the stock kernels run when the addon is not built, with ACMIX_LAB_FUSED=0 and with
// ACMIX_LAB_NATIVE_CONCAT=0 (bench:train's A/B).
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { fusedAttentionUnavailable, runNativeOp } from './native-op.js';

/** Why concat and split run TensorFlow's kernels, or null when they run the native ones. */
export function nativeConcatSplitUnavailable(): string | null {
  if (process.env.ACMIX_LAB_NATIVE_CONCAT === '0') return 'disabled by ACMIX_LAB_NATIVE_CONCAT=0';
  return fusedAttentionUnavailable();
}

const stock = new Map<string, KernelConfig>();
const stockKernel = (name: string): KernelFunc => stock.get(name)!.kernelFunc;

const concat: KernelFunc = (args) => {
  const tensors = args.inputs as unknown as tf.Tensor[];
  if (tensors.some((t) => t.dtype !== 'float32') || nativeConcatSplitUnavailable() !== null) return stockKernel(tf.Concat)(args);
  const { axis } = args.attrs as unknown as tf.ConcatAttrs;
  return runNativeOp('concat', { N: tensors.length, axis: tf.util.parseAxisParam(axis, tensors[0]!.shape)[0]! }, tensors, 1)[0]!;
};

const splitV: KernelFunc = (args) => {
  const { x } = args.inputs as { x: tf.Tensor };
  if (x.dtype !== 'float32' || nativeConcatSplitUnavailable() !== null) return stockKernel(tf.SplitV)(args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
  return runNativeOp('split', { N: sizes.length, axis: $axis, sizes }, [x], sizes.length);
};

const KERNELS: KernelConfig[] = [
  { kernelName: tf.Concat, backendName: 'tensorflow', kernelFunc: concat },
  { kernelName: tf.SplitV, backendName: 'tensorflow', kernelFunc: splitV },
];

/** Install (or with false remove) the native concat and split as the tensorflow backend's Concat and SplitV kernels. */
export function useNativeConcatSplit(on = true): void {
  for (const kernel of KERNELS) {
    const current = tf.getKernel(kernel.kernelName, 'tensorflow');
    if (!current) return; // tfjs-node is not loaded: nothing to replace
    const installed = current.kernelFunc === kernel.kernelFunc;
    if (on === installed) continue;
    if (on) stock.set(kernel.kernelName, current);
    tf.unregisterKernel(kernel.kernelName, 'tensorflow');
    tf.registerKernel(on ? kernel : stock.get(kernel.kernelName)!);
  }
}
