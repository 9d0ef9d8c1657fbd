import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { countLeakedTensors, initBackend, readSafetensors, requireTensor } from '@acmix-lab/runtime';
import { assignTargets, TAL_DEFAULTS, type AssignerInput, type AssignerOptions, type Assignment } from './assigner.js';
import { padTargets, type DetectionTargets } from './targets.js';

// A 4×4 grid at stride 8 (32 px): anchor i sits at ((i % 4)·8 + 4, ⌊i / 4⌋·8 + 4) px.
const A = 16;
const anchorPoints = Float32Array.from({ length: 2 * A }, (_, k) => (k % 2 === 0 ? (k / 2) % 4 : Math.floor(k / 8)) * 8 + 4);
const FAR = [0, 30, 1, 31]; // a tiny box in the bottom-left corner: CIoU < 0 with every gt here

type Preds = Partial<Record<number, { box: number[]; scores: number[] }>>[];

/** Runs the assigner on per-anchor predicted boxes and class probabilities (default: FAR, 0.5). */
function assign(batch: number, targets: DetectionTargets, preds: Preds, options: AssignerOptions): Assignment {
  const probs = new Float32Array(batch * A * 2).fill(0.5);
  const predBboxes = new Float32Array(batch * A * 4);
  for (let b = 0; b < batch; b++) {
    for (let a = 0; a < A; a++) {
      const p = preds[b]?.[a];
      predBboxes.set(p?.box ?? FAR, 4 * (b * A + a));
      if (p) probs.set(p.scores, 2 * (b * A + a));
    }
  }
  const boxes = tf.tensor3d(predBboxes, [batch, A, 4]);
  const input: AssignerInput = {
    batchSize: batch, numAnchors: A, anchorPoints, gt: padTargets(targets, batch, [32, 32]),
    predLogits: tf.tensor3d(probs.map((q) => Math.log(q / (1 - q))), [batch, A, 2]), predBboxes: boxes,
  };
  try {
    return assignTargets(input, options);
  } finally {
    tf.dispose([input.predLogits, boxes]);
  }
}

