// The gradients of convolutions with explicit padding on the native backend (@acmix-lab/yolo's TorchConv2d
// passes PyTorch's padding that way where TensorFlow's SAME differs: stride 2, padding 1). The forward needs
// nothing here: tfjs-node's Conv2D passes padding 'EXPLICIT' to TensorFlow, whose oneDNN kernel pads on the
// fly: the sums of a VALID conv over a zero-padded copy (bit for bit at YOLO's n and s shapes, docs/benchmarks.md),
// without the copy (a full pass over the input) that Pad + VALID made. The input gradient cannot follow: TensorFlow's eager oneDNN rewrite skips EXPLICIT
// backprop-input (its Eigen fallback sums in another order, and _MklNativeConv2DBackpropInput called directly
// fails to build its primitive), and tfjs-node's backprop kernels reject it. So it runs VALID onto the padded
// shape and drops the border: what Pad + VALID's gradient did (that Conv2DBackpropInput, then Pad's gradient, a
// Slice). The filter gradient is @acmix-lab/acmix's native kernel, which takes the padding (in Pad + VALID's
// summation order); when it declines, x is padded for TensorFlow's kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, NamedAttrMap } from '@tensorflow/tfjs';

type Pads = [number, number][];

/** The [before, after] padding of each NHWC axis when the conv's padding is explicit, else null. */
export function explicitPads(attrs: NamedAttrMap): Pads | null {
  const { pad, dataFormat } = attrs as { pad: unknown; dataFormat: string };
  return Array.isArray(pad) && dataFormat === 'NHWC' ? (pad as Pads) : null;
}

/** Conv2DBackpropInput with explicit padding: dx of the zero-padded input (VALID), its border dropped. */
export const backpropInputOverPadding: KernelFunc = (args) => {
  const pads = explicitPads(args.attrs!)!;
  const { inputShape } = args.attrs as unknown as { inputShape: [number, number, number, number] };
  const padded = inputShape.map((n, axis) => n + pads[axis]![0] + pads[axis]![1]);
  return tf.tidy(() => {
    const attrs = { ...args.attrs, pad: 'valid', inputShape: padded };
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, args.inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor;
    return tf.slice(dx, pads.map(([before]) => before), inputShape);
  });
};

/** Conv2DBackpropFilter with explicit padding, where no native kernel took it: over a zero-padded x, VALID. */
export const backpropFilterOverPadding: KernelFunc = (args) => {
  const { x, dy } = args.inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
  const pads = explicitPads(args.attrs!)!;
  return tf.tidy(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: tf.pad(x, pads), dy }, { ...args.attrs, pad: 'valid' }) as tf.Tensor);
};
