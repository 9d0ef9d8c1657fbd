// TaskAlignedAssigner of Ultralytics utils/tal.py (8.1/8.2, ultralytics/ultralytics@002217d4), ported to
// plain typed arrays: it runs without gradient (torch.no_grad in the source) and works anchor by anchor on
// the few anchors inside each box instead of dense (B, n_max, A) tensors. Only the CIoU of the candidate
// pairs runs as one TensorFlow call, so it is the same float32 bbox_iou the box loss uses.
//
// Steps, as in TaskAlignedAssigner.forward:
//  1. select_candidates_in_gts: anchors whose centre is strictly inside a real gt (all four deltas > 1e-9).
//  2. get_box_metrics: overlap = CIoU(gt, pred box) clamped at 0, align metric = score^alpha · overlap^beta,
//     score = the predicted probability of the gt's class.
//  3. select_topk_candidates: the topk anchors of each real gt by align metric, kept if they are candidates
//     (padded gts select nothing: their picks all land on anchor 0 and the count > 1 filter drops them).
//  4. select_highest_overlaps: an anchor picked by several gts goes to the gt of highest overlap among all
//     gts (argmax over the overlap column, even a gt whose topk did not pick it, as in the source).
//  5. get_targets + normalisation: target score = onehot(class) · align_metric · (max overlap of the gt /
//     max align metric of the gt) on foreground anchors; background anchors carry gt 0's label and box.
//
// Ties: torch.topk orders equal values in an unspecified way (CPU: nth_element for short rows, a heap
// partial_sort when k·64 ≤ A, which keeps the lowest-index zeros). Here ties go to the lower anchor index.
// Ties happen in practice only at metric 0 (CIoU ≤ 0), where a picked anchor gets target score 0 and
// weight 0, so the loss does not depend on the choice.
import * as tf from '@tensorflow/tfjs';
import { bboxIou } from './iou.js';
import { LossInputError, type PaddedTargets } from './targets.js';

export interface AssignerOptions {
  topk: number;
  numClasses: number;
  alpha: number;
  beta: number;
  /** Guards the normalisation's division (TaskAlignedAssigner eps). */
  eps: number;
}

/** Ultralytics v8DetectionLoss: TaskAlignedAssigner(topk=10, alpha=0.5, beta=6.0), eps 1e-9. */
export const TAL_DEFAULTS = { topk: 10, alpha: 0.5, beta: 6.0, eps: 1e-9 } as const;

// select_candidates_in_gts has its own eps argument, 1e-9 by default and never overridden.
const INSIDE_EPS = 1e-9;

export interface AssignerInput {
  batchSize: number;
  numAnchors: number;
  /** (B, A, nc) predicted class probabilities (sigmoid of the logits), detached. */
  predScores: Float32Array;
  /** (B, A, 4) predicted xyxy boxes in pixels, detached. */
  predBboxes: Float32Array;
  /** (A, 2) anchor centres in pixels. */
  anchorPoints: Float32Array;
  gt: PaddedTargets;
}

export interface Assignment {
  /** (B, A) class of the assigned gt; numClasses everywhere when the batch has no boxes. */
  targetLabels: Int32Array;
  /** (B, A, 4) xyxy pixels of the assigned gt. */
  targetBboxes: Float32Array;
  /** (B, A, nc) normalised alignment at the assigned class on foreground anchors, else 0. */
  targetScores: Float32Array;
  /** (B, A) 1 on foreground anchors. */
  fgMask: Uint8Array;
  /** (B, A) index of the assigned gt within its image (0 on background). */
  targetGtIdx: Int32Array;
}

/** Candidate (gt, anchor) pairs of the whole batch, grouped by image then gt, anchors ascending. */
function findCandidates(input: AssignerInput) {
  const { batchSize, numAnchors, anchorPoints, gt } = input;
  const slots: number[] = [];
  const anchors: number[] = [];
  const imageStart = new Int32Array(batchSize + 1);
  for (let b = 0; b < batchSize; b++) {
    imageStart[b] = slots.length;
    for (let g = 0; g < gt.nMax; g++) {
      const slot = b * gt.nMax + g;
      if (!gt.mask[slot]) continue;
      const x1 = gt.boxes[4 * slot]!, y1 = gt.boxes[4 * slot + 1]!;
      const x2 = gt.boxes[4 * slot + 2]!, y2 = gt.boxes[4 * slot + 3]!;
      for (let a = 0; a < numAnchors; a++) {
        const ax = anchorPoints[2 * a]!, ay = anchorPoints[2 * a + 1]!;
        if (ax - x1 > INSIDE_EPS && ay - y1 > INSIDE_EPS && x2 - ax > INSIDE_EPS && y2 - ay > INSIDE_EPS) {
          slots.push(slot);
          anchors.push(a);
        }
      }
    }
  }
  imageStart[batchSize] = slots.length;
  return { slots, anchors, imageStart };
}

/** iou_calculation: CIoU(gt, pred) clamped at 0 for every candidate pair, in one float32 tensor call. */
function candidateOverlaps(input: AssignerInput, slots: number[], anchors: number[]): Float32Array {
  const n = slots.length;
  if (n === 0) return new Float32Array(0);
  const gtBoxes = new Float32Array(4 * n);
  const pdBoxes = new Float32Array(4 * n);
  for (let p = 0; p < n; p++) {
    const b = Math.floor(slots[p]! / input.gt.nMax);
    gtBoxes.set(input.gt.boxes.subarray(4 * slots[p]!, 4 * slots[p]! + 4), 4 * p);
    const row = b * input.numAnchors + anchors[p]!;
    pdBoxes.set(input.predBboxes.subarray(4 * row, 4 * row + 4), 4 * p);
  }
  return tf.tidy(() => bboxIou(tf.tensor2d(gtBoxes, [n, 4]), tf.tensor2d(pdBoxes, [n, 4]), { xywh: false, CIoU: true })
    .maximum(0).dataSync() as Float32Array);
}

