// Ground truth in the layout the assigner wants, as Ultralytics utils/loss.py::v8DetectionLoss.preprocess
// builds it: rows grouped per image, padded to the largest per-image count, normalised xywh scaled to
// pixels and turned into xyxy, with mask_gt = (x1 + y1 + x2 + y2 > 0).

/** A batch's labels, like Ultralytics' batch['batch_idx'], batch['cls'], batch['bboxes']. */
export interface DetectionTargets {
  /** (n) image of each box within the batch. */
  batchIndex: Int32Array;
  /** (n) class of each box. */
  cls: Int32Array;
  /** (n·4) boxes as normalised (cx, cy, w, h). */
  boxes: Float32Array;
}

export interface PaddedTargets {
  batchSize: number;
  /** Largest number of boxes in one image (0 when the batch has none). */
  nMax: number;
  /** (B·nMax) class per slot, 0 in padding. */
  labels: Int32Array;
  /** (B·nMax·4) xyxy pixels, 0 in padding. */
  boxes: Float32Array;
  /** (B·nMax) 1 for a real box. */
  mask: Uint8Array;
}

export class LossInputError extends Error {
  override name = 'LossInputError';
}

/** Validates `targets` against the batch and class count, naming the first bad row. */
export function checkTargets(targets: DetectionTargets, batchSize: number, nc: number): void {
  const n = targets.batchIndex.length;
  if (targets.cls.length !== n || targets.boxes.length !== 4 * n) {
    throw new LossInputError(`targets: batchIndex has ${n} rows but cls has ${targets.cls.length} and boxes `
      + `${targets.boxes.length} values (expected ${n} and ${4 * n})`);
  }
  for (let i = 0; i < n; i++) {
    const b = targets.batchIndex[i]!;
    const c = targets.cls[i]!;
    if (b < 0 || b >= batchSize) throw new LossInputError(`targets row ${i}: batchIndex ${b} outside [0, ${batchSize})`);
    if (c < 0 || c >= nc) throw new LossInputError(`targets row ${i}: cls ${c} outside [0, ${nc})`);
  }
}

/**
 * preprocess(targets, batch_size, scale_tensor): `imgsz` is [h, w] in pixels. Arithmetic is rounded to
 * float32 step by step (Math.fround) like the torch original, because the assigner's "anchor centre
 * strictly inside the box" test is exact and a box edge can sit on an anchor centre.
 */
export function padTargets(targets: DetectionTargets, batchSize: number, imgsz: readonly [number, number]): PaddedTargets {
  const counts = new Int32Array(batchSize);
  for (const b of targets.batchIndex) counts[b]!++;
  const nMax = targets.batchIndex.length ? Math.max(...counts) : 0;
  const labels = new Int32Array(batchSize * nMax);
  const boxes = new Float32Array(batchSize * nMax * 4);
  const mask = new Uint8Array(batchSize * nMax);
  const fill = new Int32Array(batchSize);
  const [h, w] = imgsz;
  const f = Math.fround;
  for (let i = 0; i < targets.batchIndex.length; i++) {
    const b = targets.batchIndex[i]!;
    const slot = b * nMax + fill[b]!++;
    const cx = f(targets.boxes[4 * i]! * w);
    const cy = f(targets.boxes[4 * i + 1]! * h);
    const hw = f(f(targets.boxes[4 * i + 2]! * w) / 2);
    const hh = f(f(targets.boxes[4 * i + 3]! * h) / 2);
    const xyxy = [f(cx - hw), f(cy - hh), f(cx + hw), f(cy + hh)];
    boxes.set(xyxy, 4 * slot);
    labels[slot] = targets.cls[i]!;
    mask[slot] = xyxy[0]! + xyxy[1]! + xyxy[2]! + xyxy[3]! > 0 ? 1 : 0;
  }
  return { batchSize, nMax, labels, boxes, mask };
}
