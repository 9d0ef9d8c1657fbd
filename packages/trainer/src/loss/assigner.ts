// TaskAlignedAssigner of Ultralytics utils/tal.py (8.1/8.2, ultralytics/ultralytics@002217d4), ported to
// plain typed arrays: it needs no gradient (torch.no_grad in the source) and works on the few anchors inside
// each box instead of dense (B, n_max, A) tensors. Only the candidate pairs' CIoU and align metric run in
// TensorFlow (one gather + bbox_iou, float32 like torch); topk, conflicts and normalisation run in JS.
//
// Steps, as in TaskAlignedAssigner.forward:
//  1. select_candidates_in_gts: anchors whose centre is strictly inside a real gt (all four deltas > 1e-9).
//  2. get_box_metrics: overlap = CIoU(gt, pred box) clamped at 0, align metric = score^alpha · overlap^beta,
//     score = the predicted probability of the gt's class.
//  3. select_topk_candidates: the topk anchors of each real gt by align metric, kept if they are candidates
//     (padded gts select nothing: their picks all land on anchor 0 and the count > 1 filter drops them).
//  4. select_highest_overlaps: an anchor picked by several gts goes to the gt of highest overlap among all
//     gts (argmax over the overlap column, even a gt whose topk did not pick it, as in the source); among
//     equal overlaps the first gt wins, so of two identical boxes (one object, two classes) the first.
//  5. get_targets + normalisation: target score = onehot(class) · align_metric · (max overlap of the gt /
//     max align metric of the gt) on foreground anchors; background anchors carry gt 0's label and box.
//
// Top-k ties go to the lower anchor index, as in PyTorch's CUDA topk where Ultralytics trains (gatherTopK in
// aten/src/ATen/native/cuda/TensorTopK.cu takes the values equal to the k-th in index order); on the CPU
// torch.topk leaves their order unspecified (nth_element, or a heap partial_sort when k·64 ≤ A). Ties happen
// in practice at metric 0 (CIoU ≤ 0), when a gt has fewer positive metrics than topk. Such a pick has weight 0,
// but the order still matters: a zero-metric pick of an anchor that another gt picked with a positive metric
// makes it claimed twice, and step 4 then gives it to the gt of highest overlap, possibly a third one.
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
  /** (B, A, nc) class logits; pd_scores = their sigmoid, taken only where candidates need it. */
  predLogits: tf.Tensor;
  /**
   * (B, A, 4) predicted xyxy boxes in pixels, or what gives the boxes of some of those B·A rows: the assigner reads
   * only the candidates' (a few % of the anchors), so the loss decodes only theirs.
   */
  predBboxes: tf.Tensor | ((rows: readonly number[]) => tf.Tensor);
  /** (A, 2) anchor centres in pixels. */
  anchorPoints: Float32Array;
  gt: PaddedTargets;
}

export interface Assignment {
  /** (B, A) class of the assigned gt; numClasses everywhere when the batch has no boxes. */
  targetLabels: Int32Array;
  /** (B, A, 4) xyxy pixels of the assigned gt. */
  targetBboxes: Float32Array;
  /**
   * (B, A) target_scores.sum(-1): the normalised alignment on foreground anchors, 0 elsewhere. Ultralytics'
   * (B, A, nc) target_scores is this value at class targetLabels and 0 at the other classes.
   */
  fgScores: Float32Array;
  /** (B, A) 1 on foreground anchors. */
  fgMask: Uint8Array;
  /** (B, A) index of the assigned gt within its image (0 on background). */
  targetGtIdx: Int32Array;
}

/** Whether gt slots `i` and `j` hold the same box, bit for bit. */
function sameBox(boxes: Float32Array, i: number, j: number): boolean {
  for (let c = 0; c < 4; c++) if (boxes[4 * i + c] !== boxes[4 * j + c]) return false;
  return true;
}

/**
 * select_candidates_in_gts for the whole batch: (gt slot, anchor) pairs, by image then gt, anchors ascending.
 * `ciouPair[p]` is the pair whose CIoU pair p takes: p itself, or the same anchor's pair of the first earlier
 * gt of the image with an identical box (the same box has the same candidates, in the same order).
 */
