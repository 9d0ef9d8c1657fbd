// Variants against the seed's hand-edited yamls, hand-computed `from` remappings, combinations,
// grids, the rates ablation; then every variant enumerated here is built and run.
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { acmixParamCount } from '@acmix-lab/acmix';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel, loadModelYaml, modelSummary, parseModelYaml } from '@acmix-lab/yolo';
import { readSweepFile } from './sweep-file.js';
import { exerciseEnumerated, MODELS, ROOT, sweepText, variantNamed, variantsOf, writeSweep } from './test-sweeps.js';
import { enumerateVariants, type Variant } from './variants.js';

type Layer = [number | number[], number, string, unknown[]];
const layersOf = (text: string, file = 'v.yaml'): Layer[] => {
  const { spec } = parseModelYaml(text, file);
  return [...spec.backbone, ...spec.head] as Layer[];
};
const fromsOf = (v: Variant) => layersOf(v.modelYaml).map((l) => l[0]);
const modulesOf = (v: Variant) => layersOf(v.modelYaml).map((l) => l[2]);
const seedYaml = (file: string) => {
  const { spec } = loadModelYaml(path.join(MODELS, file));
  return { layers: [...spec.backbone, ...spec.head] as Layer[], backbone: spec.backbone.length };
};

const NECK = sweepText('positions:\n  P3: {after: 15}\n  P4: {after: 18}\n  P5: {after: 21}\n');

function sizeOf(v: Variant) {
  const m = buildModel(parseModelYaml(v.modelYaml, v.file), { scale: 'n' });
  const s = modelSummary(m, 64);
  m.dispose();
  return s;
}

