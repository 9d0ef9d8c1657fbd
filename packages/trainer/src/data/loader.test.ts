import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng, letterbox } from '@acmix-lab/yolo/image';
import { DEFAULT_AUGMENT } from './augment.js';
import { BatchBuilder, type Batch } from './batch.js';
import { loadDataYaml } from './data-yaml.js';
import type { LabeledImage } from './labels.js';
import { DataLoader, mosaicForEpoch } from './loader.js';
import { hashSeed, Rng } from './random.js';
import { ImageSource, loadImage, trainSample, valSample } from './sample.js';
import { scanSplit, type DatasetSplit } from './scan.js';
import { synthDataset } from './synth.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loader-'));
let train: DatasetSplit;
let val: DatasetSplit;

beforeAll(async () => {
  const { yamlFile } = await synthDataset({ out: path.join(tmp, 'synth'), train: 11, val: 5, imgsz: 64, classes: 3, seed: 7 });
  const cfg = loadDataYaml(yamlFile);
  train = scanSplit(cfg.train, cfg.nc, { prefix: 'train', log: () => {} });
  val = scanSplit(cfg.val, cfg.nc, { prefix: 'val', log: () => {} });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function collect(loader: DataLoader, epoch: number, mosaic = true): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader.epoch(epoch, { mosaic })) out.push(b);
  return out;
}

const digest = (batches: Batch[]) => {
  const h = crypto.createHash('sha256');
  for (const b of batches) {
    for (const a of [b.images, b.indices, b.targets.batchIndex, b.targets.cls, b.targets.boxes]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
};

describe('DataLoader', () => {
  it('validation batches are the letterboxed images with the label file boxes, in order, last batch kept', async () => {
    const loader = new DataLoader({ items: val.items, imgsz: 64, batchSize: 2, augment: false, workers: 0 });
    const batches = await collect(loader, 0);
    expect(batches.map((b) => b.size)).toEqual([2, 2, 1]);
    expect(Array.from(batches.flatMap((b) => Array.from(b.indices)))).toEqual([0, 1, 2, 3, 4]);
    const b = batches[0]!;
    expect(b.images.length).toBe(2 * 64 * 64 * 3);
    // 64 px images at imgsz 64: no resize, no padding, so pixels and boxes come through unchanged.
    const item = val.items[1]!;
    const raw = fs.readFileSync(item.labelFile, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
    const rows = Array.from(b.targets.batchIndex).map((bi, k) => [bi, b.targets.cls[k], ...b.targets.boxes.slice(4 * k, 4 * k + 4)]);
    const mine = rows.filter((r) => r[0] === 1).map((r) => r.slice(1));
    expect(mine.length).toBe(raw.length);
    mine.forEach((r, k) => {
      expect(r[0]).toBe(raw[k]![0]);
      for (let j = 1; j < 5; j++) expect(r[j]).toBeCloseTo(raw[k]![j]!, 6);
    });
    const first = loadImage(val.items[0]!, 64).image.data;
    for (let i = 0; i < first.length; i += 97) expect(b.images[i]).toBeCloseTo(first[i]! / 255, 6);
    expect(Array.from(b.oriShapes)).toEqual([64, 64, 64, 64]);
    expect(Array.from(b.ratioPad.slice(0, 4))).toEqual([1, 1, 0, 0]);
  });

  it('training batches have the documented shapes and valid targets', async () => {
    const loader = new DataLoader({ items: train.items, imgsz: 64, batchSize: 4, augment: true, workers: 0 });
    const batches = await collect(loader, 0);
    expect(batches.map((b) => b.size)).toEqual([4, 4, 3]);
    expect(new Set(batches.flatMap((b) => Array.from(b.indices))).size).toBe(11);
    for (const b of batches) {
      expect(b.images.length).toBe(b.size * 64 * 64 * 3);
      expect(Math.min(...b.images)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...b.images)).toBeLessThanOrEqual(1);
      const n = b.targets.batchIndex.length;
      expect(b.targets.cls.length).toBe(n);
      expect(b.targets.boxes.length).toBe(4 * n);
      for (let k = 0; k < n; k++) {
        expect(b.targets.batchIndex[k]).toBeLessThan(b.size);
        expect(b.targets.cls[k]).toBeLessThan(3);
        const [cx, cy, w, h] = b.targets.boxes.slice(4 * k, 4 * k + 4);
        expect(cx! - w! / 2).toBeGreaterThanOrEqual(-1e-6);
        expect(cy! - h! / 2).toBeGreaterThanOrEqual(-1e-6);
        expect(cx! + w! / 2).toBeLessThanOrEqual(1 + 1e-6);
        expect(cy! + h! / 2).toBeLessThanOrEqual(1 + 1e-6);
        expect(w! * 64).toBeGreaterThan(2); // box_candidates: wider and taller than 2 px
      }
    }
  });

  it('is deterministic: same seed → same bytes, in-process or with 2 workers; other seed or epoch → different', async () => {
    const opts = { items: train.items, imgsz: 64, batchSize: 4, augment: true } as const;
    const a = new DataLoader({ ...opts, seed: 3, workers: 0 });
    const b = new DataLoader({ ...opts, seed: 3, workers: 2 });
    const c = new DataLoader({ ...opts, seed: 4, workers: 0 });
    try {
      const ref = digest(await collect(a, 5));
      expect(digest(await collect(b, 5))).toBe(ref);
      expect(digest(await collect(b, 5))).toBe(ref); // again: a resumed run re-creates epoch 5 exactly
      expect(digest(await collect(a, 6))).not.toBe(ref);
      expect(digest(await collect(c, 5))).not.toBe(ref);
      expect(b.liveWorkers).toBe(2);
    } finally {
      await b.close();
    }
    expect(b.liveWorkers).toBe(0);
  });

  it('close() stops its worker threads and ends pending work', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    const loader = new DataLoader({ items: train.items, imgsz: 64, batchSize: 2, augment: true, workers: 2, prefetch: 4 });
    const it = loader.epoch(0)[Symbol.asyncIterator]();
    expect((await it.next()).value.size).toBe(2); // others are in flight now
    await loader.close();
    await it.return(undefined);
    expect(loader.liveWorkers).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length).toBe(before);
    await expect(collect(loader, 1)).rejects.toThrow(/closed/);
  });

  it('an image that disappeared after the scan fails the epoch with its file name, from a worker too', async () => {
    const gone = { ...val.items[0]!, imageFile: path.join(tmp, 'gone.png') };
    const inProcess = new DataLoader({ items: [gone], imgsz: 64, batchSize: 1, augment: false, workers: 0 });
    await expect(collect(inProcess, 0)).rejects.toThrow(/gone\.png: cannot read \(ENOENT\)/);
    const threaded = new DataLoader({ items: [gone], imgsz: 64, batchSize: 1, augment: false, workers: 1 });
    try {
      await expect(collect(threaded, 0)).rejects.toThrow(/gone\.png: cannot read \(ENOENT\)/);
    } finally {
      await threaded.close();
    }
  });

  it('close_mosaic: the last N epochs are mosaic-free', () => {
    expect([0, 1, 2, 3, 4].map((e) => mosaicForEpoch(e, 5, 2))).toEqual([true, true, true, false, false]);
  });
});

