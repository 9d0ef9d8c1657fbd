// One short training run for each model family the zoo ships besides YOLOv8: YOLO11 (C3k2, C2PSA, its Detect
// head), YOLOv8-P2 and -P6 (four Detect levels, strides 4–32 and 8–64) and YOLOv5u (6×6 stem, C3). Each
// family's stock yaml at a tiny scale takes six optimizer steps (AdamW, no warmup, nbs = batch so that every
// batch steps) on one 128-px batch with the TrainingStep train() uses, and its loss falls by at least 10%;
// then a validation pass. A P3–P6 run asked for imgsz 96 trains at 128 as Ultralytics does (check_imgsz
// against the largest stride).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from '@acmix-lab/yolo';
import type { Batch } from '../data/batch.js';
import { loadDataYaml } from '../data/data-yaml.js';
import { DataLoader } from '../data/loader.js';
import { scanSplit } from '../data/scan.js';
import { synthDataset } from '../data/synth.js';
import { validate } from '../val/validate.js';
import { resolveTrainConfig } from './config.js';
import { parseResultsCsv } from './results-csv.js';
import { TrainingStep } from './step.js';
import { train } from './train.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'families-'));
const data = path.join(tmp, 'data', 'data.yaml');

/** The stock yaml with a tiny scale `t` in front (C2PSA needs width ≥ 0.125: c1·0.5 ≥ 64 for one head). */
function tinyYaml(file: string, width: number): string {
  const stock = fs.readFileSync(path.join(repoRoot, 'experiments', 'models', file), 'utf8');
  const out = path.join(tmp, file);
  fs.writeFileSync(out, stock.replace(/scales:[^\n]*\n/, `scales:\n  t: [0.33, ${width}, 1024]\n`));
  return out;
}

const FAMILIES = [
  { file: 'yolo11.yaml', width: 0.125, levels: 3 }, { file: 'yolov8-p2.yaml', width: 0.0625, levels: 4 },
  { file: 'yolov8-p6.yaml', width: 0.0625, levels: 4 }, { file: 'yolov5.yaml', width: 0.0625, levels: 3 },
];

beforeAll(async () => {
  await initBackend();
  await synthDataset({ out: path.join(tmp, 'data'), train: 8, val: 4, imgsz: 128, classes: 2, seed: 5 });
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function firstBatch(loader: DataLoader): Promise<Batch> {
  for await (const batch of loader.epoch(0, { mosaic: false })) return batch;
  throw new Error('empty loader');
}

describe('training the zoo families', () => {
  it.each(FAMILIES)('$file: six steps on one batch lower the loss; validation runs on its $levels levels', async ({ file, width, levels }) => {
    const before = tf.memory().numTensors;
    const model = buildModel(tinyYaml(file, width), { scale: 't', nc: 2, seed: 1 });
    expect(model.strides).toHaveLength(levels);
    const items = scanSplit(loadDataYaml(data).train, 2, { prefix: 'train', log: () => {} }).items;
    const loader = new DataLoader({ items, imgsz: 128, batchSize: 4, augment: false, workers: 0 });
    const config = resolveTrainConfig({ model: file, data, batch: 4, nbs: 4, imgsz: 128, optimizer: 'AdamW', lr0: 0.001, warmup_epochs: 0 });
    const step = new TrainingStep(model, config, { nc: 2, images: items.length, nb: 2 });
    try {
      const batch = await firstBatch(loader);
      const losses = Array.from({ length: 6 }, (_, i) => step.run(batch, i, 0).loss);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)!, `losses ${losses.map((l) => l.toFixed(2)).join(' → ')}`).toBeLessThan(0.9 * losses[0]!);
      const report = await validate(model, loader, { nc: 2 });
      expect([report.losses.box, report.losses.cls, report.losses.dfl, report.metrics.map50].every(Number.isFinite)).toBe(true);
    } finally {
      step.dispose();
      await loader.close();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a YOLOv8-P6 run asked for imgsz 96 trains and validates at 128 (multiples of its stride 64)', async () => {
    const lines: string[] = [];
    const res = await train({
      model: tinyYaml('yolov8-p6.yaml', 0.0625), model_scale: 't', data, epochs: 1, batch: 4, imgsz: 96, workers: 0,
      warmup_epochs: 0, plots: false, project: tmp, name: 'p6-imgsz', seed: 2,
    }, { log: (l) => lines.push(l) });
    expect(lines).toContain('WARNING ⚠️ imgsz=[96] must be multiple of max stride 64, updating to [128]');
    expect(fs.readFileSync(res.files.args, 'utf8')).toMatch(/^imgsz: 128$/m);
    const [row] = parseResultsCsv(fs.readFileSync(res.files.results, 'utf8'));
    expect(Number.isFinite(row!['metrics/mAP50-95(B)'])).toBe(true);
  });
});