describe('placement variants', () => {
  beforeAll(async () => { await initBackend(); });

  it("the seed's two placements: {P3, P4, P5} is version one and {P5} version two, layer by layer", () => {
    const variants = variantsOf(NECK);
    expect([...new Set(variants.map((v) => v.name))]).toEqual([
      'yolov8n', 'yolov8n+P3', 'yolov8n+P4', 'yolov8n+P5', 'yolov8n+P3+P4', 'yolov8n+P3+P5', 'yolov8n+P4+P5', 'yolov8n+P3+P4+P5']);
    for (const [name, file] of [['yolov8n+P3+P4+P5', 'yolov8-acmix-neck.yaml'], ['yolov8n+P5', 'yolov8-acmix-p5.yaml'], ['yolov8n', 'yolov8.yaml']]) {
      const v = variantNamed(variants, name!);
      const seed = seedYaml(file!);
      expect(layersOf(v.modelYaml), name).toEqual(seed.layers); // from, repeats, module, args
      expect(parseModelYaml(v.modelYaml, v.file).spec.backbone.length).toBe(seed.backbone);
    }
    expect(fromsOf(variantNamed(variants, 'yolov8n+P3+P4+P5')).at(-1)).toEqual([16, 20, 24]);
  });

  it("each variant's parameters are the baseline's plus the placed ACmix modules'", () => {
    const variants = variantsOf(NECK);
    const base = sizeOf(variantNamed(variants, 'yolov8n')).params;
    const acm = (c: number) => acmixParamCount({ inPlanes: c, outPlanes: c });
    expect(base).toBe(3_157_200);
    expect(sizeOf(variantNamed(variants, 'yolov8n+P3+P4+P5')).params).toBe(base + acm(64) + acm(128) + acm(256));
    expect(sizeOf(variantNamed(variants, 'yolov8n+P5')).params).toBe(base + acm(256));
  });

  it('writes a complete Ultralytics yaml: the one scale, `# <index>` on every layer, placed layers labelled', () => {
    const v = variantNamed(variantsOf(NECK), 'yolov8n+P3+P5');
    expect(v.modelYaml).toContain('scales:\n  n: [0.33, 0.25, 1024]\n');
    const layerLines = v.modelYaml.split('\n').filter((l) => l.startsWith('  - ['));
    expect(layerLines.map((l) => Number(/# (\d+)/.exec(l)![1]))).toEqual([...Array(25).keys()]);
    expect(layerLines[16]).toBe('  - [-1, 1, ACmix, []] # 16 P3: after 15');
    expect(layerLines[24]).toBe('  - [[16, 19, 23], 1, Detect, [nc]] # 24');
  });

  describe('index remapping', () => {
    const after = (layers: number[]) => variantsOf(sweepText(`positions:\n${layers.map((l) => `  A${l}: {after: ${l}}`).join('\n')}\ncombine: [[${layers.map((l) => `A${l}`).join(', ')}]]\n`))[0]!;
    // yolov8's from column with every layer past the insertion one further: the same for all single inserts in the backbone.
    const singleBackboneInsert = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, [-1, 7], -1, -1, [-1, 5], -1, -1, [-1, 13], -1, -1, [-1, 10], -1, [16, 19, 22]];

    it('after layer 0: the new layer reads layer 0 and the rest shift', () => {
      const v = after([0]);
      expect(fromsOf(v)).toEqual(singleBackboneInsert);
      expect(modulesOf(v)[1]).toBe('ACmix');
    });

    it('after 3, right before the C2f the P3 Concat reads: the Concat still reads that C2f', () => {
      const v = after([3]);
      expect(fromsOf(v)).toEqual(singleBackboneInsert);
      expect([modulesOf(v)[4], modulesOf(v)[5]]).toEqual(['ACmix', 'C2f']); // Concat [-1, 5] reads the C2f
    });

    it('after 4 and after 6, the layers Concats read: the Concats read the new layer', () => {
      const v4 = after([4]);
      expect(fromsOf(v4)).toEqual(singleBackboneInsert);
      expect(modulesOf(v4)[5]).toBe('ACmix'); // Concat [-1, 5]
      const v6 = after([6]);
      expect(fromsOf(v6)).toEqual([-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, [-1, 7], -1, -1, [-1, 4], -1, -1, [-1, 13], -1, -1, [-1, 10], -1, [16, 19, 22]]);
      expect(modulesOf(v6)[7]).toBe('ACmix'); // Concat [-1, 7]; the P3 Concat still reads layer 4
    });

    it('after 21, right before Detect: Detect reads the new layer', () => {
      const v = after([21]);
      expect(fromsOf(v).slice(-2)).toEqual([-1, [15, 18, 22]]);
      expect(modulesOf(v).slice(-2)).toEqual(['ACmix', 'Detect']);
    });

    it('several insertions in one pass (0, 6, 15, 21), whatever order the positions are listed in', () => {
      const expected = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, [-1, 8], -1, -1, [-1, 5], -1, -1, -1, [-1, 14], -1, -1, [-1, 11], -1, -1, [18, 21, 25]];
      const v = after([0, 6, 15, 21]);
      expect(fromsOf(v)).toEqual(expected);
      expect(modulesOf(v).flatMap((m, i) => (m === 'ACmix' ? [i] : []))).toEqual([1, 8, 18, 25]);
      const reversed = after([21, 15, 6, 0]);
      expect(layersOf(reversed.modelYaml)).toEqual(layersOf(v.modelYaml));
      expect(reversed.key).toBe(v.key);
    });

    it('relative `from` values that span an insertion are lengthened; those reaching the layer before it now read the new layer', () => {
      const model = writeSweep('nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [16, 3, 1]]\n  - [-1, 1, Conv, [16, 3, 1]]\n' +
        '  - [[-1, -3], 1, Concat, [1]]\nhead:\n  - [[-1], 1, Detect, [nc]]\n', 'tiny.yaml');
      const variants = variantsOf(sweepText('positions:\n  A0: {after: 0}\n  A1: {after: 1}\ncombine: {size: 1}\n', `name: t\nmodel: ${model}\ndata: d.yaml\n`));
      expect(fromsOf(variantNamed(variants, 'tiny+A1'))).toEqual([-1, -1, -1, -1, [-1, -4], [-1]]); // still reads layer 0
      expect(fromsOf(variantNamed(variants, 'tiny+A0'))).toEqual([-1, -1, -1, -1, [-1, -3], [-1]]); // reads the new layer 1
    });
  });

  it('replace and residual in the backbone: the stride-2 ACmix of yolov8-acmix-backbone.yaml, and C2f_ACmix at layer 6', () => {
    const variants = variantsOf(sweepText('positions:\n  B7: {replace: 7, args: [1024, 7, 4, 3, 2]}\n  R6: {residual: backbone.P4}\ncombine: {size: 1}\n'));
    expect(layersOf(variantNamed(variants, 'yolov8n+B7').modelYaml)).toEqual(seedYaml('yolov8-acmix-backbone.yaml').layers);
    const r6 = layersOf(variantNamed(variants, 'yolov8n+R6').modelYaml);
    const base = seedYaml('yolov8.yaml').layers;
    expect(r6[6]).toEqual([-1, 6, 'C2f_ACmix', [512, true]]);
    expect(r6.filter((_, i) => i !== 6)).toEqual(base.filter((_, i) => i !== 6));
  });

  it("residual on the head's C2f blocks is the shipped yolov8-c2f-acmix.yaml", () => {
    const v = variantsOf(sweepText('positions:\n  R15: {residual: 15}\n  R18: {residual: 18}\n  R21: {residual: neck.P5}\ncombine: [[R15, R18, R21]]\n'))[0]!;
    expect(layersOf(v.modelYaml)).toEqual(seedYaml('yolov8-c2f-acmix.yaml').layers);
  });

  it('combine: subsets, {size: k} (with the baseline) and explicit lists (in file order)', () => {
    const body = 'positions:\n  P3: {after: 15}\n  P4: {after: 18}\n  P5: {after: 21}\n';
    const names = (combine: string) => [...new Set(variantsOf(sweepText(`${body}combine: ${combine}\n`)).map((v) => v.name))];
    expect(names('{size: 2}')).toEqual(['yolov8n', 'yolov8n+P3+P4', 'yolov8n+P3+P5', 'yolov8n+P4+P5']);
    expect(names('{size: 0}')).toEqual(['yolov8n']);
    expect(names('[[P5, P3], [P4]]')).toEqual(['yolov8n+P3+P5', 'yolov8n+P4']);
  });

  it('grid: module axes multiply the variants that place the module, training axes all of them; seeds repeat each', () => {
    const variants = variantsOf(sweepText(`positions:\n  P5: {after: 21}\n  R6: {residual: 6}\ngrid:\n  module.kernel_conv: [3, 5]\n  module.head: [2, 4]\n` +
      '  train.lr0: [0.01, 0.002]\nseeds: [0, 1]\ntrain: {epochs: 3, imgsz: 96}\n'));
    const names = [...new Set(variants.map((v) => v.name))];
    // R6 (C2f_ACmix) has no kernel_conv: only head multiplies it.
    expect(names.filter((n) => !n.includes('+P5'))).toEqual(['yolov8n_lr0=0.01', 'yolov8n_lr0=0.002', 'yolov8n+R6_head=2_lr0=0.01',
      'yolov8n+R6_head=2_lr0=0.002', 'yolov8n+R6_head=4_lr0=0.01', 'yolov8n+R6_head=4_lr0=0.002']);
    expect(names.filter((n) => n.includes('+P5'))).toHaveLength(2 * 8);
    expect(variants).toHaveLength(2 * names.length);
    const v = variantNamed(variants, 'yolov8n+P5+R6_kernel_conv=5_head=2_lr0=0.002');
    expect(v.grid).toEqual({ 'module.kernel_conv': 5, 'module.head': 2, 'train.lr0': 0.002 });
    expect(layersOf(v.modelYaml).filter((l) => l[2].includes('ACmix')).map((l) => l[3])).toEqual([[512, true, 7, 2], ['None', 7, 2, 5]]); // as written: parse_model evaluates 'None'
    expect(v.train).toEqual({ epochs: 3, imgsz: 96, lr0: 0.002, model: `${v.name}.yaml`, model_scale: 'n', data: path.join(ROOT, 'datasets/d/data.yaml'), seed: 0 });
    expect(v.imgsz).toBe(96);
  });

  it('rates ablation: grid module.rates keeps the parameters; a frozen rate is no gradient and receives none', () => {
    const variants = variantsOf(sweepText('positions:\n  P5: {after: 21}\ncombine: [[P5]]\ngrid:\n  module.rates: [learned, conv, attention, fixed]\n'));
    expect(variants.map((v) => v.name)).toEqual(['yolov8n+P5_rates=learned', 'yolov8n+P5_rates=conv', 'yolov8n+P5_rates=attention', 'yolov8n+P5_rates=fixed']);
    const learned = sizeOf(variants[0]!);
    for (const v of variants) {
      const m = buildModel(parseModelYaml(v.modelYaml, v.file), { scale: 'n' });
      const s = modelSummary(m, 64);
      const frozen = v.grid['module.rates'] !== 'learned';
      expect([s.params, s.gradients], v.name).toEqual([learned.params, learned.gradients - (frozen ? 2 : 0)]);
      const rates = m.model.weights.filter((w) => /\/rate[12]$/.test(w.originalName)).map((w) => (w.read() as tf.Variable).name);
      const x = tf.randomUniform([1, 64, 64, 3], 0, 1, 'float32', 1);
      const { value, grads } = tf.variableGrads(() => tf.sum(m.forwardTrain(x as tf.Tensor4D)) as tf.Scalar);
      expect(rates.map((r) => r in grads), v.name).toEqual(frozen ? [false, false] : [true, true]);
      tf.dispose([x, value, grads]);
      m.dispose();
    }
  });

  it('every variant enumerated above builds, runs forward and backward, and leaks no tensors', exerciseEnumerated);
});

it('the shipped seed sweep (experiments/sweeps/seed.yaml) is the baseline and the seed\'s two yamls', () => {
  const variants = enumerateVariants(readSweepFile(path.join(ROOT, 'experiments/sweeps/seed.yaml'), { cwd: ROOT })).filter((v) => v.seed === 0);
  expect(variants.map((v) => v.name)).toEqual(['yolov8n', 'yolov8n+P3+P4+P5', 'yolov8n+P5']);
  expect(variants.map((v) => layersOf(v.modelYaml))).toEqual(['yolov8.yaml', 'yolov8-acmix-neck.yaml', 'yolov8-acmix-p5.yaml'].map((f) => seedYaml(f).layers));
});

it("the issue's example sweep (experiments/sweeps/acmix-neck.yaml): 32 subsets × head × lr0 × 3 seeds, every key distinct", () => {
  const variants = enumerateVariants(readSweepFile(path.join(ROOT, 'experiments/sweeps/acmix-neck.yaml'), { cwd: ROOT }));
  const names = new Set(variants.map((v) => v.name));
  expect(names.size).toBe(2 + 31 * 2 * 2); // the baseline has no ACmix to vary the head of
  expect(variants).toHaveLength(3 * names.size);
  expect(new Set(variants.map((v) => v.key)).size).toBe(variants.length);
  const all = variantNamed(variants, 'yolov8n+P3+P4+P5+B7+R6_head=2_lr0=0.01');
  expect(layersOf(all.modelYaml).map((l) => l[0]).at(-1)).toEqual([16, 20, 24]);
  expect(layersOf(all.modelYaml).slice(6, 8)).toEqual([[-1, 6, 'C2f_ACmix', [512, true, 7, 2]], [-1, 1, 'ACmix', [1024, 7, 2, 3, 2]]]);
});

it('the demo sweeps (experiments/sweeps/demo.yaml, demo-halving.yaml): the baseline, the seed\'s two placements, one backbone and one residual, two seeds; the same runs', () => {
  const read = (f: string) => readSweepFile(path.join(ROOT, 'experiments/sweeps', f), { cwd: ROOT });
  const [grid, halving] = [read('demo.yaml'), read('demo-halving.yaml')];
  const variants = enumerateVariants(grid);
  expect([...new Set(variants.map((v) => v.name))]).toEqual(['yolov8n', 'yolov8n+P3+P4+P5', 'yolov8n+P5', 'yolov8n+B7', 'yolov8n+R6']);
  expect(variants.filter((v) => v.seed === 0).slice(0, 3).map((v) => layersOf(v.modelYaml)))
    .toEqual(['yolov8.yaml', 'yolov8-acmix-neck.yaml', 'yolov8-acmix-p5.yaml'].map((f) => seedYaml(f).layers));
  expect(variants.map((v) => v.seed)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  expect(enumerateVariants(halving).map((v) => v.key)).toEqual(variants.map((v) => v.key)); // the strategy is not part of a run
  expect([grid.strategy, halving.strategy]).toEqual([{ kind: 'grid' }, { kind: 'halving', minEpochs: 5, eta: 2 }]);
});
