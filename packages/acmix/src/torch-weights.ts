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
 * g·head…g·head+head−1), PyTorch (out, kc², kc, kc), kept per group as a matrix
 * (head_dim, kc², head·kc²): [g, m, t·kc² + κ] ↔ torch [g·head + t, m, κ / kc, κ % kc].
 */
export function groupedConvBinding(key: string, variable: tf.LayerVariable, s: GroupedConvShape): TorchParamBinding {
  const { outPlanes, headDim: d, head, kernelConv: kc } = s;
  const kk = kc * kc;
  return {
    key, variable, isParameter: true,
    torchShape: [outPlanes, kk, kc, kc],
    fromTorch: (t) => tf.reshape(tf.transpose(tf.reshape(t, [d, head, kk, kk]), [0, 2, 1, 3]), [d, kk, head * kk]),
    toTorch: (t) => tf.reshape(tf.transpose(tf.reshape(t, [d, kk, head, kk]), [0, 2, 1, 3]), [outPlanes, kk, kc, kc]),
  };
}

/** ACmix.reset_parameters' dep_conv init: input channel m of every group sees pixel (m / kc, m % kc). */
export function shiftKernel(kc: number, headDim: number, head: number): tf.Tensor3D {
  const kk = kc * kc;
  const data = new Float32Array(headDim * kk * head * kk);
  for (let g = 0; g < headDim; g++) {
    for (let m = 0; m < kk; m++) {
      for (let t = 0; t < head; t++) data[(g * kk + m) * head * kk + t * kk + m] = 1;
    }
  }
  return tf.tensor3d(data, [headDim, kk, head * kk]);
}
