// Ultralytics v8.1/8.2 `utils/ops.py::non_max_suppression` (detection path) with torchvision's
// greedy NMS (`csrc/ops/cpu/nms_kernel.cpp`), in plain JS on the float32 predictions. Every box
// operation is rounded to float32 (Math.fround), as torch and the C++ kernel compute in float32,
// so kept boxes agree with the PyTorch pipeline even for near-threshold overlaps.
import type * as tf from '@tensorflow/tfjs';

export interface NmsOptions {
  /** Confidence threshold (Ultralytics `conf`): a score must be strictly greater. Default 0.25. */
  conf?: number;
  /** IoU threshold (`iou`): a box whose IoU with a kept box is strictly greater is dropped. Default 0.7. */
  iou?: number;
  /** At most this many detections per image (`max_det`). Default 300. */
  maxDet?: number;
  /** At most this many candidates enter NMS, the most confident (`max_nms`). Default 30000. */
  maxNms?: number;
  /** One row per (box, class) with score > conf (validation), instead of the best class only. */
  multiLabel?: boolean;
  /** Suppress across classes too. */
  agnostic?: boolean;
  /** Keep only these class ids. */
  classes?: number[];
}

/** Class offset Ultralytics adds to boxes so one NMS call never suppresses across classes. */
export const MAX_WH = 7680;

const f32 = Math.fround;

/** Predictions as YoloModel.predict returns them: [B, A, 4 + nc], xywh in input pixels then scores. */
export type PredictionInput = tf.Tensor | { data: ArrayLike<number>; shape: readonly number[] };

/**
 * torchvision's greedy NMS over candidates already in stable descending score order: appends the
 * kept positions to `keep`, in that order. `boxes` is xyxy float32 (4 per position), `members`
 * the positions to consider (one class, or all). Whether a box is kept depends only on the boxes
 * kept before it, so stopping after `limit` kept boxes (max_det) changes nothing that survives
 * Ultralytics' `i[:max_det]`.
 */
function greedyNms(boxes: Float32Array, members: ArrayLike<number>, thr: number, limit: number, keep: number[]): void {
  const n = members.length;
  // Contiguous copies in visiting order: the O(n²) loop below reads them sequentially.
  const x1 = new Float32Array(n), y1 = new Float32Array(n), x2 = new Float32Array(n), y2 = new Float32Array(n);
  const area = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = members[k]! * 4;
    x1[k] = boxes[i]!;
    y1[k] = boxes[i + 1]!;
    x2[k] = boxes[i + 2]!;
    y2[k] = boxes[i + 3]!;
    area[k] = f32(f32(x2[k]! - x1[k]!) * f32(y2[k]! - y1[k]!));
  }
  const suppressed = new Uint8Array(n);
  for (let a = 0, kept = 0; a < n && kept < limit; a++) {
    if (suppressed[a]) continue;
    keep.push(members[a]!);
    kept += 1;
    const ix1 = x1[a]!, iy1 = y1[a]!, ix2 = x2[a]!, iy2 = y2[a]!, iarea = area[a]!;
    for (let b = a + 1; b < n; b++) {
      if (suppressed[b]) continue;
      const dx = Math.min(ix2, x2[b]!) - Math.max(ix1, x1[b]!);
      if (!(dx > 0)) continue; // no overlap: IoU 0 (or NaN) never exceeds the threshold
      const dy = Math.min(iy2, y2[b]!) - Math.max(iy1, y1[b]!);
      if (!(dy > 0)) continue;
      const inter = f32(f32(dx) * f32(dy));
      if (f32(inter / f32(f32(iarea + area[b]!) - inter)) > thr) suppressed[b] = 1;
    }
  }
}

/**
 * Positions 0…n-1 of the `limit` highest scores, in stable descending order (ties keep input
 * order). With many more candidates than `limit` (an untrained model at conf 0.001) the cut-off
 * score comes from a native typed-array sort, so only the survivors are sorted by comparator.
 */
function topByScore(score: Float32Array, n: number, limit: number): number[] {
  let pool: number[] = [];
  if (n > limit) {
    const cutoff = score.slice(0, n).sort()[n - limit]!;
    let ties = limit;
    for (let i = 0; i < n; i++) if (score[i]! > cutoff) ties -= 1;
    for (let i = 0; i < n; i++) {
      if (score[i]! > cutoff) pool.push(i);
      else if (score[i] === cutoff && ties > 0) {
        pool.push(i);
        ties -= 1;
      }
    }
  } else {
    pool = Array.from({ length: n }, (_, i) => i);
  }
  return pool.sort((x, y) => score[y]! - score[x]! || x - y);
}