/** Marks the topk anchors of gt row `g` (metric row `metric[g·A…]`), lower index first among equals. */
function selectTopk(metric: Float64Array, inGts: Uint8Array, maskPos: Uint8Array, g: number, numAnchors: number,
  candidates: ArrayLike<number>, topk: number): void {
  const base = g * numAnchors;
  const best: number[] = []; // anchors, by metric descending
  for (let i = 0; i < candidates.length; i++) {
    const a = candidates[i]!;
    const m = metric[base + a]!;
    if (m <= 0 || (best.length === topk && m <= metric[base + best[topk - 1]!]!)) continue;
    let at = best.length;
    while (at > 0 && metric[base + best[at - 1]!]! < m) at--;
    best.splice(at, 0, a);
    if (best.length > topk) best.pop();
  }
  for (const a of best) maskPos[base + a] = 1;
  // Fewer positive metrics than topk: the remaining picks are zero-metric anchors, lowest index first;
  // only those that are candidates survive the in-gts mask.
  for (let a = 0, left = topk - best.length; a < numAnchors && left > 0; a++) {
    if (metric[base + a]! > 0) continue;
    left--;
    if (inGts[base + a]) maskPos[base + a] = 1;
  }
}

/** TaskAlignedAssigner.forward(pd_scores, pd_bboxes, anc_points, gt_labels, gt_bboxes, mask_gt). */
export function assignTargets(input: AssignerInput, options: AssignerOptions): Assignment {
  const { batchSize: B, numAnchors: A, gt, predScores } = input;
  const { topk, numClasses: nc, alpha, beta, eps } = options;
  const nMax = gt.nMax;
  const out: Assignment = {
    targetLabels: new Int32Array(B * A),
    targetBboxes: new Float32Array(B * A * 4),
    targetScores: new Float32Array(B * A * nc),
    fgMask: new Uint8Array(B * A),
    targetGtIdx: new Int32Array(B * A),
  };
  if (nMax === 0) {
    out.targetLabels.fill(nc); // bg_idx
    return out;
  }
  if (A < topk) throw new LossInputError(`TaskAlignedAssigner: ${A} anchors, fewer than topk ${topk}`);
  const { slots, anchors, imageStart } = findCandidates(input);
  const pairOverlaps = candidateOverlaps(input, slots, anchors);
  const f = Math.fround;
  // Dense (n_max, A) rows for one image at a time.
  const metric = new Float64Array(nMax * A);
  const overlaps = new Float32Array(nMax * A);
  const inGts = new Uint8Array(nMax * A);
  const maskPos = new Uint8Array(nMax * A);
  const posAlign = new Float64Array(nMax);
  const posOverlap = new Float64Array(nMax);
  for (let b = 0; b < B; b++) {
    metric.fill(0); overlaps.fill(0); inGts.fill(0); maskPos.fill(0); posAlign.fill(0); posOverlap.fill(0);
    const start = imageStart[b]!, end = imageStart[b + 1]!;
    for (let p = start; p < end; p++) {
      const g = slots[p]! - b * nMax;
      const a = anchors[p]!;
      const score = predScores[(b * A + a) * nc + gt.labels[slots[p]!]!]!;
      const ov = pairOverlaps[p]!;
      inGts[g * A + a] = 1;
      overlaps[g * A + a] = ov;
      // float32 like torch, so equal metrics compare equal as they do there
      metric[g * A + a] = f(f(Math.pow(score, alpha)) * f(Math.pow(ov, beta)));
    }
    for (let p = start; p < end;) {
      let q = p;
      while (q < end && slots[q] === slots[p]) q++;
      selectTopk(metric, inGts, maskPos, slots[p]! - b * nMax, A, anchors.slice(p, q), topk);
      p = q;
    }
    for (let a = 0; a < A; a++) {
      let claims = 0;
      let first = -1;
      for (let g = 0; g < nMax; g++) {
        if (maskPos[g * A + a]) { claims++; if (first < 0) first = g; }
      }
      if (claims === 0) continue;
      let gi = first;
      if (claims > 1) {
        gi = 0; // overlaps.argmax over every gt slot, first maximum
        for (let g = 1; g < nMax; g++) if (overlaps[g * A + a]! > overlaps[gi * A + a]!) gi = g;
      }
      const i = b * A + a;
      out.fgMask[i] = 1;
      out.targetGtIdx[i] = gi;
      posAlign[gi] = Math.max(posAlign[gi]!, metric[gi * A + a]!);
      posOverlap[gi] = Math.max(posOverlap[gi]!, overlaps[gi * A + a]!);
    }
    for (let a = 0; a < A; a++) {
      const i = b * A + a;
      const slot = b * nMax + out.targetGtIdx[i]!;
      const label = Math.max(gt.labels[slot]!, 0);
      out.targetLabels[i] = label;
      out.targetBboxes.set(gt.boxes.subarray(4 * slot, 4 * slot + 4), 4 * i);
      if (!out.fgMask[i]) continue;
      const g = out.targetGtIdx[i]!;
      out.targetScores[i * nc + label] = f(f(metric[g * A + a]! * posOverlap[g]!) / f(posAlign[g]! + eps));
    }
  }
  return out;
}
