// The projections of the fused path, y_i = xa·W_i with xa = [x, 1, loc_w, loc_h] (layer.ts), as one tape node
// whose gradient is written out instead of taped through concat and four MatMuls:
//  - dx = Σ_i dy_i·W_i[:C_in]ᵀ, one AddN of C_in-wide products; through the tape it was three Adds of the
//    (C_in + 3)-wide gradients of xa (67 columns at seed v1's P3, a slower MatMul shape than 64) and the
//    concat's slice back to x. The grid channels are constants and get no gradient.
//  - dW_i = xaᵀ·dy_i, a reduction over every pixel: by the native filter gradient kernel
//    (conv_backprop_filter.cc, as a 1×1 conv) where that reduction is longer than dW has elements — 1.4× less
//    CPU than MatMul at seed v1's P3 (docs/benchmarks.md, "ACmix step") — else MatMul.
// `ACMIX_LAB_ACMIX_PROJECTION=0` tapes concat + MatMul instead, for the A/B benchmarks.
import * as tf from '@tensorflow/tfjs';
import { runNativeOp } from './native-op.js';
import { tapeNode } from './tape-node.js';

/** Whether the written-out projection gradient is in use (the fused path only). */
export function projectionGradientEnabled(): boolean {
  return process.env.ACMIX_LAB_ACMIX_PROJECTION !== '0';
}

/** xaᵀ·dy for xa [B·H·W, rows], dy [B·H·W, n] of an image grid [B, H, W]. */
function weightGradient(xa: tf.Tensor2D, dy: tf.Tensor2D, image: [number, number, number]): tf.Tensor {
  const [pixels, rows] = xa.shape;
  const cols = dy.shape[1];
  if (pixels < rows * cols) return tf.matMul(xa, dy, true, false);
  const geometry = { kernel_h: 1, kernel_w: 1, stride_h: 1, stride_w: 1, pad_top: 0, pad_left: 0 };
  const dw = runNativeOp('conv2dBackpropFilter', geometry, [tf.reshape(xa, [...image, rows]), tf.reshape(dy, [...image, cols])], 1)[0]!;
  return tf.reshape(dw, [rows, cols]);
}

/**
 * [x, grid]·W_i for x [B·H·W, C_in] (pixels of the image grid `image` = [B, H, W]), grid [B·H·W, 3] (constant)
 * and each W_i [C_in + 3, n_i]; differentiable in x and every W_i.
 */
export function projectAugmented(x: tf.Tensor2D, grid: tf.Tensor2D, ws: tf.Tensor2D[], image: [number, number, number]): tf.Tensor2D[] {
  const cin = x.shape[1];
  return tapeNode([x, ...ws], (save) => {
    const xa = tf.concat([x, grid], 1);
    save([xa, ...ws]);
    return ws.map((w) => tf.matMul(xa, w));
  }, (dys, [xa, ...saved]) => [
    tf.addN(dys.map((dy, i) => tf.matMul(dy, tf.slice(saved[i]!, [0, 0], [cin, -1]), false, true))),
    ...dys.map((dy) => weightGradient(xa as tf.Tensor2D, dy as tf.Tensor2D, image)),
  ]) as tf.Tensor2D[];
}
