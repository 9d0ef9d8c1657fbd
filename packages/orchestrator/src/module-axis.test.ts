// A list of modules compared at the same positions (`module: [[ACmix, []], [CBAM, [7]], [SE, []]]`):
// names, order, the baseline once, per-module args and grid axes, keys shared with a one-module sweep,
// replace with a module that keeps its channels, every error; then every variant is built and run.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '@acmix-lab/runtime';
import { parseModelYaml } from '@acmix-lab/yolo';
import { errorOf, exerciseEnumerated, ROOT, sweepText, variantNamed, variantsOf } from './test-sweeps.js';
import type { Variant } from './variants.js';

type Layer = [number | number[], number, string, unknown[]];
const layersOf = (v: Variant): Layer[] => {
  const { spec } = parseModelYaml(v.modelYaml, v.file);
  return [...spec.backbone, ...spec.head] as Layer[];
};
const namesOf = (variants: Variant[]) => [...new Set(variants.map((v) => v.name))];

const YOLO11 = 'name: t\nmodel: experiments/models/yolo11.yaml\nscales: [n]\ndata: datasets/d/data.yaml\n';
const MODULES = 'module:\n  - [ACmix, []]\n  - [CBAM, []]\n';

describe('a module list: each module a variant axis at the same positions', () => {
  beforeAll(async () => { await initBackend(); });

  it('the shipped sweep (experiments/sweeps/yolo11-attention.yaml): the baseline once, then each module at each combination', () => {
    const variants = variantsOf(fs.readFileSync(path.join(ROOT, 'experiments/sweeps/yolo11-attention.yaml'), 'utf8'));
    expect(namesOf(variants)).toEqual([
      'yolo11n', 'yolo11n+ACmix@P3+P4+P5', 'yolo11n+CBAM@P3+P4+P5', 'yolo11n+SE@P3+P4+P5', 'yolo11n+ACmix@P5', 'yolo11n+CBAM@P5', 'yolo11n+SE@P5']);
    expect(variants).toHaveLength(7 * 3);
    expect(variants.filter((v) => v.seed === 0).map((v) => [v.module, v.positions])).toEqual([
      [null, []], ['ACmix', ['P3', 'P4', 'P5']], ['CBAM', ['P3', 'P4', 'P5']], ['SE', ['P3', 'P4', 'P5']], ['ACmix', ['P5']], ['CBAM', ['P5']], ['SE', ['P5']]]);
    expect(new Set(variants.map((v) => v.key)).size).toBe(21);
    // YOLO11n's neck outputs are layers 16, 19, 22; the inserted modules become 17, 21, 25 and Detect reads them.
    const cbam = layersOf(variantNamed(variants, 'yolo11n+CBAM@P3+P4+P5'));
    expect([17, 21, 25].map((i) => cbam[i])).toEqual([[-1, 1, 'CBAM', [7]], [-1, 1, 'CBAM', [7]], [-1, 1, 'CBAM', [7]]]);
    expect(cbam.at(-1)![0]).toEqual([17, 21, 25]);
    expect(layersOf(variantNamed(variants, 'yolo11n+SE@P5')).slice(23)).toEqual([[-1, 1, 'SE', []], [[16, 19, 23], 1, 'Detect', ['nc']]]);
  });

  it('a module\'s variants have the keys a one-module sweep gives the same network', () => {
    const listed = variantsOf(`${YOLO11}${MODULES}positions:\n  P5: {after: neck.P5}\n`);
    const alone = variantsOf(`${YOLO11}module: [CBAM, []]\npositions:\n  P5: {after: neck.P5}\n`);
    expect(namesOf(alone)).toEqual(['yolo11n', 'yolo11n+P5']);
    expect(variantNamed(listed, 'yolo11n+CBAM@P5').key).toBe(variantNamed(alone, 'yolo11n+P5').key);
    expect(variantNamed(listed, 'yolo11n').key).toBe(variantNamed(alone, 'yolo11n').key);
    expect(alone.map((v) => v.module)).toEqual([null, 'CBAM']);
  });

  it('module.<arg> multiplies the modules that have the arg, module.<Module>.<arg> one module; position args by module', () => {
    const shared = variantsOf(sweepText(`${MODULES}positions:\n  P5: {after: 21}\ncombine: [[], [P5]]\ngrid:\n  module.kernel_size: [3, 7]\n  module.head: [2]\n`));
    expect(namesOf(shared)).toEqual(['yolov8n', 'yolov8n+ACmix@P5_head=2', 'yolov8n+CBAM@P5_kernel_size=3', 'yolov8n+CBAM@P5_kernel_size=7']);
    expect(variantNamed(shared, 'yolov8n+CBAM@P5_kernel_size=3').grid).toEqual({ 'module.kernel_size': 3 });
    const one = variantsOf(sweepText(`module:\n  - [CBAM, []]\n  - [SpatialAttention, []]\npositions:\n  P5: {after: 21}\ncombine: [[P5]]\ngrid:\n  module.CBAM.kernel_size: [3]\n`));
    expect(namesOf(one)).toEqual(['yolov8n+CBAM@P5_kernel_size=3', 'yolov8n+SpatialAttention@P5']);
    expect(layersOf(variantNamed(one, 'yolov8n+CBAM@P5_kernel_size=3'))[22]).toEqual([-1, 1, 'CBAM', [3]]);
    const byModule = variantsOf(sweepText(`${MODULES}positions:\n  P5: {after: 21, args: {ACmix: [None, 7, 2]}}\ncombine: [[P5]]\n`));
    expect(layersOf(variantNamed(byModule, 'yolov8n+ACmix@P5'))[22]).toEqual([-1, 1, 'ACmix', ['None', 7, 2]]); // as Ultralytics writes it
    expect(layersOf(variantNamed(byModule, 'yolov8n+CBAM@P5'))[22]).toEqual([-1, 1, 'CBAM', []]);
  });

  it('replace: ACmix takes the layer\'s c2, a module without one keeps its input channels (CBAM for YOLO11\'s C2PSA)', () => {
    const variants = variantsOf(`${YOLO11}${MODULES}positions:\n  PSA: {replace: 10}\ncombine: [[PSA]]\n`);
    expect(layersOf(variantNamed(variants, 'yolo11n+ACmix@PSA'))[10]).toEqual([-1, 1, 'ACmix', [1024]]);
    expect(layersOf(variantNamed(variants, 'yolo11n+CBAM@PSA'))[10]).toEqual([-1, 1, 'CBAM', []]);
    // strides come from every family's modules: YOLO11's layer 7 and YOLOv8-P6's layer 9 (P6/64) downsample
    expect(errorOf(`${YOLO11}positions:\n  B7: {replace: 7}\n`)).toBe('sweep.yaml:6:17: positions.B7.replace: layer 7 (Conv) has stride 2, ' +
      "but ACmix [1024] has stride 1; set it in the position's args, e.g. args: [1024, 7, 4, 3, 2]");
    expect(errorOf('name: t\nmodel: experiments/models/yolov8-p6.yaml\nscales: [n]\ndata: d.yaml\npositions:\n  B9: {replace: backbone.9}\n'))
      .toMatch(/^sweep\.yaml:6:17: positions\.B9\.replace: layer 9 \(Conv\) has stride 2, but ACmix \[1024\] has stride 1; /);
    // layer 13 reads 384 channels and writes 128: CBAM cannot stand in for it
    expect(errorOf(`${YOLO11}${MODULES}positions:\n  N: {replace: 13}\n`)).toBe('sweep.yaml:9:6: positions.N: variant yolo11n+CBAM@N: CBAM outputs 384 channels where layer 13 outputs 128');
  });

  it('errors: each one line at the module list, the position or the axis', () => {
    const p5 = 'positions:\n  P5: {after: 21}\n';
    expect(errorOf(sweepText(`module:\n  - [ACmix, []]\n  - [ACmix, [null, 7, 2]]\n${p5}`)))
      .toBe('sweep.yaml:7:6: module[1][0]: ACmix is listed twice: compare its args with a grid axis (module.ACmix.<arg>)');
    expect(errorOf(sweepText(`module:\n  - [ACmix, []]\n  - [GAM, []]\n${p5}`))).toMatch(/^sweep\.yaml:7:6: module\[1\]\[0\]: unknown module 'GAM' \(known: /);
    expect(errorOf(sweepText(`module:\n  - [ACmix, []]\n  - [C2f, [64]]\n${p5}`)))
      .toBe('sweep.yaml:7:6: module[1][0]: C2f cannot be placed: a placed module reads one layer and is not a repeated block (C2f and the like)');
    expect(errorOf(sweepText(`module:\n  - [ACmix, []]\n  - [CBAM, [5]]\n${p5}`))).toBe('sweep.yaml:7:13: module[1][1][0]: CBAM (kernel_size): kernel size must be 3 or 7');
    expect(errorOf(sweepText(`module: [[ACmix]]\n${p5}`))).toBe('sweep.yaml:5:9: module: a module and its yaml args, [ACmix, []], or a list of them, [[ACmix, []], [CBAM, [7]]]');
    expect(errorOf(sweepText(`${MODULES}positions:\n  P5: {after: 21, args: [None, 7, 2]}\n`)))
      .toBe('sweep.yaml:9:25: positions.P5.args: with several modules give args by module, e.g. args: {ACmix: [None, 7, 2]}');
    expect(errorOf(sweepText(`${MODULES}positions:\n  P5: {after: 21, args: {SE: [8]}}\n`))).toBe("sweep.yaml:9:30: positions.P5.args.SE: no module SE in the sweep's module list (ACmix, CBAM)");
    expect(errorOf(sweepText(`${MODULES}positions:\n  P5: {after: 21, args: {CBAM: [4]}}\n`))).toBe('sweep.yaml:9:33: positions.P5.args.CBAM[0]: CBAM (kernel_size): kernel size must be 3 or 7');
    expect(errorOf(sweepText(`${MODULES}positions:\n  R6: {residual: 6}\n`)))
      .toBe('sweep.yaml:9:18: positions.R6.residual: CBAM has no residual form (no module C2f_CBAM): a residual position needs one for every listed module');
    expect(errorOf(sweepText(`${MODULES}${p5}grid:\n  module.reduction: [8]\n`)))
      .toBe("sweep.yaml:11:21: grid.module.reduction: no listed module has an arg 'reduction' (ACmix: c2, kernel_att, head, kernel_conv, stride, dilation, rates; CBAM: kernel_size)");
    expect(errorOf(sweepText(`${MODULES}${p5}grid:\n  module.SE.reduction: [8]\n`))).toBe("sweep.yaml:11:24: grid.module.SE.reduction: no module SE in the sweep's module list (ACmix, CBAM)");
    expect(errorOf(sweepText(`${MODULES}${p5}grid:\n  module.CBAM.head: [2]\n`))).toBe("sweep.yaml:11:21: grid.module.CBAM.head: CBAM has no arg 'head' (args: kernel_size)");
    expect(errorOf(sweepText(`${MODULES}${p5}grid:\n  module.kernel_size: [3]\n  module.CBAM.kernel_size: [7]\n`)))
      .toBe("sweep.yaml:12:28: grid.module.CBAM.kernel_size: sets CBAM's kernel_size, as grid.module.kernel_size does");
    expect(errorOf(sweepText(`${MODULES}${p5}grid:\n  module.kernel_size: [3, 5]\n`))).toBe('sweep.yaml:11:27: grid.module.kernel_size[1]: CBAM kernel_size: kernel size must be 3 or 7');
  });

  it('every variant enumerated above builds, runs forward and backward, and leaks no tensors', exerciseEnumerated);
});
