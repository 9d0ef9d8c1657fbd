// YOLOv8 detection loss with the semantics of Ultralytics utils/loss.py::v8DetectionLoss (8.1/8.2):
// TaskAlignedAssigner targets, BCE class loss, CIoU box loss and DFL, each normalised by the sum of the
// target scores, gained (box 7.5, cls 0.5, dfl 1.5) and multiplied by the batch size.
//
// Contract with the model (Detect in training mode, levels concatenated):
//   preds (B, A, 4·regMax + nc): for each Detect level (P3, P4, P5 at strides 8, 16, 32 by default; P2–P5 or
//   P3–P6 for four-level heads) its anchors row-major (y then x), channels = 4·regMax box-distribution logits,
//   side-major (l, t, r, b; channel = side·regMax + bin), then nc class logits. featureSizes [[h, w] per level];
//   imgsz = featureSizes[0]·strides[0].
//   targets: normalised xywh boxes with their image index and class (Ultralytics' batch dict).
//
// Differentiable where Ultralytics is: the assigner sees detached scores and boxes; the loss gathers the
// foreground rows of `preds`, so gradients reach the box channels of foreground anchors and every class
// channel. Call it inside tf.variableGrads / tf.grad; it keeps no tensors besides the returned loss.
import * as tf from '@tensorflow/tfjs';
import { makeAnchors, type AnchorGrid } from '@acmix-lab/yolo';
import { distToBbox, bboxToDist, type FeatureSizes } from './distance.js';
import { assignTargets, TAL_DEFAULTS, type Assignment, type AssignerOptions } from './assigner.js';
import { decodeDistribution, dfLoss } from './dfl.js';
import { bboxIou } from './iou.js';
import { checkTargets, padTargets, LossInputError, type DetectionTargets } from './targets.js';

/** Loss gains, Ultralytics' hyperparameter names and defaults (cfg/default.yaml). */
export interface LossGains {
  box: number;
  cls: number;
  dfl: number;
}

export interface DetectionLossOptions {
  nc: number;
  regMax?: number;
  strides?: readonly number[];
  /** Gains box/cls/dfl (other fields of a training config are ignored). */
  hyp?: Partial<LossGains>;
  tal?: Partial<Omit<AssignerOptions, 'numClasses'>>;
}

export interface DetectionLossResult {
  /** (box·gain + cls·gain + dfl·gain) · batch size: the value to differentiate (loss.sum() * batch_size). */
  loss: tf.Scalar;
  /** The gained per-item losses before the batch-size factor (Ultralytics' loss.detach()). */
  items: LossGains;
  /** The assigner's output, for inspection and tests. */
  assignment: Assignment;
}

export const DEFAULT_GAINS: LossGains = { box: 7.5, cls: 0.5, dfl: 1.5 };

/**
 * Σ BCEWithLogits(x, z) for a target z that is 0 except at the flat positions `index`, where it is `value`:
 * Σ softplus(x) − Σ x[index]·value, the stable form of the sum. Its gradient sigmoid(x) − z is written
 * out, so the dense target exists only in the backward pass and tfjs' Sum gradient (which fills a ones()
 * array of x's size in JS) is not used.
 */
function bceWithLogitsSum(x: tf.Tensor, index: Int32Array, value: Float32Array): tf.Scalar {
  return tf.customGrad((...args) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    let sum = tf.softplus(input).sum() as tf.Scalar;
    if (index.length > 0) {
      sum = sum.sub(tf.gather(input.reshape([-1]), tf.tensor1d(index, 'int32')).mul(tf.tensor1d(value)).sum());
    }
    return {
      value: sum,
      gradFunc: (dy: tf.Scalar, [xs]: tf.Tensor[]) => {
        const z = tf.scatterND(tf.tensor2d(index, [index.length, 1], 'int32'), tf.tensor1d(value), [xs!.size]);
        return tf.sigmoid(xs!).sub(z.reshape(xs!.shape)).mul(dy);
      },
    };
  })(x) as tf.Scalar;
}

/**
 * The xyxy pixel boxes the distributions of some rows of the (B·A) anchors predict: bbox_decode · stride of those
 * rows. Each value is the one the decode of all anchors gives: softmax and the projection work row by row, the
 * rest elementwise (the weights, EMA and optimizer state after a dozen steps hash the same; tools/bench/route-identity.ts).
 */
function decodeRows(predDist: tf.Tensor, rows: readonly number[], anchors: AnchorGrid, regMax: number): tf.Tensor {
  const n = rows.length;
  const points = new Float32Array(2 * n);
  const strides = new Float32Array(n);
  rows.forEach((row, k) => {
    const a = row % anchors.count;
    points[2 * k] = anchors.points[2 * a]!;
    points[2 * k + 1] = anchors.points[2 * a + 1]!;
    strides[k] = anchors.strides[a]!;
  });
  const dist = tf.gather(predDist.reshape([-1, predDist.shape[2]!]), tf.tensor1d(rows as number[], 'int32'));
  return distToBbox(decodeDistribution(dist, regMax), tf.tensor2d(points, [n, 2]), false).mul(tf.tensor2d(strides, [n, 1]));
}

