// How a tfjs weight maps onto a PyTorch state_dict entry. tfjs is channels-last (NHWC, conv
// kernels HWIO); PyTorch is NCHW with OIHW kernels. Each layer describes its own parameters with
// these bindings, so weight import/export and gradient parity checks need no per-layer code.
import * as tf from '@tensorflow/tfjs';

export interface TorchParamBinding {
  /** state_dict key relative to the layer, e.g. `conv1.weight`, `bn.running_mean`. */
  key: string;
  variable: tf.LayerVariable;
  /** Shape of the tensor in PyTorch. */
  torchShape: number[];
  /** Convert a PyTorch-layout tensor into this variable's layout. */
  fromTorch(t: tf.Tensor): tf.Tensor;
  /** Convert this variable's value (or its gradient) into PyTorch layout. */
  toTorch(t: tf.Tensor): tf.Tensor;
  /** True for parameters (torch `parameters()`); false for buffers such as BatchNorm statistics. */
  isParameter: boolean;
}

/** A dense conv kernel: PyTorch OIHW ↔ tfjs HWIO. */
export function conv2dBinding(key: string, variable: tf.LayerVariable): TorchParamBinding {
  const [kh, kw, cin, cout] = variable.shape as number[];
  return {
    key, variable, isParameter: true,
    torchShape: [cout!, cin!, kh!, kw!],
    fromTorch: (t) => tf.transpose(t, [2, 3, 1, 0]),
    toTorch: (t) => tf.transpose(t, [3, 2, 0, 1]),
  };
}

/** Same layout on both sides (biases, BatchNorm vectors, scalars); `torchShape` may differ in rank. */
export function plainBinding(key: string, variable: tf.LayerVariable, torchShape: number[], isParameter = true): TorchParamBinding {
  return {
    key, variable, isParameter, torchShape,
    fromTorch: (t) => tf.reshape(t, variable.shape as number[]),
    toTorch: (t) => tf.reshape(t, torchShape),
  };
}

/** Implemented by every layer whose weights correspond to a PyTorch module. */
export interface TorchMappable {
  torchBindings(): TorchParamBinding[];
}

export function isTorchMappable(x: unknown): x is TorchMappable {
  return typeof (x as TorchMappable | null)?.torchBindings === 'function';
}
