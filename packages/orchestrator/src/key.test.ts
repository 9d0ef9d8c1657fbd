// Keys: what they identify (model, training config, seed) and what they ignore.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelYaml, parseModelYaml, planModel } from '@acmix-lab/yolo';
import { keyedTrainConfig, runKey } from './key.js';
import { readSweepFile } from './sweep-file.js';
import { MODELS, ROOT, sweepText, variantNamed, writeSweep } from './test-sweeps.js';
import { enumerateVariants } from './variants.js';

const variantsOf = (text: string) => enumerateVariants(readSweepFile(writeSweep(text), { cwd: ROOT }));

describe('variant keys', () => {
  it('the same variant in two sweeps has the same key, whatever the sweep, position names and layer references', () => {
    const a = variantsOf(sweepText('positions:\n  P3: {after: 15}\n  P5: {after: 21}\nseeds: [0, 1]\ntrain: {epochs: 3}\n'));
    const b = variantsOf(sweepText('positions:\n  Large: {after: neck.P5}\ncombine: [[Large]]\nseeds: [1]\ntrain: {epochs: 3, project: runs/elsewhere, workers: 0}\n',
      'name: other\nmodel: experiments/models/yolov8n.yaml\ndata: datasets/d/data.yaml\n'));
    const inA = a.find((v) => v.name === 'yolov8n+P5' && v.seed === 1)!;
    expect(b[0]!.name).toBe('yolov8n+Large');
    expect(b[0]!.key).toBe(inA.key);
    expect(b[0]!.variantKey).toBe(inA.variantKey);
  });

  it("a hand-written yaml of the same network has the variant's key: the seed's version two, and `from` written relative", () => {
    const v = variantNamed(variantsOf(sweepText('positions:\n  P5: {after: 21}\n')), 'yolov8n+P5');
    expect(runKey(planModel(loadModelYaml(path.join(MODELS, 'yolov8-acmix-p5.yaml')), { scale: 'n' }), v.train)).toBe(v.key);
    const base = variantNamed(variantsOf(sweepText('positions:\n  P5: {after: 21}\n')), 'yolov8n');
    const relative = fs.readFileSync(path.join(MODELS, 'yolov8.yaml'), 'utf8').replace('[[-1, 6], 1, Concat', '[[-1, -5], 1, Concat');
    expect(relative).toContain('[[-1, -5], 1, Concat');
    expect(runKey(planModel(parseModelYaml(relative, 'rel.yaml'), { scale: 'n' }), base.train)).toBe(base.key);
  });

  it('changes with the seed, the scale, the placements and results-changing training arguments; not with where outputs go', () => {
    const variants = variantsOf(sweepText('positions:\n  P5: {after: 21}\nseeds: [0, 1]\ngrid:\n  train.lr0: [0.01, 0.02]\n'));
    const [s0, s1] = variants.filter((v) => v.name === 'yolov8n+P5_lr0=0.01');
    expect(s0!.key).not.toBe(s1!.key);
    expect(s0!.variantKey).toBe(s1!.variantKey);
    expect(new Set(variants.map((v) => v.key)).size).toBe(variants.length);
    const train = s0!.train;
    const plan = planModel(parseModelYaml(s0!.modelYaml, s0!.file));
    expect(runKey(plan, { ...train, project: 'x', name: 'y', exist_ok: true, verbose: false, plots: false, workers: 8, save_period: 5 })).toBe(s0!.key);
    expect(runKey(plan, { ...train, epochs: 100 })).toBe(runKey(plan, { ...train })); // 100 is the default
    for (const change of [{ epochs: 7 }, { mosaic: 0.5 }, { data: '/elsewhere/data.yaml' }, { deterministic: false }]) {
      expect(runKey(plan, { ...train, ...change }), JSON.stringify(change)).not.toBe(s0!.key);
    }
    const atS = planModel(parseModelYaml(s0!.modelYaml.replace('  n: [0.33, 0.25, 1024]', '  s: [0.33, 0.50, 1024]'), 'yolov8s+P5.yaml'));
    expect(runKey(atS, train)).not.toBe(s0!.key);
    expect(Object.keys(keyedTrainConfig(train))).not.toContain('project');
  });

  it('is stable across runs and machines for the same inputs (bump KEY_VERSION when the normalisation changes)', () => {
    const [base, p5] = variantsOf(sweepText('positions:\n  P5: {after: 21}\ntrain: {epochs: 30, imgsz: 128, batch: 16}\n',
      'name: t\nmodel: experiments/models/yolov8.yaml\nscales: [n]\ndata: /data/synth-shapes/data.yaml\n'));
    expect([base!.key, p5!.key]).toEqual(['8bf11da72790ee89', '7a59793799e7b6d7']);
  });
});
