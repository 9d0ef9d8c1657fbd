// Layout conversions between this layer's variables and the official module's state_dict.
import * as tf from '@tensorflow/tfjs';
import type { TorchParamBinding } from '@acmix-lab/runtime';

/** A 1×1 conv kept as an (in, out) matrix ↔ PyTorch (out, in, 1, 1). */
export function matrixBinding(key: string, variable: tf.LayerVariable): TorchParamBinding {
  const [cin, cout] = variable.shape as [number, number];
  return {
    key, variable, isParameter: true,
    torchShape: [cout, cin, 1, 1],
    fromTorch: (t) => tf.transpose(tf.reshape(t, [cout, cin])),
    toTorch: (t) => tf.reshape(tf.transpose(t), [cout, cin, 1, 1]),
  };
}

export interface GroupedConvShape {
  outPlanes: number;
  headDim: number;
  head: number;
  kernelConv: number;
}

/**
 * ACmix's dep_conv (groups = head_dim; group g maps input channels g·kc²…g·kc²+kc²−1 to outputs
 * g·head…g·head+head−1), PyTorch (out, kc², kc, kc), kept as a depthwise filter
 * (kc, kc, head_dim·kc², head): depthwise channel g·kc²+m, multiplier t ↔ torch [g·head+t, m].
 */
export function groupedConvBinding(key: string, variable: tf.LayerVariable, s: GroupedConvShape): TorchParamBinding {
  const { outPlanes, headDim: d, head, kernelConv: kc } = s;
  return {
    key, variable, isParameter: true,
    torchShape: [outPlanes, kc * kc, kc, kc],
    fromTorch: (t) => tf.reshape(tf.transpose(tf.reshape(t, [d, head, kc * kc, kc, kc]), [3, 4, 0, 2, 1]), [kc, kc, d * kc * kc, head]),
    toTorch: (t) => tf.reshape(tf.transpose(tf.reshape(t, [kc, kc, d, kc * kc, head]), [2, 4, 3, 0, 1]), [outPlanes, kc * kc, kc, kc]),
  };
}

/** ACmix.reset_parameters' dep_conv init: input channel m of every group sees pixel (m / kc, m % kc). */
export function depthwiseShiftKernel(kc: number, headDim: number, head: number): tf.Tensor4D {
  const data = new Float32Array(kc * kc * headDim * kc * kc * head);
  for (let m = 0; m < kc * kc; m++) {
    for (let g = 0; g < headDim; g++) {
      for (let t = 0; t < head; t++) data[((m * headDim + g) * kc * kc + m) * head + t] = 1;
    }
  }
  return tf.tensor4d(data, [kc, kc, headDim * kc * kc, head]);
}
