// One training or validation sample, the way Ultralytics' YOLODataset builds it (data/base.py
// load_image, data/augment.py v8_transforms and Format, data/dataset.py build_transforms):
//  train: Mosaic(p=mosaic) → RandomPerspective (after LetterBox when the mosaic was skipped) →
//         MixUp(p=mixup) → RandomHSV → RandomFlip(flipud) → RandomFlip(fliplr) → normalised xywh;
//  val:   LetterBox(imgsz, scaleup=False) → normalised xywh, plus what scale_boxes needs.
// Deliberate differences: mosaic partners are drawn from the whole dataset (Ultralytics picks from
// a buffer of recently loaded images, which depends on worker timing), and randomness comes from the
// per-sample generator, so a sample is a pure function of (seed, epoch, index). Loaded images are
// kept in a bounded cache (Ultralytics' buffer does the same job) and never modified in place.
import { decodeImage, letterbox, resizeBilinear, type RgbImage } from '@acmix-lab/yolo/image';
import { mixup, mosaic4, randomFlip, randomPerspective, type AugmentHyp, type Sample } from './augment.js';
import { randomHsv } from './hsv.js';
import type { LabeledImage } from './labels.js';
import type { Rng } from './random.js';

export interface LoadedImage extends Sample {
  /** Original [height, width]. */
  ori: [number, number];
}

/** Formatted output of the pipeline. */
export interface FormattedSample {
  image: RgbImage; // imgsz × imgsz
  cls: number[];
  /** Normalised cx, cy, w, h per box. */
  boxes: number[];
  ori: [number, number];
  /** [ratio h, ratio w, pad left, pad top] to map boxes back to the original (Ultralytics ratio_pad). */
  ratioPad: [number, number, number, number];
}

/**
 * load_image (rect_mode): resize so the long side is imgsz (ceil, capped at imgsz) with INTER_LINEAR,
 * and the image's labels as xyxy pixels of the resized image.
 */
export function loadImage(item: LabeledImage, imgsz: number): LoadedImage {
  let image = decodeImage(item.imageFile);
  const ori: [number, number] = [image.height, image.width];
  const r = imgsz / Math.max(image.width, image.height);
  if (r !== 1) {
    image = resizeBilinear(image, Math.min(Math.ceil(image.width * r), imgsz), Math.min(Math.ceil(image.height * r), imgsz));
  }
  const { width: w, height: h } = image;
  const boxes: number[] = [];
  for (let i = 0; i < item.boxes.length; i += 4) {
    const [cx, cy, bw, bh] = [item.boxes[i]!, item.boxes[i + 1]!, item.boxes[i + 2]!, item.boxes[i + 3]!];
    boxes.push((cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h);
  }
  return { image, cls: item.cls.slice(), boxes, ori };
}

/** Resized images by dataset index, least recently used dropped beyond `maxBytes` of pixels. */
export class ImageSource {
  private readonly cache = new Map<number, LoadedImage>();
  private bytes = 0;

  constructor(readonly items: readonly LabeledImage[], readonly imgsz: number, readonly maxBytes = 0) {}

  get length(): number {
    return this.items.length;
  }

  load(index: number): LoadedImage {
    const hit = this.cache.get(index);
    if (hit) {
      this.cache.delete(index);
      this.cache.set(index, hit);
      return hit;
    }
    const loaded = loadImage(this.items[index]!, this.imgsz);
    const size = loaded.image.data.length;
    if (size <= this.maxBytes) {
      this.cache.set(index, loaded);
      this.bytes += size;
      for (const [k, v] of this.cache) {
        if (this.bytes <= this.maxBytes) break;
        this.cache.delete(k);
        this.bytes -= v.image.data.length;
      }
    }
    return loaded;
  }
}

/** LetterBox._update_labels: scale boxes by the ratio and shift them by the (float) half padding. */
function letterboxSample(s: Sample, imgsz: number, scaleup: boolean) {
  const lb = letterbox(s.image, imgsz, { scaleup });
  const [rw, rh] = lb.ratio;
  const [dw, dh] = lb.pad;
  const boxes = s.boxes.map((v, i) => (i % 2 === 0 ? v * rw + dw : v * rh + dh));
  return { sample: { image: lb.image, cls: s.cls.slice(), boxes }, border: lb.border };
}

/** Format: xyxy pixels → normalised xywh. */
function normalise(s: Sample): number[] {
  const { width: w, height: h } = s.image;
  const out: number[] = [];
  for (let i = 0; i < s.boxes.length; i += 4) {
    const [x1, y1, x2, y2] = [s.boxes[i]!, s.boxes[i + 1]!, s.boxes[i + 2]!, s.boxes[i + 3]!];
    out.push((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h);
  }
  return out;
}

/** Validation sample: letterbox only (no rect batches: every image padded to imgsz × imgsz). */
export function valSample(src: ImageSource, index: number): FormattedSample {
  const imgsz = src.imgsz;
  const loaded = src.load(index);
  const { sample, border } = letterboxSample(loaded, imgsz, false);
  const ratioPad: [number, number, number, number] = [
    loaded.image.height / loaded.ori[0], loaded.image.width / loaded.ori[1], border.left, border.top,
  ];
  return { image: sample.image, cls: sample.cls, boxes: normalise(sample), ori: loaded.ori, ratioPad };
}

/** Mosaic (if drawn) or LetterBox, then RandomPerspective: the pre_transform of v8_transforms. */
function preTransform(src: ImageSource, index: number, hyp: AugmentHyp, mosaic: boolean, rng: Rng): { s: Sample; ori: [number, number] } {
  const imgsz = src.imgsz;
  const first = src.load(index);
  if (mosaic && !(rng.random() > hyp.mosaic)) {
    const tiles = [first];
    for (let k = 0; k < 3; k++) tiles.push(src.load(rng.int(0, src.length - 1)));
    return { s: randomPerspective(mosaic4(tiles, imgsz, rng), -imgsz / 2, hyp, rng), ori: first.ori };
  }
  return { s: randomPerspective(letterboxSample(first, imgsz, true).sample, 0, hyp, rng), ori: first.ori };
}

/** Training sample. `mosaic` false is Ultralytics' close_mosaic state (mosaic and mixup off). */
export function trainSample(src: ImageSource, index: number, hyp: AugmentHyp, mosaic: boolean, rng: Rng): FormattedSample {
  const { s: pre, ori } = preTransform(src, index, hyp, mosaic, rng);
  let s = pre;
  if (mosaic && hyp.mixup > 0 && !(rng.random() > hyp.mixup)) {
    s = mixup(s, preTransform(src, rng.int(0, src.length - 1), hyp, mosaic, rng).s, rng);
  }
  randomHsv(s.image, hyp, rng);
  randomFlip(s, hyp, rng);
  return { image: s.image, cls: s.cls, boxes: normalise(s), ori, ratioPad: [1, 1, 0, 0] };
}
