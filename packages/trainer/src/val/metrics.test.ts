import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { apPerClass, computeAp, smooth } from './ap.js';
import { boxIou } from './box-iou.js';
import { IOU_THRESHOLDS, matchPredictions } from './match.js';
import { interp, linspace, roundHalfEven, trapz } from './numeric.js';
import { DetectionValidator } from './validator.js';

interface FixtureCase {
  name: string;
  nc: number;
  images: { preds: number[][]; labels: number[][] }[];
  expected: {
    tp: number[][]; mp: number; mr: number; map50: number; map: number; fitness: number;
    ap_class_index: number[]; p: number[]; r: number[]; f1: number[]; all_ap: number[][]; maps: number[];
    f1_index: number | null;
  };
}
const fixture = JSON.parse(
  fs.readFileSync(new URL('../../fixtures/metrics/ultralytics_metrics.json', import.meta.url), 'utf8'),
) as { iouv: number[]; cases: FixtureCase[] };

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tol);
}

describe('numpy primitives', () => {
  it('linspace reproduces numpy bit for bit (the IoU thresholds)', () => {
    expect(Array.from(IOU_THRESHOLDS)).toEqual(fixture.iouv);
    expect(linspace(0, 1, 101)[50]).toBe(0.5);
  });

  it('interp takes the last of repeated xp, and left/right outside', () => {
    const xp = [0, 0.2, 0.2, 0.2, 0.5, 0.5, 1];
    const fp = [1, 2, 3, 4, 5, 6, 7];
    // numpy.interp([0.2, 0.5, 0.3, 1.0, 0.1], xp, fp) = [4, 6, 4.3333…, 7, 1.5]
    expect([0.2, 0.5, 0.3, 1, 0.1].map((x) => interp(x, xp, fp))).toEqual([4, 6, 4 + (0.1 / 0.3), 7, 1.5]);
    expect(interp(-1, xp, fp, 0)).toBe(0);
    expect(interp(2, xp, fp)).toBe(7);
  });

  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });

  it('trapz and smooth', () => {
    expect(trapz([1, 2, 3], [0, 1, 3])).toBe(1.5 + 5);
    // 1000 points, f = 0.1: a 101-wide box filter, edges padded with the end values.
    const y = Float64Array.from({ length: 1000 }, (_, i) => (i === 500 ? 101 : 0));
    const s = smooth(y, 0.1);
    expect(s[449]).toBe(0);
    expect(s[450]).toBeCloseTo(1, 12);
    expect(s[550]).toBeCloseTo(1, 12);
    expect(s[551]).toBe(0);
  });
});

describe('hand-checked cases', () => {
  it('boxIou: identical, disjoint, half-overlapping boxes', () => {
    const iou = boxIou([0, 0, 10, 10], [0, 0, 10, 10, 20, 20, 30, 30, 5, 0, 15, 10]);
    expect(iou[0]).toBeCloseTo(1, 8);
    expect(iou[1]).toBe(0);
    expect(iou[2]).toBeCloseTo(50 / 150, 8);
  });

  it('matchPredictions keeps the lowest-index detection per label, not the best IoU', () => {
    // One label, two same-class detections with IoU 0.62 (index 0) and 0.92 (index 1).
    const iou = boxIou([0, 0, 100, 100], [0, 0, 100, 62, 0, 0, 100, 92]);
    const correct = matchPredictions([3, 3], [3], iou);
    const col = (d: number) => Array.from(correct.subarray(d * 10, d * 10 + 10));
    expect(col(0)).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]); // 0.50, 0.55, 0.60
    expect(col(1)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 0]); // 0.65 … 0.90
    // A different class never matches.
    expect(Array.from(matchPredictions([1, 1], [3], iou)).every((v) => v === 0)).toBe(true);
  });

  it('computeAp integrates the 101-point envelope with trapezoids', () => {
    // TP, FP, TP over 2 labels: recall .5 .5 1, precision 1 .5 2/3 → envelope 1 | 2/3 | 0 at recall 1.
    const { ap } = computeAp([0.5, 0.5, 1], [1, 0.5, 2 / 3]);
    expect(ap).toBeCloseTo(0.49 + 0.01 * (1 + 2 / 3) / 2 + 0.49 * (2 / 3) + 0.01 * (2 / 3) / 2, 12);
  });

  it('2 images, 3 detections, 1 class: AP 0.828333 at every IoU', () => {
    const v = new DetectionValidator({ nc: 1 });
    v.addImage([0, 0, 10, 10, 0.9, 0, 20, 20, 30, 30, 0.8, 0], [0, 0, 0, 10, 10]);
    v.addImage([0, 0, 10, 10, 0.7, 0], [0, 0, 0, 10, 10]);
    const m = v.compute();
    expect(m.seen).toBe(2);
    expect(m.map50).toBeCloseTo(0.8283333333333, 12);
    expect(m.map).toBeCloseTo(0.8283333333333, 12);
    expect(m.fitness).toBeCloseTo(0.8283333333333, 12);
    // Max smoothed mean F1 sits where both TPs are in: P 2/3, R 1.
    expect(m.mp).toBeCloseTo(2 / 3, 3);
    expect(m.mr).toBeCloseTo(1, 6);
  });

  it('a class without predictions scores 0 and predictions of unlabelled classes are ignored', () => {
    const r = apPerClass([1, 0], [0.9, 0.8], [0, 7], [0, 1], 1);
    expect(Array.from(r.classes)).toEqual([0, 1]);
    // A perfect class scores 0.995, not 1: the envelope drops to the sentinel 0 at recall 1 and
    // the last trapezoid [0.99, 1] is halved (Ultralytics' well-known ceiling).
    expect(r.ap[0]).toBeCloseTo(0.995, 12);
    expect(r.ap[1]).toBe(0);
  });
});

describe('Ultralytics fixtures (tools/fixtures/metrics_fixtures.py)', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const v = new DetectionValidator({ nc: c.nc });
      v.addBatch(c.images.map((im) => im.preds.flat()), c.images.map((im) => im.labels.flat()));
      const m = v.compute();
      const e = c.expected;
      expect(m.curves?.f1Index ?? null).toBe(e.f1_index);
      expect(Array.from(m.apClassIndex)).toEqual(e.ap_class_index);
      expectClose(m.curves?.ap ?? [], e.all_ap.flat());
      expectClose(m.p, e.p);
      expectClose(m.r, e.r);
      expectClose(m.f1, e.f1);
      expectClose(m.maps, e.maps);
      expectClose([m.mp, m.mr, m.map50, m.map, m.fitness], [e.mp, e.mr, e.map50, e.map, e.fitness]);
    });
  }

  it('tp matrices agree image by image', () => {
    for (const c of fixture.cases) {
      const tp: number[] = [];
      for (const im of c.images) {
        if (im.preds.length === 0) continue;
        const preds = im.preds;
        const labels = im.labels;
        if (labels.length === 0) {
          tp.push(...new Array(preds.length * 10).fill(0));
          continue;
        }
        const iou = boxIou(labels.flatMap((l) => l.slice(1)), preds.flatMap((p) => p.slice(0, 4)));
        tp.push(...matchPredictions(preds.map((p) => p[5]!), labels.map((l) => l[0]!), iou));
      }
      expect(tp, c.name).toEqual(c.expected.tp.flat());
    }
  });
});
