import { linspace } from './numeric.js';

/** IoU thresholds 0.50:0.05:0.95 of mAP50-95 (Ultralytics `iouv`, pycocotools `iouThrs`). */
export const IOU_THRESHOLDS: Float64Array = linspace(0.5, 0.95, 10);

/**
 * Which detections are true positives at each IoU threshold, like Ultralytics
 * `engine/validator.py::BaseValidator.match_predictions` (the default, non-scipy branch).
 *
 * `iou` is labels × detections, row-major (L×D). Returns detections × thresholds (D×T), 1 = TP.
 * Per threshold: every (label, detection) pair of the same class with IoU ≥ t, taken in
 * row-major order, is sorted by IoU descending; then, as numpy.unique(return_index) does, the
 * first pair of each detection is kept (in detection order), and of those the first pair of
 * each label. The second pass therefore keeps, for each label, its lowest-index detection
 * (Ultralytics does not re-sort by IoU between the passes), which is the highest-confidence one
 * because NMS output is sorted by confidence.
 * Exact IoU ties sort as numpy's small-array argsort then [::-1] leaves them: later pair first.
 */
export function matchPredictions(
  predClasses: ArrayLike<number>,
  trueClasses: ArrayLike<number>,
  iou: ArrayLike<number>,
  iouThresholds: ArrayLike<number> = IOU_THRESHOLDS,
): Uint8Array {
  const nd = predClasses.length;
  const nl = trueClasses.length;
  const nt = iouThresholds.length;
  if (iou.length !== nl * nd) throw new RangeError(`matchPredictions: iou has ${iou.length} values, expected ${nl}×${nd}`);
  const correct = new Uint8Array(nd * nt);
  const masked = new Float64Array(nl * nd);
  for (let l = 0; l < nl; l++) {
    for (let d = 0; d < nd; d++) masked[l * nd + d] = trueClasses[l] === predClasses[d] ? iou[l * nd + d]! : 0;
  }
  const pairs: number[] = [];
  const bestPairOfDet = new Int32Array(nd);
  const detOfLabel = new Int32Array(nl);
  for (let t = 0; t < nt; t++) {
    const thr = iouThresholds[t]!;
    pairs.length = 0;
    for (let k = 0; k < masked.length; k++) if (masked[k]! >= thr) pairs.push(k);
    if (pairs.length === 0) continue;
    // Stable ascending sort, read backwards = descending with later pairs first among ties.
    pairs.sort((a, b) => masked[a]! - masked[b]! || a - b);
    // Pass 1: first (highest-IoU) pair of each detection.
    bestPairOfDet.fill(-1);
    for (let k = pairs.length - 1; k >= 0; k--) {
      const d = pairs[k]! % nd;
      if (bestPairOfDet[d] === -1) bestPairOfDet[d] = pairs[k]!;
    }
    // Pass 2, over detections in ascending order: first detection of each label.
    detOfLabel.fill(-1);
    for (let d = 0; d < nd; d++) {
      const pair = bestPairOfDet[d]!;
      if (pair === -1) continue;
      const l = Math.floor(pair / nd);
      if (detOfLabel[l] === -1) detOfLabel[l] = d;
    }
    for (let l = 0; l < nl; l++) if (detOfLabel[l] !== -1) correct[detOfLabel[l]! * nt + t] = 1;
  }
  return correct;
}