/** 4-connected red regions of a 64×64 image. */
function redBlobs(red: (x: number, y: number) => boolean) {
  const seen = new Uint8Array(64 * 64);
  const blobs: { pixels: [number, number][]; x1: number; y1: number; x2: number; y2: number }[] = [];
  for (let y0 = 0; y0 < 64; y0++) {
    for (let x0 = 0; x0 < 64; x0++) {
      if (seen[y0 * 64 + x0] || !red(x0, y0)) continue;
      const blob = { pixels: [] as [number, number][], x1: x0, y1: y0, x2: x0, y2: y0 };
      const stack: [number, number][] = [[x0, y0]];
      seen[y0 * 64 + x0] = 1;
      while (stack.length) {
        const [x, y] = stack.pop()!;
        blob.pixels.push([x, y]);
        blob.x1 = Math.min(blob.x1, x);
        blob.x2 = Math.max(blob.x2, x);
        blob.y1 = Math.min(blob.y1, y);
        blob.y2 = Math.max(blob.y2, y);
        for (const [nx, ny] of [[x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]] as const) {
          if (nx < 0 || ny < 0 || nx >= 64 || ny >= 64 || seen[ny * 64 + nx] || !red(nx, ny)) continue;
          seen[ny * 64 + nx] = 1;
          stack.push([nx, ny]);
        }
      }
      blobs.push(blob);
    }
  }
  return blobs;
}

/** A 64×64 grey image with one red rectangle at known pixels, labelled as class 1. */
function rectangleItem(dir: string, x1: number, y1: number, x2: number, y2: number): LabeledImage {
  const size = 64;
  const data = new Uint8Array(size * size * 3).fill(90);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) data.set([255, 0, 0], (y * size + x) * 3);
  const imageFile = path.join(dir, `rect-${x1}-${y1}.png`);
  fs.writeFileSync(imageFile, encodePng({ width: size, height: size, data }));
  const box = [(x1 + x2) / 2 / size, (y1 + y2) / 2 / size, (x2 - x1) / size, (y2 - y1) / size];
  return { imageFile, labelFile: '', width: size, height: size, cls: [1], boxes: box };
}

