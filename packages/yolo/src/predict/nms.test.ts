import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { countLeakedTensors, initBackend, readSafetensors } from '@acmix-lab/runtime';
import { nonMaxSuppression, type NmsOptions } from './nms.js';

/** [B=1, A, 4 + nc] from rows of [cx, cy, w, h, ...scores]. */
const pred = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), shape: [1, rows.length, rows[0]!.length] });
const rowsOf = (out: Float32Array) => Array.from({ length: out.length / 6 }, (_, i) => Array.from(out.subarray(6 * i, 6 * i + 6)));

describe('nonMaxSuppression (hand-checked)', () => {
  it('drops the lower-scored of two boxes overlapping above the IoU threshold, per class', () => {
    // Boxes A and B: 10×10 squares shifted by 1 px (IoU 90/110 = 0.818); C far away.
    const p = pred([
      [5, 5, 10, 10, 0.9, 0.0],
      [6, 5, 10, 10, 0.8, 0.0],
      [50, 50, 10, 10, 0.0, 0.7],
    ]);
    expect(rowsOf(nonMaxSuppression(p, { iou: 0.7 })[0]!)).toEqual([
      [0, 0, 10, 10, Math.fround(0.9), 0],
      [45, 45, 55, 55, Math.fround(0.7), 1],
    ]);
    // Above the overlap both stay; IoU must be strictly greater to suppress.
    expect(nonMaxSuppression(p, { iou: 0.85 })[0]!.length / 6).toBe(3);
  });

  it('keeps overlapping boxes of different classes unless agnostic', () => {
    const p = pred([
      [5, 5, 10, 10, 0.9, 0.1],
      [5, 5, 10, 10, 0.2, 0.8],
    ]);
    expect(rowsOf(nonMaxSuppression(p)[0]!).map((r) => r[5])).toEqual([0, 1]);
    expect(rowsOf(nonMaxSuppression(p, { agnostic: true })[0]!).map((r) => r[5])).toEqual([0]);
    expect(rowsOf(nonMaxSuppression(p, { classes: [1] })[0]!).map((r) => r[5])).toEqual([1]);
  });

  it('multi-label emits one row per class above conf, then caps at maxDet', () => {
    const p = pred([[5, 5, 10, 10, 0.6, 0.5, 0.0004]]);
    expect(rowsOf(nonMaxSuppression(p, { conf: 0.001, multiLabel: true })[0]!).map((r) => [r[4], r[5]]))
      .toEqual([[Math.fround(0.6), 0], [Math.fround(0.5), 1]]);
    expect(nonMaxSuppression(p, { conf: 0.001, multiLabel: true, maxDet: 1 })[0]!.length).toBe(6);
    expect(nonMaxSuppression(p, { conf: 0.6 })[0]!.length).toBe(0); // score must be > conf
  });

  it('equal scores keep input order (stable, as torchvision sorts)', () => {
    const p = pred([
      [5, 5, 10, 10, 0.5],
      [6, 5, 10, 10, 0.5],
    ]);
    expect(rowsOf(nonMaxSuppression(p)[0]!)[0]![0]).toBe(0);
  });
});

describe('nonMaxSuppression equals the PyTorch reference (tools/fixtures/nms_fixtures.py)', () => {
  const dir = new URL('../../fixtures/nms/', import.meta.url);
  const cases = JSON.parse(fs.readFileSync(new URL('cases.json', dir), 'utf8')) as Record<string, {
    conf?: number; iou?: number; multi_label?: boolean; agnostic?: boolean; max_det?: number; max_nms?: number; classes?: number[];
  }>;
  const tensors = readSafetensors(new URL('nms.safetensors', dir).pathname);

  for (const [name, o] of Object.entries(cases)) {
    it(name, async () => {
      await initBackend();
      const p = tensors.get(`${name}/pred`)!;
      const opts: NmsOptions = {
        conf: o.conf, iou: o.iou, multiLabel: o.multi_label, agnostic: o.agnostic, maxDet: o.max_det, maxNms: o.max_nms, classes: o.classes,
      };
      const x = tf.tensor(p.data as Float32Array, p.shape);
      const leaked = await countLeakedTensors(async () => {
        const out = nonMaxSuppression(x, opts);
        expect(out).toHaveLength(p.shape[0]!);
        out.forEach((rows, b) => expect(Array.from(rows), `image ${b}`).toEqual(Array.from(tensors.get(`${name}/out/${b}`)!.data as Float32Array)));
      });
      x.dispose();
      expect(leaked).toBe(0);
    });
  }
});
