// Anchor geometry of Ultralytics utils/tal.py (8.1/8.2): make_anchors, dist2bbox, bbox2dist.
import * as tf from '@tensorflow/tfjs';

/** Feature-map sizes [h, w] of the Detect levels, in Detect's input order (P3, P4, P5). */
export type FeatureSizes = readonly (readonly [number, number])[];

export interface Anchors {
  /** (A, 2) anchor centres (x, y) in stride units: levels concatenated, row-major (y then x) within a level. */
  points: Float32Array;
  /** (A) stride of each anchor's level, in input pixels. */
  strides: Float32Array;
  count: number;
}

/** make_anchors(feats, strides, grid_cell_offset): centre of every grid cell, `offset` into the cell. */
export function makeAnchors(featureSizes: FeatureSizes, strides: readonly number[], offset = 0.5): Anchors {
  const count = featureSizes.reduce((n, [h, w]) => n + h * w, 0);
  const points = new Float32Array(count * 2);
  const perAnchor = new Float32Array(count);
  let a = 0;
  featureSizes.forEach(([h, w], level) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, a++) {
        points[2 * a] = x + offset;
        points[2 * a + 1] = y + offset;
        perAnchor[a] = strides[level]!;
      }
    }
  });
  return { points, strides: perAnchor, count };
}

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
