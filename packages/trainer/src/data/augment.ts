// Geometric augmentations of Ultralytics v8 (ultralytics/data/augment.py, v8.1/8.2): Mosaic (4 tiles),
// RandomPerspective with box_candidates, RandomFlip. Boxes here are xyxy in pixels, 4 numbers each.
import type { RgbImage } from '@acmix-lab/yolo/image';
import type { Rng } from './random.js';
import { warpImage } from './warp.js';

/** Augmentation hyperparameters, Ultralytics names and defaults (cfg/default.yaml). */
export interface AugmentHyp {
  hsv_h: number;
  hsv_s: number;
  hsv_v: number;
  degrees: number;
  translate: number;
  scale: number;
  shear: number;
  perspective: number;
  flipud: number;
  fliplr: number;
  mosaic: number;
  mixup: number;
}

export const DEFAULT_AUGMENT: Readonly<AugmentHyp> = Object.freeze({
  hsv_h: 0.015, hsv_s: 0.7, hsv_v: 0.4, degrees: 0, translate: 0.1, scale: 0.5, shear: 0, perspective: 0,
  flipud: 0, fliplr: 0.5, mosaic: 1.0, mixup: 0,
});

/** An image with its objects: cls[i] and boxes[4i..4i+3] = x1 y1 x2 y2 in pixels. */
export interface Sample {
  image: RgbImage;
  cls: number[];
  boxes: number[];
}

/** Instances.clip: clamp x to [0, w] and y to [0, h]. */
export function clipBoxes(boxes: number[], w: number, h: number): void {
  for (let i = 0; i < boxes.length; i += 4) {
    boxes[i] = Math.min(Math.max(boxes[i]!, 0), w);
    boxes[i + 1] = Math.min(Math.max(boxes[i + 1]!, 0), h);
    boxes[i + 2] = Math.min(Math.max(boxes[i + 2]!, 0), w);
    boxes[i + 3] = Math.min(Math.max(boxes[i + 3]!, 0), h);
  }
}

function keepBoxes(sample: { cls: number[]; boxes: number[] }, keep: (i: number) => boolean): void {
  const cls: number[] = [];
  const boxes: number[] = [];
  for (let i = 0; i < sample.cls.length; i++) {
    if (!keep(i)) continue;
    cls.push(sample.cls[i]!);
    boxes.push(sample.boxes[4 * i]!, sample.boxes[4 * i + 1]!, sample.boxes[4 * i + 2]!, sample.boxes[4 * i + 3]!);
  }
  sample.cls = cls;
  sample.boxes = boxes;
}

/**
 * Mosaic._mosaic4: four images (each already resized so its long side is s) around a random centre
 * (xc, yc) ∈ [s/2, 3s/2) of a 2s×2s grey canvas; boxes shifted with their tile, clipped to the canvas,
 * zero-area boxes dropped. The caller's RandomPerspective then crops back to s×s (border −s/2).
 */
