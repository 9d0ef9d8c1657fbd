// The Detect output contract the loss and predict code rely on (see model.ts): raw layout,
// anchor order and strides, and the inference decode recomputed here in plain JS from the raw output.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from './model.js';

const spec = {
  nc: 2, ch: 3,
  backbone: [[-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'Conv', [16, 3, 2]]],
  head: [[[2, 3], 1, 'Detect', ['nc']]],
} as const;

describe('Detect contract', () => {
  beforeAll(async () => { await initBackend(); });

  it('anchors: levels in order, row-major, grid + 0.5 in stride units; strides from a 256-px probe', () => {
    const m = buildModel(structuredClone(spec) as never);
    expect(m.strides).toEqual([8, 16]);
    expect(m.levelShapes(40, 24)).toEqual([[5, 3], [3, 2]]); // odd sizes: PyTorch conv arithmetic
    // Remembered per size: a caller's change to the answer does not reach the next one, another size is its own.
    m.levelShapes(40, 24)[0]![0] = 99;
    expect(m.levelShapes(40, 24)).toEqual([[5, 3], [3, 2]]);
    expect(m.levelShapes(24, 40)).toEqual([[3, 5], [2, 3]]);
    const { points, strides } = m.anchorGrid([40, 24]);
    expect(points.shape).toEqual([21, 2]);
    expect(points.arraySync().slice(0, 4)).toEqual([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [0.5, 1.5]]);
    expect(points.arraySync()[15]).toEqual([0.5, 0.5]);
    expect(strides.arraySync().map(([s]) => s)).toEqual([...Array(15).fill(8), ...Array(6).fill(16)]);
    tf.dispose([points, strides]);
    m.dispose();
  });

  it('Ultralytics bias init: box logits 1, class logits log(5 / nc / (640 / stride)²)', () => {
    const m = buildModel(structuredClone(spec) as never);
    const bias = (key: string) => tf.tidy(() => m.torchBindings().find((b) => b.key === key)!.variable.read().arraySync() as number[]);
    expect(bias('model.4.cv2.1.2.bias')).toEqual(Array(64).fill(1));
    expect(bias('model.4.cv3.1.2.bias')[1]).toBeCloseTo(Math.log(5 / 2 / (640 / 16) ** 2), 6);
    m.dispose();
  });

  it('predict = DFL expectation + dist2bbox × stride and sigmoid scores of the raw output', () => {
    const m = buildModel(structuredClone(spec) as never);
    tf.tidy(() => m.torchBindings().filter((b) => b.key.endsWith('.2.bias'))
      .forEach((b) => b.variable.write(tf.randomNormal(b.variable.shape as number[], 0, 2, 'float32', 3))));
    const x = tf.randomUniform([2, 40, 24, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const raw = m.forwardTrain(x, false).arraySync() as number[][][];
    const pred = m.predict(x).arraySync() as number[][][];
    const grid = m.anchorGrid([40, 24]);
    const points = grid.points.arraySync();
    const strides = grid.strides.arraySync();
    for (const b of [0, 1]) {
      for (const a of [0, 7, 20]) {
        const r = raw[b]![a]!;
        const side = (s: number) => { // softmax over the 16 bins of side s, then its expectation
          const bins = r.slice(16 * s, 16 * s + 16);
          const mx = Math.max(...bins);
          const e = bins.map((v) => Math.exp(v - mx));
          const z = e.reduce((p, q) => p + q, 0);
          return e.reduce((p, q, i) => p + (q / z) * i, 0);
        };
        const [l, t, rr, bb] = [0, 1, 2, 3].map(side) as [number, number, number, number];
        const [px, py] = points[a]!;
        const s = strides[a]![0]!;
        const expected = [(px! + (rr - l) / 2) * s, (py! + (bb - t) / 2) * s, (l + rr) * s, (t + bb) * s,
          1 / (1 + Math.exp(-r[64]!)), 1 / (1 + Math.exp(-r[65]!))];
        pred[b]![a]!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
      }
    }
    tf.dispose([x, grid.points, grid.strides]);
    m.dispose();
  });
});
