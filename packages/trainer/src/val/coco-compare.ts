// mAP of a COCO ground truth + results pair by both definitions: Ultralytics' (what `val` prints
// during training) and pycocotools' (what COCO papers report).
import { cocoEvaluate } from './coco-eval.js';
import { sortIds, type CocoDataset, type CocoDetection, type ImageId } from './coco-format.js';
import { argsortDescending } from './numeric.js';
import { DetectionValidator } from './validator.js';

export interface CocoConversionCounts {
  images: number;
  categories: number;
  /** Ground-truth boxes used as Ultralytics labels. */
  labels: number;
  /** Left out of the Ultralytics labels: crowd boxes, zero-size boxes, exact duplicates. */
  crowdSkipped: number;
  emptySkipped: number;
  duplicateSkipped: number;
  detections: number;
  /** Detections of a category the ground truth does not list (ignored by both definitions). */
  otherCategoryDetections: number;
}

export interface CocoComparison {
  ultralytics: { map50: number; map50_95: number; precision: number; recall: number };
  coco: { map50: number; map50_95: number; stats: number[] };
  counts: CocoConversionCounts;
}

/**
 * COCO json → what Ultralytics' DetectionValidator sees per image, as Ultralytics' own COCO
 * label conversion (`data/converter.py::convert_coco`) prepares it: crowd annotations are
 * skipped, boxes with zero width or height are skipped, and repeated identical boxes of a class
 * are kept once. Classes are the ground-truth categories in sorted id order. Detections are used
 * as given (no confidence threshold, no max_det cap), sorted by score per image as NMS output is.
 * Images are taken in sorted id order, as COCOeval takes them: with tied scores across images
 * the order decides which detection counts first (Ultralytics leaves such ties to numpy's sort).
 */
export function cocoToValidatorImages(gt: CocoDataset, dets: CocoDetection[]): {
  nc: number; images: { id: ImageId; preds: Float64Array; labels: Float64Array }[]; counts: CocoConversionCounts;
} {
  const catIds = sortIds(gt.categories.map((c) => c.id));
  const cls = new Map(catIds.map((c, i) => [c, i]));
  const imageIds = sortIds(gt.images.map((im) => im.id));
  const labelsOf = new Map<ImageId, number[][]>(imageIds.map((id) => [id, []]));
  const predsOf = new Map<ImageId, CocoDetection[]>(imageIds.map((id) => [id, []]));
  const counts: CocoConversionCounts = {
    images: imageIds.length, categories: catIds.length, labels: 0, crowdSkipped: 0, emptySkipped: 0, duplicateSkipped: 0,
    detections: 0, otherCategoryDetections: 0,
  };
  for (const a of gt.annotations) {
    const rows = labelsOf.get(a.image_id);
    const c = cls.get(a.category_id);
    if (!rows || c === undefined) continue;
    const [x, y, w, h] = a.bbox;
    if (a.iscrowd) counts.crowdSkipped += 1;
    else if (w <= 0 || h <= 0) counts.emptySkipped += 1;
    else if (rows.some((r) => r[0] === c && r[1] === x && r[2] === y && r[3] === x + w && r[4] === y + h)) counts.duplicateSkipped += 1;
    else {
      rows.push([c, x, y, x + w, y + h]);
      counts.labels += 1;
    }
  }
  for (const d of dets) {
    const list = predsOf.get(d.image_id);
    if (!list) continue;
    if (!cls.has(d.category_id)) counts.otherCategoryDetections += 1;
    else {
      list.push(d);
      counts.detections += 1;
    }
  }
  const images = imageIds.map((id) => {
    const list = predsOf.get(id)!;
    const preds = new Float64Array(list.length * 6);
    argsortDescending(list.map((d) => d.score)).forEach((i, row) => {
      const { bbox: [x, y, w, h], score, category_id } = list[i]!;
      preds.set([x, y, x + w, y + h, score, cls.get(category_id)!], row * 6);
    });
    return { id, preds, labels: Float64Array.from(labelsOf.get(id)!.flat()) };
  });
  return { nc: catIds.length, images, counts };
}

/** Ultralytics mAP (DetectionValidator on the converted boxes) and COCO mAP (cocoEvaluate). */
export function evaluateCoco(gt: CocoDataset, dets: CocoDetection[]): CocoComparison {
  const { nc, images, counts } = cocoToValidatorImages(gt, dets);
  const validator = new DetectionValidator({ nc });
  for (const im of images) validator.addImage(im.preds, im.labels);
  const m = validator.compute();
  const coco = cocoEvaluate(gt, dets, { iouType: 'bbox' });
  return {
    ultralytics: { map50: m.map50, map50_95: m.map, precision: m.mp, recall: m.mr },
    coco: { map50: coco.map50, map50_95: coco.map50_95, stats: coco.stats },
    counts,
  };
}