function findCandidates(input: AssignerInput) {
  const { batchSize, numAnchors, anchorPoints, gt } = input;
  const slots: number[] = [];
  const anchors: number[] = [];
  const ciouPair: number[] = [];
  const imageStart = new Int32Array(batchSize + 1);
  const slotStart = new Int32Array(gt.nMax); // first pair of each gt of the current image
  for (let b = 0; b < batchSize; b++) {
    imageStart[b] = slots.length;
    for (let g = 0; g < gt.nMax; g++) {
      const slot = b * gt.nMax + g;
      slotStart[g] = slots.length;
      if (!gt.mask[slot]) continue;
      let twin = 0;
      while (twin < g && !(gt.mask[b * gt.nMax + twin] && sameBox(gt.boxes, b * gt.nMax + twin, slot))) twin++;
      const x1 = gt.boxes[4 * slot]!, y1 = gt.boxes[4 * slot + 1]!;
      const x2 = gt.boxes[4 * slot + 2]!, y2 = gt.boxes[4 * slot + 3]!;
      for (let a = 0; a < numAnchors; a++) {
        const ax = anchorPoints[2 * a]!, ay = anchorPoints[2 * a + 1]!;
        if (ax - x1 > INSIDE_EPS && ay - y1 > INSIDE_EPS && x2 - ax > INSIDE_EPS && y2 - ay > INSIDE_EPS) {
          ciouPair.push(twin < g ? slotStart[twin]! + slots.length - slotStart[g]! : slots.length);
          slots.push(slot);
          anchors.push(a);
        }
      }
    }
  }
  imageStart[batchSize] = slots.length;
  return { slots, anchors, ciouPair, imageStart };
}

/**
 * get_box_metrics for the candidate pairs only: overlap = CIoU(gt, pred box) clamped at 0 and
 * align metric = score^alpha · overlap^beta, in float32 as torch computes them. Only these 2·P numbers
 * leave TensorFlow (reading back all B·A·nc scores would cost far more than the assignment).
 *
 * CIoU runs once per distinct (box, anchor): the native backend rounds the same inputs differently at
 * different places of a vector (SIMD body or scalar tail), and two identical gts (one object labelled with two
 * classes) must get bit-identical overlaps, as in Ultralytics, for select_highest_overlaps to give their
 * contested anchors to the first.
 */
function candidateMetrics(input: AssignerInput, pairs: ReturnType<typeof findCandidates>, alpha: number, beta: number) {
  const { slots, anchors, ciouPair } = pairs;
  const n = slots.length;
  if (n === 0) return { overlaps: new Float32Array(0), metrics: new Float32Array(0) };
  const { numAnchors, gt } = input;
  const nc = input.predLogits.shape[2]!;
  const distinct = new Int32Array(n); // index of each pair's CIoU among the distinct pairs
  const gtBoxes: number[] = [];
  const predRows: number[] = [];
  const scoreIdx = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const slot = slots[p]!;
    const row = Math.floor(slot / gt.nMax) * numAnchors + anchors[p]!;
    scoreIdx[p] = row * nc + gt.labels[slot]!;
    if (ciouPair[p] !== p) {
      distinct[p] = distinct[ciouPair[p]!]!;
      continue;
    }
    distinct[p] = predRows.length;
    predRows.push(row);
    for (let c = 0; c < 4; c++) gtBoxes.push(gt.boxes[4 * slot + c]!);
  }
  const both = tf.tidy(() => {
    const boxes = input.predBboxes;
    const pd = typeof boxes === 'function' ? boxes(predRows) : tf.gather(boxes.reshape([-1, 4]), tf.tensor1d(predRows, 'int32'));
    const ciou = bboxIou(tf.tensor2d(gtBoxes, [predRows.length, 4]), pd, { xywh: false, CIoU: true }).reshape([-1]);
    const overlaps = tf.gather(ciou, tf.tensor1d(distinct, 'int32')).maximum(0);
    const scores = tf.sigmoid(tf.gather(input.predLogits.reshape([-1]), tf.tensor1d(scoreIdx, 'int32')));
    return tf.concat([overlaps, scores.pow(alpha).mul(overlaps.pow(beta))]);
  });
  // Read outside tidy: tidy walks a returned typed array element by element.
  const data = both.dataSync() as Float32Array;
  both.dispose();
  return { overlaps: data.subarray(0, n), metrics: data.subarray(n) };
}

/**
 * select_topk_candidates for one gt: its `topk` best anchors by align metric, ties to the lower index.
 * `first`..`end` are the gt's candidate pairs (anchors ascending); `metric`/`inGts` are its dense row.
 * Calls `pick` for every selected anchor that is a candidate.
 */