/**
 * Ultralytics' non_max_suppression for YOLOv8 outputs. Returns, per image, a Float32Array of
 * n×6 rows [x1, y1, x2, y2, conf, cls], most confident first. Validation calls it with
 * { conf: 0.001, iou: 0.7, multiLabel: true, maxDet: 300 }. Ultralytics' wall-clock time limit
 * is not reproduced (it makes results depend on machine speed).
 */
export function nonMaxSuppression(pred: PredictionInput, opts: NmsOptions = {}): Float32Array[] {
  const { conf = 0.25, iou = 0.7, maxDet = 300, maxNms = 30000, agnostic = false, classes } = opts;
  if (!(conf >= 0 && conf <= 1)) throw new RangeError(`conf ${conf} must be within [0, 1]`);
  if (!(iou >= 0 && iou <= 1)) throw new RangeError(`iou ${iou} must be within [0, 1]`);
  const shape = pred.shape;
  if (shape.length !== 3 || shape[2]! < 5) throw new RangeError(`predictions must be [B, A, 4 + nc], got [${shape.join(', ')}]`);
  const [B, A, C] = shape as [number, number, number];
  const nc = C - 4;
  const data = 'dataSync' in pred ? pred.dataSync() : pred.data;
  const multiLabel = (opts.multiLabel ?? false) && nc > 1;
  const confThr = f32(conf); // torch compares a float32 tensor with a Python float in float32
  const wanted = classes ? new Set(classes) : null;
  const capacity = A * (multiLabel ? nc : 1);
  // Candidate rows (Ultralytics' x after the confidence filter): anchor, score, class.
  const anchor = new Int32Array(capacity);
  const score = new Float32Array(capacity);
  const cls = new Int32Array(capacity);
  const out: Float32Array[] = [];

  for (let bi = 0; bi < B; bi++) {
    let n = 0;
    for (let a = 0; a < A; a++) {
      const base = (bi * A + a) * C + 4;
      let best = 0;
      for (let c = 1; c < nc; c++) if (data[base + c]! > data[base + best]!) best = c;
      if (!(data[base + best]! > confThr)) continue;
      for (let c = multiLabel ? 0 : best; c < (multiLabel ? nc : best + 1); c++) {
        if (data[base + c]! > confThr && (!wanted || wanted.has(c))) {
          anchor[n] = a;
          score[n] = data[base + c]!;
          cls[n] = c;
          n += 1;
        }
      }
    }
    const order = topByScore(score, n, maxNms);
    const m = order.length;
    const xyxy = new Float32Array(m * 4);
    const shifted = new Float32Array(m * 4);
    let lo = Infinity;
    let hi = -Infinity;
    order.forEach((r, k) => {
      const p = (bi * A + anchor[r]!) * C;
      const dw = f32(data[p + 2]! / 2);
      const dh = f32(data[p + 3]! / 2);
      const box = [f32(data[p]! - dw), f32(data[p + 1]! - dh), f32(data[p]! + dw), f32(data[p + 1]! + dh)];
      const offset = agnostic ? 0 : f32(cls[r]! * MAX_WH);
      for (let q = 0; q < 4; q++) {
        xyxy[4 * k + q] = box[q]!;
        shifted[4 * k + q] = f32(box[q]! + offset);
        lo = Math.min(lo, box[q]!);
        hi = Math.max(hi, box[q]!);
      }
    });
    const keep: number[] = [];
    if (!agnostic && hi - lo < MAX_WH - 64) {
      // All boxes fit inside one class band, so classes never overlap after the offset: NMS per
      // class gives the same kept set, in O(Σ n_c²) instead of O(n²).
      const byClass = new Map<number, number[]>();
      for (let k = 0; k < m; k++) {
        const c = cls[order[k]!]!;
        const members = byClass.get(c);
        if (members) members.push(k);
        else byClass.set(c, [k]);
      }
      for (const members of byClass.values()) greedyNms(shifted, members, iou, maxDet, keep);
      keep.sort((x, y) => x - y);
    } else {
      greedyNms(shifted, Int32Array.from({ length: m }, (_, k) => k), iou, maxDet, keep);
    }
    const kept = keep.slice(0, maxDet);
    const rows = new Float32Array(kept.length * 6);
    kept.forEach((k, row) => {
      rows.set(xyxy.subarray(4 * k, 4 * k + 4), row * 6);
      rows[row * 6 + 4] = score[order[k]!]!;
      rows[row * 6 + 5] = cls[order[k]!]!;
    });
    out.push(rows);
  }
  return out;
}
