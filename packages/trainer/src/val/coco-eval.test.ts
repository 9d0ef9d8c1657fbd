import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { evaluateCoco } from './coco-compare.js';
import { cocoEvaluate } from './coco-eval.js';
import { CocoFormatError, parseCocoDataset, parseCocoResults, type CocoDataset } from './coco-format.js';

const root = new URL('../../fixtures/metrics/coco/', import.meta.url);
const cases = fs.readdirSync(root).sort();
const readJson = (name: string, file: string) => JSON.parse(fs.readFileSync(new URL(`${name}/${file}`, root), 'utf8')) as unknown;

/** The 2-image, 3-detection case of metrics.test.ts in COCO form (10×10 boxes: all "small"). */
function handCase(): { gt: CocoDataset; dets: ReturnType<typeof parseCocoResults> } {
  const gt = parseCocoDataset({
    images: [{ id: 1 }, { id: 2 }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
      { id: 2, image_id: 2, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 },
    ],
    categories: [{ id: 1, name: 'a' }],
  }, 'gt.json');
  const dets = parseCocoResults([
    { image_id: 1, category_id: 1, bbox: [0, 0, 10, 10], score: 0.9 },
    { image_id: 1, category_id: 1, bbox: [20, 20, 10, 10], score: 0.8 },
    { image_id: 2, category_id: 1, bbox: [0, 0, 10, 10], score: 0.7 },
  ], 'pred.json', gt, 'gt.json');
  return { gt, dets };
}

describe('cocoEvaluate (hand-checked)', () => {
  it('2 images, 3 detections: 51 recall points at precision 1, 50 at 2/3', () => {
    const { gt, dets } = handCase();
    const r = cocoEvaluate(gt, dets);
    const ap = (51 + 50 * (2 / 3)) / 101;
    expect(r.map50_95).toBeCloseTo(ap, 12);
    expect(r.map50).toBeCloseTo(ap, 12);
    expect(r.stats[2]).toBeCloseTo(ap, 12);
    expect(r.stats[3]).toBeCloseTo(ap, 12); // small
    expect([r.stats[4], r.stats[5]]).toEqual([-1, -1]); // no medium or large ground truth
    expect(r.stats.slice(6)).toEqual([1, 1, 1, 1, -1, -1]); // AR: the best detection per image is right
  });

  it('a crowd box absorbs detections (IoU = intersection / det area) without counting them', () => {
    const { gt, dets } = handCase();
    gt.annotations.push({ id: 3, image_id: 1, category_id: 1, bbox: [15, 15, 30, 30], area: 900, iscrowd: 1 });
    // The 0.8 false positive lies inside the crowd box: now ignored, so precision stays 1.
    const r = cocoEvaluate(gt, dets);
    expect(r.map50_95).toBeCloseTo(1, 12);
  });
});

describe('cocoEvaluate equals pycocotools (tools/fixtures/coco_fixtures.py)', () => {
  for (const name of cases) {
    it(name, () => {
      const gt = parseCocoDataset(readJson(name, 'gt.json'), 'gt.json');
      const dets = parseCocoResults(readJson(name, 'pred.json'), 'pred.json', gt, 'gt.json');
      const expected = readJson(name, 'expected.json') as { stats: number[]; recall: number[] };
      const r = cocoEvaluate(gt, dets);
      expect(r.stats).toHaveLength(12);
      for (let i = 0; i < 12; i++) expect(Math.abs(r.stats[i]! - expected.stats[i]!), `stats[${i}]`).toBeLessThanOrEqual(1e-12);
      expect(Array.from(r.recall)).toEqual(expected.recall);
    });
  }
});

describe('COCO file validation', () => {
  const gt = { images: [{ id: 1 }], annotations: [], categories: [{ id: 1, name: 'a' }] };
  const fails = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(CocoFormatError);
      return (err as Error).message;
    }
    throw new Error('expected a CocoFormatError');
  };

  it('names the file and field', () => {
    const ok = parseCocoDataset(gt, 'gt.json');
    const dets = [0, 1, 2, 3].map(() => ({ image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 }));
    dets[3]!.bbox = [0, 0, 1];
    expect(fails(() => parseCocoResults(dets, 'pred.json', ok, 'gt.json'))).toBe('pred.json: [3].bbox: expected 4 numbers');
    expect(fails(() => parseCocoResults([{ image_id: 2, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }], 'pred.json', ok, 'gt.json')))
      .toBe('pred.json: [0].image_id: 2 is not an image of gt.json');
    expect(fails(() => parseCocoResults({}, 'pred.json', ok, 'gt.json'))).toBe('pred.json: expected array, received object');
    expect(fails(() => parseCocoDataset({ ...gt, annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1], score: 1 }, { id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 1, 1] }] }, 'gt.json')))
      .toBe('gt.json: annotations[1].id: 1 repeats annotations[0].id');
    expect(fails(() => parseCocoDataset({ ...gt, categories: [{ name: 'x' }] }, 'gt.json'))).toBe('gt.json: categories[0].id: expected number, received undefined');
    expect(fails(() => parseCocoDataset({ ...gt, annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, -1, 1] }] }, 'gt.json')))
      .toBe('gt.json: annotations[0].bbox: width and height must be ≥ 0');
  });

  it('defaults area to the box area and iscrowd to 0', () => {
    const d = parseCocoDataset({ ...gt, annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [0, 0, 4, 5] }] }, 'gt.json');
    expect(d.annotations[0]).toMatchObject({ area: 20, iscrowd: 0 });
  });
});

describe('evaluateCoco: the Ultralytics definition on COCO files', () => {
  for (const name of cases) {
    it(name, () => {
      const gt = parseCocoDataset(readJson(name, 'gt.json'), 'gt.json');
      const dets = parseCocoResults(readJson(name, 'pred.json'), 'pred.json', gt, 'gt.json');
      const expected = readJson(name, 'expected.json') as { stats: number[]; ultralytics: Record<string, number> };
      const r = evaluateCoco(gt, dets);
      for (const k of ['map50', 'map50_95', 'precision', 'recall'] as const) {
        expect(Math.abs(r.ultralytics[k] - expected.ultralytics[k]!), k).toBeLessThanOrEqual(1e-12);
      }
      expect(r.coco.stats).toEqual(r.coco.stats.map((_, i) => expected.stats[i]));
    });
  }

  it('skips crowd ground truth for Ultralytics and counts what it skipped', () => {
    const { gt, dets } = handCase();
    gt.annotations.push({ id: 3, image_id: 1, category_id: 1, bbox: [15, 15, 30, 30], area: 900, iscrowd: 1 });
    gt.annotations.push({ id: 4, image_id: 2, category_id: 1, bbox: [0, 0, 10, 10], area: 100, iscrowd: 0 });
    const r = evaluateCoco(gt, dets);
    expect(r.counts).toMatchObject({ labels: 2, crowdSkipped: 1, duplicateSkipped: 1, detections: 3 });
    expect(r.ultralytics.map50_95).toBeCloseTo(0.8283333333333, 12); // the crowd box does not excuse the FP
    // COCO ignores the FP inside the crowd box but counts the duplicate: precision 1 up to recall 2/3.
    expect(r.coco.map50_95).toBeCloseTo(67 / 101, 12);
  });
});
