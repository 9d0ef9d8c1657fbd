import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { filledImage } from '../image/rgb-image.js';
import type { YoloModel } from '../model.js';
import { drawDetections } from './draw.js';
import { checkImgsz, modelImgsz, predictImage } from './predict.js';

beforeAll(async () => {
  await initBackend();
});

/** A stand-in for YoloModel.predict that records its input and returns fixed [1, A, 4 + nc] rows. */
function stubModel(rows: number[][]) {
  const seen: { shape: number[]; max: number }[] = [];
  const model = {
    detect: {},
    gridSize: 32,
    predict: (x: tf.Tensor4D) => {
      seen.push({ shape: x.shape, max: x.max().dataSync()[0]! });
      return tf.tensor3d([rows], [1, rows.length, rows[0]!.length]);
    },
  } as unknown as YoloModel;
  return { model, seen };
}

describe('predictImage', () => {
  it('letterboxes to the minimum rectangle, scales pixels to [0, 1], maps boxes back', async () => {
    // 200×100 at imgsz 64: gain 0.32, content 64×32, no padding left after auto (32 | 32).
    const { model, seen } = stubModel([
      [32, 16, 32, 16, 0.9, 0.05],
      [10, 10, 4, 4, 0.1, 0.2], // below conf 0.25
    ]);
    const img = filledImage(200, 100, 255);
    let rows: Float32Array = new Float32Array();
    expect(await countLeakedTensors(() => { rows = predictImage(model, img, { imgsz: 64 }); })).toBe(0);
    expect(seen).toEqual([{ shape: [1, 32, 64, 3], max: 1 }]);
    expect(Array.from(rows)).toEqual([16 / 0.32, 8 / 0.32, 48 / 0.32, 24 / 0.32, 0.9, 0].map(Math.fround));
  });

  it('rounds imgsz up to the stride like check_imgsz', () => {
    expect(checkImgsz(100, 32)).toBe(128);
    expect(checkImgsz(640, 32)).toBe(640);
  });

  it('fits imgsz to a model\'s grid (64 for P3–P6 heads) with Ultralytics\' warning', () => {
    const warnings: string[] = [];
    const p6 = { gridSize: 64 } as YoloModel;
    expect(modelImgsz(p6, 96, (l) => warnings.push(l))).toBe(128);
    expect(modelImgsz(p6, 640, (l) => warnings.push(l))).toBe(640);
    expect(warnings).toEqual(['WARNING ⚠️ imgsz=[96] must be multiple of max stride 64, updating to [128]']);
  });
});

describe('drawDetections', () => {
  it('strokes the box in the class colour and leaves the inside untouched', () => {
    const img = filledImage(100, 80, 114);
    const out = drawDetections(img, Float32Array.from([20, 30, 70, 60, 0.87, 0]), ['thing']);
    const px = (x: number, y: number) => Array.from(out.data.subarray((y * 100 + x) * 3, (y * 100 + x) * 3 + 3));
    expect(px(45, 60)).toEqual([0xff, 0x38, 0x38]); // bottom edge, palette colour 0
    expect(px(45, 45)).toEqual([114, 114, 114]);
    expect(img.data[(45 * 100 + 45) * 3]).toBe(114); // the input is not modified
    expect(px(21, 25)).not.toEqual([114, 114, 114]); // label tab above the box
  });
});