function selectTopk(metric: Float32Array, inGts: Uint8Array, base: number, numAnchors: number, anchors: number[],
  first: number, end: number, topk: number, pick: (a: number) => void): void {
  const best: number[] = []; // anchors, metric descending
  for (let p = first; p < end; p++) {
    const a = anchors[p]!;
    const m = metric[base + a]!;
    if (m <= 0 || (best.length === topk && m <= metric[base + best[topk - 1]!]!)) continue;
    let at = best.length;
    while (at > 0 && metric[base + best[at - 1]!]! < m) at--;
    best.splice(at, 0, a);
    if (best.length > topk) best.pop();
  }
  best.forEach(pick);
  // Fewer positive metrics than topk: the remaining picks are zero-metric anchors, lowest index first;
  // only those that are candidates survive the in-gts mask.
  for (let a = 0, left = topk - best.length; a < numAnchors && left > 0; a++) {
    if (metric[base + a]! > 0) continue;
    left--;
    if (inGts[base + a]) pick(a);
  }
}

/** TaskAlignedAssigner.forward(pd_scores, pd_bboxes, anc_points, gt_labels, gt_bboxes, mask_gt). */
export function assignTargets(input: AssignerInput, options: AssignerOptions): Assignment {
  const { batchSize: B, numAnchors: A, gt } = input;
  const { topk, numClasses: nc, alpha, beta, eps } = options;
  const nMax = gt.nMax;
  const out: Assignment = {
    targetLabels: new Int32Array(B * A),
    targetBboxes: new Float32Array(B * A * 4),
    fgScores: new Float32Array(B * A),
    fgMask: new Uint8Array(B * A),
    targetGtIdx: new Int32Array(B * A),
  };
  if (nMax === 0) {
    out.targetLabels.fill(nc); // bg_idx
    return out;
  }
  if (A < topk) throw new LossInputError(`TaskAlignedAssigner: ${A} anchors, fewer than topk ${topk}`);
  const candidates = findCandidates(input);
  const { slots, anchors, imageStart } = candidates;
  const pair = candidateMetrics(input, candidates, alpha, beta);
  // Dense (n_max, A) rows of one image; only candidate entries are ever set, and they are reset after use.
  const metric = new Float32Array(nMax * A);
  const overlaps = new Float32Array(nMax * A);
  const inGts = new Uint8Array(nMax * A);
  const claims = new Int32Array(A); // how many gts picked each anchor
  const claimer = new Int32Array(A); // the first (lowest) gt that picked it
  const posAlign = new Float64Array(nMax);
  const posOverlap = new Float64Array(nMax);
  const f = Math.fround;
  for (let b = 0; b < B; b++) {
    const start = imageStart[b]!, end = imageStart[b + 1]!;
    for (let p = start; p < end; p++) {
      const k = (slots[p]! - b * nMax) * A + anchors[p]!;
      inGts[k] = 1;
      overlaps[k] = pair.overlaps[p]!;
      metric[k] = pair.metrics[p]!;
    }
    const picked: number[] = [];
    for (let p = start; p < end;) {
      let q = p;
      while (q < end && slots[q] === slots[p]) q++;
      const g = slots[p]! - b * nMax;
      selectTopk(metric, inGts, g * A, A, anchors, p, q, topk, (a) => {
        if (claims[a]++ === 0) { claimer[a] = g; picked.push(a); }
      });
      p = q;
    }
    posAlign.fill(0);
    posOverlap.fill(0);
    for (const a of picked) {
      let gi = claimer[a]!;
      if (claims[a]! > 1) {
        gi = 0; // overlaps.argmax over every gt slot, first maximum
        for (let g = 1; g < nMax; g++) if (overlaps[g * A + a]! > overlaps[gi * A + a]!) gi = g;
      }
      out.fgMask[b * A + a] = 1;
      out.targetGtIdx[b * A + a] = gi;
      posAlign[gi] = Math.max(posAlign[gi]!, metric[gi * A + a]!);
      posOverlap[gi] = Math.max(posOverlap[gi]!, overlaps[gi * A + a]!);
    }
    for (const a of picked) {
      const g = out.targetGtIdx[b * A + a]!;
      out.fgScores[b * A + a] = f(f(metric[g * A + a]! * posOverlap[g]!) / f(posAlign[g]! + eps));
      claims[a] = 0;
    }
    for (let p = start; p < end; p++) {
      const k = (slots[p]! - b * nMax) * A + anchors[p]!;
      inGts[k] = 0;
      overlaps[k] = 0;
      metric[k] = 0;
    }
    // get_targets: every anchor takes its gt's label and box (gt 0 on background).
    for (let a = 0; a < A; a++) {
      const i = b * A + a;
      const slot = b * nMax + out.targetGtIdx[i]!;
      out.targetLabels[i] = Math.max(gt.labels[slot]!, 0);
      for (let c = 0; c < 4; c++) out.targetBboxes[4 * i + c] = gt.boxes[4 * slot + c]!;
    }
  }
  return out;
}