describe('assignTargets (Ultralytics TaskAlignedAssigner)', () => {
  beforeAll(async () => { await initBackend(); });

  it('assigns a 2-gt toy grid: topk, shared anchor to the higher overlap, normalised scores', () => {
    // gt 0, class 0, xyxy [0,0,16,16]: candidates 0, 1, 4, 5.
    // gt 1, class 1, xyxy [8,8,32,24]: candidates 5, 6, 7, 9, 10, 11.
    const boxA = [0, 0, 16, 16];
    const boxB = [8, 8, 32, 24];
    const targets: DetectionTargets = {
      batchIndex: Int32Array.from([0, 0, 1]),
      cls: Int32Array.from([0, 1, 1]),
      boxes: Float32Array.from([0.25, 0.25, 0.5, 0.5, 0.625, 0.5, 0.75, 0.5, 0.625, 0.5, 0.75, 0.5]),
    };
    const preds: Preds = [{
      0: { box: boxA, scores: [0.9, 0.5] }, // metric √0.9 for gt 0
      1: { box: boxA, scores: [0.4, 0.5] }, // √0.4
      4: { box: boxA, scores: [0.1, 0.5] }, // √0.1
      // the overlap square: CIoU 0.1875 with gt 0, ≈ 0.070 with gt 1; both topk lists pick it
      5: { box: [8, 8, 16, 16], scores: [0.5, 0.5] },
      11: { box: boxB, scores: [0.5, 0.9] }, // gt 1's only other positive metric (6, 7, 9, 10 predict FAR)
    }, { 9: { box: boxB, scores: [0.5, 0.5] } }];
    const out = assign(2, targets, preds, { ...TAL_DEFAULTS, topk: 4, numClasses: 2 });

    const fg = Array.from(out.fgMask.subarray(0, A)).flatMap((m, a) => (m ? [a] : []));
    expect(fg).toEqual([0, 1, 4, 5, 11]);
    expect([0, 1, 4, 5, 11].map((a) => out.targetGtIdx[a])).toEqual([0, 0, 0, 0, 1]);
    expect([0, 1, 4, 5, 11].map((a) => out.targetLabels[a])).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(out.targetBboxes.subarray(4 * 11, 4 * 12))).toEqual(boxB);
    // gt 0: best metric √0.9 at anchor 0, best overlap ≈ 1 → scores √(s/0.9); anchor 5's metric is
    // √0.5·0.1875⁶. gt 1 keeps only anchor 11, whose score is its overlap ≈ 1.
    const score = (a: number, c: number) => (out.targetLabels[a] === c ? out.fgScores[a]! : 0);
    expect(score(0, 0)).toBeCloseTo(1, 5);
    expect(score(1, 0)).toBeCloseTo(2 / 3, 5);
    expect(score(4, 0)).toBeCloseTo(1 / 3, 5);
    expect(score(5, 0)).toBeCloseTo(Math.sqrt(0.5 / 0.9) * 0.1875 ** 6, 9);
    expect(score(11, 1)).toBeCloseTo(1, 5);
    expect(score(0, 1) + score(11, 0) + score(6, 1)).toBe(0);
    // Background anchors carry gt 0's label and box, as get_targets gathers index 0.
    expect(out.targetGtIdx[6]).toBe(0);
    expect(Array.from(out.targetBboxes.subarray(4 * 6, 4 * 7))).toEqual(boxA);

    // Image 1 holds one box (its second slot is padding): six anchors are inside, only 9 has a positive metric.
    expect(Array.from(out.fgMask.subarray(A))).toEqual(Array.from({ length: A }, (_, a) => (a === 9 ? 1 : 0)));
    expect(out.targetLabels[A + 9]).toBe(1);
    expect(out.fgScores[A + 9]).toBeCloseTo(1, 5);
  });

  it('excludes anchor centres on the box edge (strictly inside, eps 1e-9)', () => {
    // [4,4,20,20]: anchors at x or y = 4 or 20 lie on the edge; only anchor 5 (12, 12) is inside.
    const targets = { batchIndex: Int32Array.from([0]), cls: Int32Array.from([1]), boxes: Float32Array.from([0.375, 0.375, 0.5, 0.5]) };
    const box = [4, 4, 20, 20];
    const preds = [Object.fromEntries(Array.from({ length: A }, (_, a) => [a, { box, scores: [0.5, 0.5] }]))];
    const out = assign(1, targets, preds, { ...TAL_DEFAULTS, numClasses: 2 });
    expect(Array.from(out.fgMask).flatMap((m, a) => (m ? [a] : []))).toEqual([5]);
  });

  it('returns background everywhere (label = nc) when the batch has no boxes', () => {
    const empty = { batchIndex: new Int32Array(0), cls: new Int32Array(0), boxes: new Float32Array(0) };
    const out = assign(2, empty, [], { ...TAL_DEFAULTS, numClasses: 2 });
    expect(out.fgMask.every((m) => m === 0)).toBe(true);
    expect(out.targetLabels.every((l) => l === 2)).toBe(true);
    expect(out.fgScores.every((s) => s === 0)).toBe(true);
  });
});

