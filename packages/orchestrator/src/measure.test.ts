// Sizes without training, the yaml files, and the table of `acmix-lab variants`.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { acmixParamCount } from '@acmix-lab/acmix';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel, loadModelYaml, modelSummary } from '@acmix-lab/yolo';
import { formatVariantTable, measureVariants, writeVariantModels } from './measure.js';
import { readSweep, sweepText } from './test-sweeps.js';
import { enumerateVariants } from './variants.js';

describe('measureVariants', () => {
  beforeAll(async () => { await initBackend(); });

  const sweep = readSweep(sweepText('positions:\n  P5: {after: 21}\n  B7: {replace: 7, args: [1024, 7, 4, 3, 2]}\ncombine: {size: 1}\n' +
    'seeds: [0, 1]\ntrain: {imgsz: 96}\n'));
  const variants = enumerateVariants(sweep);

  it('builds each distinct network once and gives parameters, GFLOPs at imgsz and the difference from the base', () => {
    const before = tf.memory().numTensors;
    const progress: [number, number][] = [];
    const sizes = measureVariants(sweep, variants, (done, total) => progress.push([done, total]));
    expect(tf.memory().numTensors).toBe(before);
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]); // the baseline variant is the base model: built once
    const m = buildModel(loadModelYaml(sweep.model.file), { scale: 'n' });
    const base = modelSummary(m, 96);
    m.dispose();
    const acm = (c1: number, c2: number) => acmixParamCount({ inPlanes: c1, outPlanes: c2 });
    expect(sizes.get('yolov8n')).toEqual({ params: base.params, gradients: base.gradients, gflops: base.gflops, imgsz: 96, deltaParams: 0, deltaGflops: 0 });
    expect(sizes.get('yolov8n+P5')!.deltaParams).toBe(acm(256, 256));
    expect(sizes.get('yolov8n+B7')!.deltaParams).toBe(acm(128, 256) - (9 * 128 * 256 + 2 * 256));
    expect(sizes.get('yolov8n+P5')!.deltaGflops).toBeGreaterThan(0);

    const table = formatVariantTable(variants, sizes).split('\n');
    expect(table[0]).toMatch(/^variant +scale +positions +grid +params +Δparams +GFLOPs@96 +ΔGFLOPs +key by seed$/);
    expect(table).toHaveLength(1 + 3);
    const p5 = variants.filter((v) => v.name === 'yolov8n+P5');
    expect(table[2]).toMatch(new RegExp(`^yolov8n\\+P5 +n +P5 +- +3,375,614 +\\+218,414 +[\\d.]+ +\\+[\\d.]+ +0:${p5[0]!.key} 1:${p5[1]!.key}$`));
    expect(table[1]).toMatch(/^yolov8n +n +\(baseline\) +- +3,157,200 +0 +[\d.]+ +0 /);
  });

  it('writes one model yaml per variant, which builds the same network', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'variants-'));
    const files = writeVariantModels(variants, dir);
    expect([...files.keys()]).toEqual(['yolov8n', 'yolov8n+P5', 'yolov8n+B7']);
    expect(fs.readdirSync(dir).sort()).toEqual(['yolov8n+B7.yaml', 'yolov8n+P5.yaml', 'yolov8n.yaml']);
    expect(fs.readFileSync(files.get('yolov8n+B7')!, 'utf8')).toBe(variants.find((v) => v.name === 'yolov8n+B7')!.modelYaml);
    // The file name carries the scale, as Ultralytics expects (yolov8n+B7.yaml → n).
    expect(loadModelYaml(files.get('yolov8n+B7')!).spec.backbone[7]).toEqual([-1, 1, 'ACmix', [1024, 7, 4, 3, 2]]);
  });
});