export function mosaic4(tiles: readonly Sample[], s: number, rng: Rng): Sample {
  const size = 2 * s;
  const canvas = new Uint8Array(size * size * 3).fill(114);
  const yc = Math.trunc(rng.uniform(s / 2, 2 * s - s / 2));
  const xc = Math.trunc(rng.uniform(s / 2, 2 * s - s / 2));
  const cls: number[] = [];
  const boxes: number[] = [];
  tiles.forEach((tile, i) => {
    const { width: w, height: h, data } = tile.image;
    let x1a: number, y1a: number, x2a: number, y2a: number, x1b: number, y1b: number;
    if (i === 0) { // top left
      [x1a, y1a, x2a, y2a] = [Math.max(xc - w, 0), Math.max(yc - h, 0), xc, yc];
      [x1b, y1b] = [w - (x2a - x1a), h - (y2a - y1a)];
    } else if (i === 1) { // top right
      [x1a, y1a, x2a, y2a] = [xc, Math.max(yc - h, 0), Math.min(xc + w, size), yc];
      [x1b, y1b] = [0, h - (y2a - y1a)];
    } else if (i === 2) { // bottom left
      [x1a, y1a, x2a, y2a] = [Math.max(xc - w, 0), yc, xc, Math.min(size, yc + h)];
      [x1b, y1b] = [w - (x2a - x1a), 0];
    } else { // bottom right
      [x1a, y1a, x2a, y2a] = [xc, yc, Math.min(xc + w, size), Math.min(size, yc + h)];
      [x1b, y1b] = [0, 0];
    }
    const rowBytes = (x2a - x1a) * 3;
    for (let y = 0; y < y2a - y1a; y++) {
      const from = ((y1b + y) * w + x1b) * 3;
      canvas.set(data.subarray(from, from + rowBytes), ((y1a + y) * size + x1a) * 3);
    }
    const padw = x1a - x1b;
    const padh = y1a - y1b;
    for (let k = 0; k < tile.cls.length; k++) {
      cls.push(tile.cls[k]!);
      boxes.push(tile.boxes[4 * k]! + padw, tile.boxes[4 * k + 1]! + padh, tile.boxes[4 * k + 2]! + padw, tile.boxes[4 * k + 3]! + padh);
    }
  });
  const out: Sample = { image: { width: size, height: size, data: canvas }, cls, boxes };
  clipBoxes(out.boxes, size, size);
  keepBoxes(out, (i) => (out.boxes[4 * i + 2]! - out.boxes[4 * i]!) * (out.boxes[4 * i + 3]! - out.boxes[4 * i + 1]!) > 0);
  return out;
}

type Mat3 = number[];

function matmul(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 3 + c] = Math.fround(a[r * 3]! * b[c]! + a[r * 3 + 1]! * b[3 + c]! + a[r * 3 + 2]! * b[6 + c]!);
  }
  return out;
}

/**
 * RandomPerspective.affine_transform: M = T·S·R·P·C (float32 like Ultralytics' np.float32 matrices)
 * for an image of size w×h producing outW×outH. Returns M and the scale drawn (for box_candidates).
 */
export function perspectiveMatrix(w: number, h: number, outW: number, outH: number, hyp: AugmentHyp, rng: Rng): { m: Mat3; scale: number } {
  const C = [1, 0, -w / 2, 0, 1, -h / 2, 0, 0, 1];
  const P = [1, 0, 0, 0, 1, 0, rng.uniform(-hyp.perspective, hyp.perspective), rng.uniform(-hyp.perspective, hyp.perspective), 1];
  const a = (rng.uniform(-hyp.degrees, hyp.degrees) * Math.PI) / 180;
  const s = rng.uniform(1 - hyp.scale, 1 + hyp.scale);
  // cv2.getRotationMatrix2D(center=(0, 0), angle=a, scale=s)
  const R = [s * Math.cos(a), s * Math.sin(a), 0, -s * Math.sin(a), s * Math.cos(a), 0, 0, 0, 1];
  const S = [1, Math.tan((rng.uniform(-hyp.shear, hyp.shear) * Math.PI) / 180), 0, Math.tan((rng.uniform(-hyp.shear, hyp.shear) * Math.PI) / 180), 1, 0, 0, 0, 1];
  const T = [1, 0, rng.uniform(0.5 - hyp.translate, 0.5 + hyp.translate) * outW, 0, 1, rng.uniform(0.5 - hyp.translate, 0.5 + hyp.translate) * outH, 0, 0, 1];
  const f = (m: Mat3) => m.map(Math.fround);
  return { m: matmul(f(T), matmul(f(S), matmul(f(R), matmul(f(P), f(C))))), scale: s };
}

/** apply_bboxes: transform the 4 corners of each box and take their bounding box. */
export function transformBoxes(boxes: number[], m: Mat3, perspective: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < boxes.length; i += 4) {
    const [x1, y1, x2, y2] = [boxes[i]!, boxes[i + 1]!, boxes[i + 2]!, boxes[i + 3]!];
    const xs: number[] = [];
    const ys: number[] = [];
    for (const [x, y] of [[x1, y1], [x2, y2], [x1, y2], [x2, y1]] as const) {
      const z = perspective ? m[6]! * x + m[7]! * y + m[8]! : 1;
      xs.push((m[0]! * x + m[1]! * y + m[2]!) / z);
      ys.push((m[3]! * x + m[4]! * y + m[5]!) / z);
    }
    out.push(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys));
  }
  return out;
}