function checkShapes(preds: tf.Tensor, featureSizes: FeatureSizes, strides: readonly number[], no: number): void {
  const anchors = featureSizes.reduce((n, [h, w]) => n + h * w, 0);
  if (featureSizes.length !== strides.length) {
    throw new LossInputError(`v8DetectionLoss: ${featureSizes.length} feature sizes but ${strides.length} strides`);
  }
  if (preds.rank !== 3 || preds.shape[1] !== anchors || preds.shape[2] !== no) {
    throw new LossInputError(`v8DetectionLoss: preds shape [${preds.shape}] does not match [B, ${anchors}, ${no}] `
      + `(featureSizes ${JSON.stringify(featureSizes)}, 4·regMax + nc = ${no})`);
  }
}

/** v8DetectionLoss.__call__(preds, batch) on concatenated predictions. */
export function v8DetectionLoss(preds: tf.Tensor, featureSizes: FeatureSizes, targets: DetectionTargets,
  options: DetectionLossOptions): DetectionLossResult {
  const { nc, regMax = 16, strides = [8, 16, 32] } = options;
  const hyp = options.hyp ?? {};
  const gains: LossGains = { box: hyp.box ?? DEFAULT_GAINS.box, cls: hyp.cls ?? DEFAULT_GAINS.cls, dfl: hyp.dfl ?? DEFAULT_GAINS.dfl };
  const tal: AssignerOptions = { ...TAL_DEFAULTS, ...options.tal, numClasses: nc };
  const nBox = 4 * regMax;
  checkShapes(preds, featureSizes, strides, nBox + nc);
  const B = preds.shape[0]!;
  checkTargets(targets, B, nc);
  const anchors = makeAnchors(featureSizes, strides);
  const A = anchors.count;
  const [h0, w0] = featureSizes[0]!;
  const gt = padTargets(targets, B, [h0 * strides[0]!, w0 * strides[0]!]);
  const pointsPx = anchors.points.map((v, i) => v * anchors.strides[i >> 1]!);
  let items: LossGains = { box: 0, cls: 0, dfl: 0 };
  let assignment: Assignment | undefined;
  const loss = tf.tidy(() => {
    const [predDist, predLogits] = tf.split(preds, [nBox, nc], -1) as [tf.Tensor3D, tf.Tensor3D];
    // The assigner reads (without gradient) the class probabilities and pred_bboxes·stride in pixels: of its
    // candidate rows only (ACMIX_LAB_CANDIDATE_DECODE=0: decoded for every anchor, as Ultralytics does, then read).
    const predBboxes = process.env.ACMIX_LAB_CANDIDATE_DECODE === '0'
      ? distToBbox(decodeDistribution(predDist, regMax), tf.tensor2d(anchors.points, [A, 2]), false).mul(tf.tensor2d(anchors.strides, [A, 1]))
      : (rows: readonly number[]) => decodeRows(predDist, rows, anchors, regMax);
    assignment = assignTargets({ batchSize: B, numAnchors: A, predLogits, predBboxes, anchorPoints: pointsPx, gt }, tal);
    const { fgScores, targetLabels, fgMask, targetBboxes } = assignment;
    // Foreground rows: anchor points, targets (target_bboxes / stride_tensor) and weights
    // (target_scores.sum(-1), the one non-zero class) in stride units.
    const fg: number[] = [];
    fgMask.forEach((m, i) => { if (m) fg.push(i); });
    const n = fg.length;
    const pts = new Float32Array(2 * n);
    const tBoxes = new Float32Array(4 * n);
    const weights = new Float32Array(n);
    const clsIndex = new Int32Array(n); // where the (B·A·nc) target_scores are non-zero
    let scoreSum = 0;
    fg.forEach((i, k) => {
      const a = i % A;
      const s = anchors.strides[a]!;
      pts.set(anchors.points.subarray(2 * a, 2 * a + 2), 2 * k);
      for (let c = 0; c < 4; c++) tBoxes[4 * k + c] = targetBboxes[4 * i + c]! / s;
      weights[k] = fgScores[i]!;
      clsIndex[k] = i * nc + targetLabels[i]!;
      scoreSum += weights[k]!;
    });
    scoreSum = Math.max(scoreSum, 1); // target_scores_sum = max(target_scores.sum(), 1)
    const cls = bceWithLogitsSum(predLogits, clsIndex, weights).div(scoreSum);
    let box: tf.Tensor = tf.scalar(0);
    let dfl: tf.Tensor = tf.scalar(0);
    if (n > 0) {
      const fgDist = tf.gather(predDist.reshape([B * A, nBox]), tf.tensor1d(fg, 'int32'));
      const fgPoints = tf.tensor2d(pts, [n, 2]);
      const fgTargets = tf.tensor2d(tBoxes, [n, 4]);
      const weight = tf.tensor2d(weights, [n, 1]);
      const fgBoxes = distToBbox(decodeDistribution(fgDist, regMax), fgPoints, false);
      const iou = bboxIou(fgBoxes, fgTargets, { xywh: false, CIoU: true });
      box = tf.scalar(1).sub(iou).mul(weight).sum().div(scoreSum);
      const ltrb = bboxToDist(fgPoints, fgTargets, regMax - 1);
      dfl = dfLoss(fgDist, ltrb, regMax).mul(weight).sum().div(scoreSum);
    }
    const gained = tf.stack([box.mul(gains.box), cls.mul(gains.cls), dfl.mul(gains.dfl)]);
    const [vBox, vCls, vDfl] = gained.dataSync();
    items = { box: vBox!, cls: vCls!, dfl: vDfl! };
    return gained.sum().mul(B) as tf.Scalar;
  });
  return { loss, items, assignment: assignment! };
}
