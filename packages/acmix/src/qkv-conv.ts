// ACmix's conv path read straight from the projections (native/qkv_conv.cc, ACmixQkvConv): fc (a 1×1 conv
// over q, k, v stacked per head) then dep_conv is linear, so composed_weights.cc folds fc into rate2·dep_conv and
// one grouped kc×kc conv over q′, k, v gives the conv path — f_conv = xa·W_f is never projected or stored (it was
// 2.25·C of the 5.25·C + 16 projected columns, docs/benchmarks.md "ACmix step"). The kernel also adds rate1·att,
// so the attention path reads v unscaled and the layer's final Add is gone. It reads q, k, v where the projections
// wrote them (pixel-major, a vector of groups per load); `ACMIX_LAB_ACMIX_DIRECT_CONV=0` gathers them into
// channel-major padded planes first, the previous route (docs/benchmarks.md, "ACmix conv path: q, k, v read in place").
import type * as tf from '@tensorflow/tfjs';
import { runNativeOp } from './native-op.js';
import { tapeNode } from './tape-node.js';

/**
 * rate1·att + conv(q, k, v; wc) for q, k [B, H, W, head, E] (the first head_dim channels of each head are read),
 * v [B, H, W, head, head_dim], att [B, ceil(H/s), ceil(W/s), C], wc [head_dim, 3·head, head·kc²] (foldedWeights)
 * and rate1 [1]; differentiable in every input. The output has att's shape, channel g·head + t as dep_conv's.
 */
export function qkvConv(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, att: tf.Tensor, wc: tf.Tensor, rate1: tf.Tensor,
  kernelConv: number, stride: number): tf.Tensor {
  const attrs = { kernel: kernelConv, stride, direct: process.env.ACMIX_LAB_ACMIX_DIRECT_CONV === '0' ? 0 : 1 };
  const inputs = [q, k, v, att, wc, rate1];
  return tapeNode(inputs, (save) => {
    save(inputs);
    return runNativeOp('qkvConv', attrs, inputs, 1);
  }, ([dout], saved) => runNativeOp('qkvConvGrad', attrs, [...saved, dout!], inputs.length))[0]!;
}
