// Distribution Focal Loss pieces of Ultralytics utils/loss.py (8.1/8.2): the expectation decode of
// v8DetectionLoss.bbox_decode and DFLoss (BboxLoss._df_loss in 8.1).
import * as tf from '@tensorflow/tfjs';

/**
 * Expected distance per side: softmax over the regMax bins of each side, times [0, 1, …, regMax - 1].
 * Channels are side-major (channel = side·regMax + bin), as Detect emits them. (..., 4·regMax) → (..., 4).
 */
export function decodeDistribution(predDist: tf.Tensor, regMax = 16): tf.Tensor {
  return tf.tidy(() => {
    const lead = predDist.shape.slice(0, -1);
    const bins = tf.softmax(predDist.reshape([-1, regMax]));
    const proj = tf.range(0, regMax, 1, 'float32').reshape([regMax, 1]);
    return tf.matMul(bins, proj).reshape([...lead, 4]);
  });
}

/**
 * DFLoss(pred_dist, target): cross-entropy against the two bins around each target distance, weighted by
 * closeness (left weight = left + 1 − target), averaged over the 4 sides. The target is clamped to
 * [0, regMax − 1 − 0.01] first, so the right bin always exists.
 * predDist (n, 4·regMax) logits, target (n, 4) distances in stride units → (n, 1).
 */
export function dfLoss(predDist: tf.Tensor, target: tf.Tensor, regMax = 16): tf.Tensor {
  return tf.tidy(() => {
    const n = target.shape[0]!;
    const t = target.clipByValue(0, regMax - 1 - 0.01);
    const left = t.floor(); // torch's .long() on a non-negative value
    const wLeft = left.add(1).sub(t);
    const leftIdx = left.toInt().reshape([-1]);
    const rightIdx = left.add(1).toInt().reshape([-1]);
    // Soft target with wLeft at the left bin and 1 − wLeft at the right one: its cross-entropy with the
    // prediction equals CE(left)·wl + CE(right)·wr. float32 one-hots: an int32 one would be cast (with the
    // weights, a copy) before each product.
    const soft = tf.oneHot(leftIdx, regMax, 1, 0, 'float32').mul(wLeft.reshape([-1, 1]))
      .add(tf.oneHot(rightIdx, regMax, 1, 0, 'float32').mul(tf.scalar(1).sub(wLeft).reshape([-1, 1])));
    const logp = tf.logSoftmax(predDist.reshape([-1, regMax]));
    return soft.mul(logp).sum(-1).neg().reshape([n, 4]).mean(-1, true);
  });
}