/**
 * box_candidates(wh_thr=2, ar_thr=100, area_thr=0.1): keep boxes wider and taller than 2 px, keeping
 * over 10% of their (scaled) area, with aspect ratio under 100. box1 is before, box2 after the warp.
 */
export function boxCandidates(box1: number[], box2: number[], i: number, wh = 2, ar = 100, area = 0.1, eps = 1e-16): boolean {
  const w1 = box1[4 * i + 2]! - box1[4 * i]!;
  const h1 = box1[4 * i + 3]! - box1[4 * i + 1]!;
  const w2 = box2[4 * i + 2]! - box2[4 * i]!;
  const h2 = box2[4 * i + 3]! - box2[4 * i + 1]!;
  const ratio = Math.max(w2 / (h2 + eps), h2 / (w2 + eps));
  return w2 > wh && h2 > wh && (w2 * h2) / (w1 * h1 + eps) > area && ratio < ar;
}

/**
 * RandomPerspective.__call__: warp to (w + 2·border)×(h + 2·border) (border −s/2 after a mosaic, 0
 * otherwise), move the boxes, clip them to the output and keep the box_candidates.
 */
export function randomPerspective(sample: Sample, border: number, hyp: AugmentHyp, rng: Rng): Sample {
  const { width: w, height: h } = sample.image;
  const outW = w + 2 * border;
  const outH = h + 2 * border;
  const { m, scale } = perspectiveMatrix(w, h, outW, outH, hyp, rng);
  const identity = m.every((v, i) => v === (i % 4 === 0 ? 1 : 0));
  const image = border !== 0 || !identity ? warpImage(sample.image, m, outW, outH, hyp.perspective !== 0) : sample.image;
  const moved = transformBoxes(sample.boxes, m, hyp.perspective !== 0);
  clipBoxes(moved, outW, outH);
  const before = sample.boxes.map((v) => v * scale);
  const out: Sample = { image, cls: sample.cls.slice(), boxes: moved };
  keepBoxes(out, (i) => boxCandidates(before, moved, i));
  return out;
}

/** RandomFlip: left-right with probability fliplr, up-down with flipud (vertical first, like v8_transforms). */
export function randomFlip(sample: Sample, hyp: Pick<AugmentHyp, 'flipud' | 'fliplr'>, rng: Rng): void {
  const { width: w, height: h, data } = sample.image;
  if (rng.random() < hyp.flipud) {
    const row = w * 3;
    const tmp = new Uint8Array(row);
    for (let y = 0; y < h >> 1; y++) {
      const a = y * row;
      const b = (h - 1 - y) * row;
      tmp.set(data.subarray(a, a + row));
      data.copyWithin(a, b, b + row);
      data.set(tmp, b);
    }
    for (let i = 0; i < sample.boxes.length; i += 4) {
      const y1 = sample.boxes[i + 1]!;
      sample.boxes[i + 1] = h - sample.boxes[i + 3]!;
      sample.boxes[i + 3] = h - y1;
    }
  }
  if (rng.random() < hyp.fliplr) {
    for (let y = 0; y < h; y++) {
      for (let l = y * w * 3, r = l + (w - 1) * 3; l < r; l += 3, r -= 3) {
        for (let c = 0; c < 3; c++) {
          const t = data[l + c]!;
          data[l + c] = data[r + c]!;
          data[r + c] = t;
        }
      }
    }
    for (let i = 0; i < sample.boxes.length; i += 4) {
      const x1 = sample.boxes[i]!;
      sample.boxes[i] = w - sample.boxes[i + 2]!;
      sample.boxes[i + 2] = w - x1;
    }
  }
}

/** MixUp: blend with a second augmented sample by r ~ Beta(32, 32) and keep both sets of boxes. */
export function mixup(a: Sample, b: Sample, rng: Rng): Sample {
  const r = rng.beta(32, 32);
  const data = new Uint8Array(a.image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.trunc(a.image.data[i]! * r + b.image.data[i]! * (1 - r));
  return { image: { ...a.image, data }, cls: [...a.cls, ...b.cls], boxes: [...a.boxes, ...b.boxes] };
}