describe('training augmentation geometry', () => {
  const noColour = { ...DEFAULT_AUGMENT, hsv_h: 0, hsv_s: 0, hsv_v: 0 };

  it('mosaic + random affine: every box covers its red rectangle and red pixels lie inside boxes', () => {
    const items = [rectangleItem(tmp, 10, 14, 40, 30), rectangleItem(tmp, 30, 5, 50, 55)];
    let boxesSeen = 0;
    for (let i = 0; i < 40; i++) {
      const s = trainSample(new ImageSource(items, 64), i % 2, noColour, true, new Rng(hashSeed(11, i)));
      const { data, width } = s.image;
      const red = (x: number, y: number) => data[(y * width + x) * 3]! > 200 && data[(y * width + x) * 3 + 1]! < 60;
      const boxes: number[][] = [];
      for (let k = 0; k < s.cls.length; k++) {
        expect(s.cls[k]).toBe(1);
        const [cx, cy, w, h] = s.boxes.slice(4 * k, 4 * k + 4).map((v) => v * 64) as [number, number, number, number];
        boxes.push([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]);
      }
      boxesSeen += boxes.length;
      // Inside each box (shrunk by a pixel for the blended edge) everything is red.
      for (const [x1, y1, x2, y2] of boxes) {
        expect(x1).toBeGreaterThanOrEqual(-1e-9);
        expect(x2).toBeLessThanOrEqual(64 + 1e-9);
        let inside = 0;
        let redInside = 0;
        for (let y = Math.ceil(y1! + 1); y < Math.floor(y2! - 1); y++) {
          for (let x = Math.ceil(x1! + 1); x < Math.floor(x2! - 1); x++) {
            inside++;
            if (red(x, y)) redInside++;
          }
        }
        expect(redInside).toBe(inside);
      }
      // Every red blob lies inside the boxes (grown by a pixel), unless box_candidates dropped it: under
      // 10% of its scaled area left (rectangles ≤ 1000 px², scale ≤ 1.5 → ≤ 225 px) or ≤ 2 px thin.
      const inBoxes = (x: number, y: number) => boxes.some(([a, b, c, d]) => x >= a! - 1 && x <= c! + 1 && y >= b! - 1 && y <= d! + 1);
      for (const blob of redBlobs(red)) {
        if (blob.pixels.every(([x, y]) => inBoxes(x, y))) continue;
        const thin = blob.x2 - blob.x1 < 3 || blob.y2 - blob.y1 < 3;
        expect(thin || blob.pixels.length <= 225, `sample ${i}: red blob of ${blob.pixels.length} px outside the boxes`).toBe(true);
      }
    }
    expect(boxesSeen).toBeGreaterThan(40);
  });

  it('without mosaic and with translate/scale/flips off, a training sample is exactly the letterboxed image', () => {
    const items = [rectangleItem(tmp, 10, 14, 40, 30)];
    const still = { ...noColour, translate: 0, scale: 0, fliplr: 0 };
    const s = trainSample(new ImageSource(items, 96), 0, still, false, new Rng(1));
    const expected = letterbox(loadImage(items[0]!, 96).image, 96).image;
    expect(Buffer.compare(Buffer.from(s.image.data), Buffer.from(expected.data))).toBe(0);
    expect(s.boxes.map((v) => Number(v.toFixed(6)))).toEqual([25 / 64, 22 / 64, 30 / 64, 16 / 64].map((v) => Number(v.toFixed(6))));
  });

  it('validation of a 100×50 image at 64: resized to 64×32, padded 16 px top and bottom, ratio_pad for scale_boxes', () => {
    const data = new Uint8Array(100 * 50 * 3).fill(200);
    const imageFile = path.join(tmp, 'wide.png');
    fs.writeFileSync(imageFile, encodePng({ width: 100, height: 50, data }));
    const item: LabeledImage = { imageFile, labelFile: '', width: 100, height: 50, cls: [2], boxes: [0.5, 0.5, 0.2, 0.4] };
    const s = valSample(new ImageSource([item], 64), 0);
    expect([s.image.width, s.image.height]).toEqual([64, 64]);
    expect(s.image.data[(15 * 64) * 3]).toBe(114);
    expect(s.image.data[(16 * 64) * 3]).toBe(200);
    expect(s.image.data[(48 * 64) * 3]).toBe(114);
    expect(s.ori).toEqual([50, 100]);
    expect(s.ratioPad).toEqual([32 / 50, 64 / 100, 0, 16]);
    // cy: (0.5·32 + 16) / 64 = 0.5; h: 0.4·32 / 64 = 0.2; x unchanged.
    expect(s.boxes.map((v) => Number(v.toFixed(6)))).toEqual([0.5, 0.5, 0.2, 0.2]);
  });

  it('a batch is a pure function of the job, with or without the image cache', () => {
    const cfg = { items: train.items, imgsz: 64, augment: true, hyp: { ...DEFAULT_AUGMENT }, seed: 9, cacheBytes: 0 };
    const job = { epoch: 2, index: 0, indices: Int32Array.from([3, 1, 4, 3]), mosaic: true };
    const cached = new BatchBuilder({ ...cfg, cacheBytes: 2 ** 20 });
    const ref = digest([new BatchBuilder(cfg).batch(job)]);
    expect(digest([cached.batch(job)])).toBe(ref);
    expect(digest([cached.batch(job)])).toBe(ref); // served from the cache, which augmentation must not alter
  });
});