// Made by tools/fixtures/assigner_fixtures.py with the PyTorch port of Ultralytics' TaskAlignedAssigner
// (top-k ties to the lowest anchor index) on random predictions over a 96 px image (189 anchors).
function loadFixture(name: string) {
  const file = fileURLToPath(new URL(`../../fixtures/assigner/${name}.safetensors`, import.meta.url));
  const map = readSafetensors(file);
  const get = (key: string) => requireTensor(map, key, file);
  const ints = (key: string) => get(key).data as Int32Array;
  const [batch, numAnchors] = get('fg_mask').shape as [number, number];
  const imgsz = ints('imgsz')[0]!;
  const targets: DetectionTargets = { batchIndex: ints('batch_idx'), cls: ints('cls'), boxes: get('bboxes').data as Float32Array };
  const gt = padTargets(targets, batch, [imgsz, imgsz]);
  const run = (): Assignment => {
    const predLogits = tf.tensor(get('pred_logits').data as Float32Array, get('pred_logits').shape);
    const predBboxes = tf.tensor(get('pred_bboxes').data as Float32Array, get('pred_bboxes').shape);
    try {
      return assignTargets({
        batchSize: batch, numAnchors, predLogits, predBboxes, anchorPoints: get('anchor_points').data as Float32Array, gt,
      }, { ...TAL_DEFAULTS, numClasses: ints('nc')[0]! });
    } finally {
      tf.dispose([predLogits, predBboxes]);
    }
  };
  return { batch, numAnchors, gt, ints, fgScores: get('fg_scores').data as Float32Array, run };
}

/** The whole assignment equals the port's: fg_mask, target_gt_idx and target_labels exactly, scores to 1e-5. */
function expectPortAssignment(fixture: ReturnType<typeof loadFixture>, got: Assignment): void {
  expect(Array.from(got.fgMask)).toEqual(Array.from(fixture.ints('fg_mask')));
  expect(Array.from(got.targetGtIdx)).toEqual(Array.from(fixture.ints('target_gt_idx')));
  expect(Array.from(got.targetLabels)).toEqual(Array.from(fixture.ints('target_labels')));
  let maxDiff = 0;
  fixture.fgScores.forEach((s, i) => { maxDiff = Math.max(maxDiff, Math.abs(got.fgScores[i]! - s)); });
  expect(maxDiff).toBeLessThan(1e-5);
}

describe('assignTargets against the PyTorch port of Ultralytics', () => {
  beforeAll(async () => { await initBackend(); });

  // One box labelled with two or three classes, its copies at several slots of several images, among boxes
  // with hundreds of candidate pairs; the last copy's last pairs sit in the vectorised CIoU's scalar tail, where
  // the native backend rounds atan differently. The copies' overlaps must still be equal, so that
  // select_highest_overlaps' argmax gives every anchor two copies picked to the first copy.
  for (const name of ['dup_b1', 'dup_b2', 'dup_b3', 'dup_b4']) {
    it(`${name}: the first of identical boxes keeps the anchors both picked`, () => {
      const fixture = loadFixture(name);
      const got = fixture.run();
      expectPortAssignment(fixture, got);
      const { gt, numAnchors, batch } = fixture;
      const box = (b: number, g: number) => Array.from(gt.boxes.subarray(4 * (b * gt.nMax + g), 4 * (b * gt.nMax + g) + 4));
      let contested = 0;
      fixture.ints('contested').forEach((c, i) => {
        if (!c) return;
        const b = Math.floor(i / numAnchors);
        const winner = got.targetGtIdx[i]!;
        const first = Array.from({ length: winner + 1 }, (_, g) => g).find((g) => box(b, g).join() === box(b, winner).join());
        expect(winner, `anchor ${i}`).toBe(first);
        contested += 1;
      });
      expect(contested).toBeGreaterThanOrEqual(batch);
    });
  }

  it('topk_tie: a zero-metric top-k pick that changes the assignment follows the lowest-index-first order', () => {
    const fixture = loadFixture('topk_tie');
    // Had ties gone to the highest index first, these anchors would be assigned differently.
    expect(fixture.ints('tie_changed').some((c) => c === 1)).toBe(true);
    expectPortAssignment(fixture, fixture.run());
  });

  it('leaks no tensors', async () => {
    const fixture = loadFixture('dup_b4');
    expect(await countLeakedTensors(() => { fixture.run(); })).toBe(0);
  });
});
