// One validation pass as Ultralytics' DetectionValidator runs it during training (v8.1/8.2
// engine/validator.py + models/yolo/detect/val.py): inference-mode forward, the val losses from the
// raw head outputs, NMS (conf 0.001, iou 0.7, multi-label, max_det 300), predictions and labels
// scaled back to the original image, then match_predictions / ap_per_class.
import * as tf from '@tensorflow/tfjs';
import { nonMaxSuppression, scaleBoxes, type YoloModel } from '@acmix-lab/yolo';
import type { Batch } from '../data/batch.js';
import type { DataLoader } from '../data/loader.js';
import { v8DetectionLoss, DEFAULT_GAINS, type LossGains } from '../loss/detection-loss.js';
import { DetectionValidator, type ValidationResult } from './validator.js';

export interface ValidateOptions {
  nc: number;
  /** Ultralytics' validation defaults. */
  conf?: number;
  iou?: number;
  maxDet?: number;
  /** Loss gains for the val losses (hyp box/cls/dfl). */
  gains?: LossGains;
  /** Epoch whose fixed letterbox order to use (validation does not shuffle; any value works). */
  epoch?: number;
  onBatch?: (done: number, total: number) => void;
}

export interface ValidationReport {
  metrics: ValidationResult;
  /** Mean gained val losses per batch (Ultralytics' val/box_loss, …). */
  losses: LossGains;
  /** Milliseconds per image: inference, loss, NMS + matching. */
  speed: { inference: number; loss: number; postprocess: number };
}

/** Labels of image `i` of a batch as [cls, x1, y1, x2, y2] rows in original-image pixels. */
function imageLabels(batch: Batch, i: number): Float32Array {
  const { batchIndex, cls, boxes } = batch.targets;
  const rows: number[] = [];
  for (let k = 0; k < batchIndex.length; k++) {
    if (batchIndex[k] !== i) continue;
    const [cx, cy, w, h] = [boxes[4 * k]!, boxes[4 * k + 1]!, boxes[4 * k + 2]!, boxes[4 * k + 3]!];
    const s = batch.imgsz;
    rows.push((cx - w / 2) * s, (cy - h / 2) * s, (cx + w / 2) * s, (cy + h / 2) * s, cls[k]!);
  }
  const scaled = scaleBoxes(Float32Array.from(rows), [batch.imgsz, batch.imgsz], originalShape(batch, i), { ratioPad: ratioPadOf(batch, i), cols: 5 });
  const out = new Float32Array(scaled.length);
  for (let r = 0; r < scaled.length / 5; r++) {
    out[5 * r] = scaled[5 * r + 4]!;
    out.set(scaled.subarray(5 * r, 5 * r + 4), 5 * r + 1);
  }
  return out;
}

function originalShape(batch: Batch, i: number): [number, number] {
  return [batch.oriShapes[2 * i]!, batch.oriShapes[2 * i + 1]!];
}

function ratioPadOf(batch: Batch, i: number) {
  return { gain: batch.ratioPad[4 * i]!, pad: [batch.ratioPad[4 * i + 2]!, batch.ratioPad[4 * i + 3]!] as [number, number] };
}

export async function validate(model: YoloModel, loader: DataLoader, opts: ValidateOptions): Promise<ValidationReport> {
  const { nc, conf = 0.001, iou = 0.7, maxDet = 300, gains = DEFAULT_GAINS } = opts;
  const validator = new DetectionValidator({ nc });
  const sums: LossGains = { box: 0, cls: 0, dfl: 0 };
  const time = { inference: 0, loss: 0, postprocess: 0 };
  let batches = 0;
  let images = 0;
  const total = loader.length;
  for await (const batch of loader.epoch(opts.epoch ?? 0, { mosaic: false })) {
    const t0 = performance.now();
    const [inference, raw] = tf.tidy(() => {
      const x = tf.tensor4d(batch.images, [batch.size, batch.imgsz, batch.imgsz, 3]);
      return model.model.apply(x, { training: false }) as tf.Tensor[];
    }) as [tf.Tensor, tf.Tensor];
    const predData = { data: await inference.data(), shape: inference.shape };
    const t1 = performance.now();
    const featureSizes = model.levelShapes(batch.imgsz);
    let items: LossGains = { box: 0, cls: 0, dfl: 0 };
    tf.tidy(() => {
      items = v8DetectionLoss(raw, featureSizes, batch.targets, { nc, strides: model.strides, hyp: gains }).items;
    });
    tf.dispose([inference, raw]);
    const t2 = performance.now();
    const dets = nonMaxSuppression(predData, { conf, iou, maxDet, multiLabel: true });
    dets.forEach((d, i) => {
      const preds = scaleBoxes(d, [batch.imgsz, batch.imgsz], originalShape(batch, i), { ratioPad: ratioPadOf(batch, i) });
      validator.addImage(preds, imageLabels(batch, i));
    });
    const t3 = performance.now();
    time.inference += t1 - t0;
    time.loss += t2 - t1;
    time.postprocess += t3 - t2;
    for (const k of ['box', 'cls', 'dfl'] as const) sums[k] += items[k];
    batches += 1;
    images += batch.size;
    opts.onBatch?.(batches, total);
  }
  const perImage = (ms: number) => ms / Math.max(images, 1);
  return {
    metrics: validator.compute(),
    losses: { box: sums.box / batches, cls: sums.cls / batches, dfl: sums.dfl / batches },
    speed: { inference: perImage(time.inference), loss: perImage(time.loss), postprocess: perImage(time.postprocess) },
  };
}
