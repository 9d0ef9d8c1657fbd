// Box <-> distance coding of Ultralytics utils/tal.py (8.1/8.2): dist2bbox, bbox2dist. make_anchors is
// @acmix-lab/yolo's makeAnchors (Detect decodes with the same grid).
import * as tf from '@tensorflow/tfjs';

/** Feature-map sizes [h, w] of the Detect levels, in Detect's input order (P3, P4, P5). */
export type FeatureSizes = readonly (readonly [number, number])[];

/** dist2bbox: (l, t, r, b) distances from anchor points (..., 4) → boxes, xywh (default) or xyxy. */
export function distToBbox(distance: tf.Tensor, anchorPoints: tf.Tensor, xywh = true): tf.Tensor {
  return tf.tidy(() => {
    const [lt, rb] = tf.split(distance, 2, -1) as [tf.Tensor, tf.Tensor];
    const x1y1 = anchorPoints.sub(lt);
    const x2y2 = anchorPoints.add(rb);
    if (!xywh) return tf.concat([x1y1, x2y2], -1);
    return tf.concat([x1y1.add(x2y2).div(2), x2y2.sub(x1y1)], -1);
  });
}

/**
 * bbox2dist: xyxy boxes → (l, t, r, b) distances from the anchor points, clamped to [0, regMax - 0.01].
 * v8DetectionLoss passes reg_max - 1 (15 for 16 bins), so the DFL targets stay below the last bin.
 */
export function bboxToDist(anchorPoints: tf.Tensor, bbox: tf.Tensor, regMax: number): tf.Tensor {
  return tf.tidy(() => {
    const [x1y1, x2y2] = tf.split(bbox, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.concat([anchorPoints.sub(x1y1), x2y2.sub(anchorPoints)], -1).clipByValue(0, regMax - 0.01);
  });
}
