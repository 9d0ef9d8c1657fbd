import { apPerClass } from './ap.js';
import { boxIou } from './box-iou.js';
import { detMetrics, type DetMetrics } from './det-metrics.js';
import { IOU_THRESHOLDS, matchPredictions } from './match.js';

/** Detections of one image after NMS: n×6 rows [x1, y1, x2, y2, conf, cls], sorted by conf. */
export type ImagePredictions = ArrayLike<number>;
/** Labels of one image: m×5 rows [cls, x1, y1, x2, y2], in the same pixel space as the predictions. */
export type ImageLabels = ArrayLike<number>;

export interface ValidationResult extends DetMetrics {
  /** Images added. */
  seen: number;
  /** Labels per class id 0..nc-1 (Ultralytics `nt_per_class`). */
  ntPerClass: Int32Array;
}

/**
 * Accumulates per-image matches like Ultralytics `DetectionValidator.update_metrics` and turns
 * them into metrics like its `get_stats`. An image with neither predictions nor labels adds
 * nothing; predictions on an image without labels are all false positives.
 */
export class DetectionValidator {
  readonly nc: number;
  readonly iouThresholds: Float64Array;
  private readonly tp: number[] = [];
  private readonly conf: number[] = [];
  private readonly predCls: number[] = [];
  private readonly targetCls: number[] = [];
  private images = 0;

  constructor(opts: { nc: number; iouThresholds?: Float64Array }) {
    this.nc = opts.nc;
    this.iouThresholds = opts.iouThresholds ?? IOU_THRESHOLDS;
  }

  get seen(): number {
    return this.images;
  }

  addImage(preds: ImagePredictions, labels: ImageLabels): void {
    if (preds.length % 6 !== 0) throw new RangeError(`DetectionValidator: predictions have ${preds.length} values, not a multiple of 6`);
    if (labels.length % 5 !== 0) throw new RangeError(`DetectionValidator: labels have ${labels.length} values, not a multiple of 5`);
    this.images += 1;
    const np = preds.length / 6;
    const nl = labels.length / 5;
    const nt = this.iouThresholds.length;
    for (let l = 0; l < nl; l++) this.targetCls.push(labels[5 * l]!);
    if (np === 0) return;
    const predBoxes = new Float64Array(np * 4);
    const predClasses = new Float64Array(np);
    for (let d = 0; d < np; d++) {
      for (let k = 0; k < 4; k++) predBoxes[4 * d + k] = preds[6 * d + k]!;
      predClasses[d] = preds[6 * d + 5]!;
      this.conf.push(preds[6 * d + 4]!);
      this.predCls.push(preds[6 * d + 5]!);
    }
    if (nl === 0) {
      for (let i = 0; i < np * nt; i++) this.tp.push(0);
      return;
    }
    const labelBoxes = new Float64Array(nl * 4);
    const labelClasses = new Float64Array(nl);
    for (let l = 0; l < nl; l++) {
      labelClasses[l] = labels[5 * l]!;
      for (let k = 0; k < 4; k++) labelBoxes[4 * l + k] = labels[5 * l + 1 + k]!;
    }
    const correct = matchPredictions(predClasses, labelClasses, boxIou(labelBoxes, predBoxes), this.iouThresholds);
    for (const c of correct) this.tp.push(c);
  }

  addBatch(preds: ImagePredictions[], labels: ImageLabels[]): void {
    if (preds.length !== labels.length) throw new RangeError(`DetectionValidator: ${preds.length} prediction sets for ${labels.length} label sets`);
    preds.forEach((p, i) => this.addImage(p, labels[i]!));
  }

  compute(): ValidationResult {
    const ntPerClass = new Int32Array(this.nc);
    for (const c of this.targetCls) if (c >= 0 && c < this.nc) ntPerClass[c]! += 1;
    const anyTp = this.tp.some((v) => v === 1);
    const result = anyTp
      ? apPerClass(this.tp, this.conf, this.predCls, this.targetCls, this.iouThresholds.length)
      : null;
    return { ...detMetrics(result, this.nc), seen: this.images, ntPerClass };
  }
}
