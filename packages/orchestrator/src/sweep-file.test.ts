// Every invalid sweep gives one line naming the sweep file, line, column and field.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readSweepFile } from './sweep-file.js';
import { errorOf, MODELS, ROOT, sweepText, writeSweep } from './test-sweeps.js';
import { enumerateVariants } from './variants.js';

const YOLOV8 = path.join(MODELS, 'yolov8.yaml');
const positions = (lines: string) => sweepText(`positions:\n${lines}`);

describe('sweep file errors (line 5 is the first after the 4-line header)', () => {
  it('a layer index out of range, or a name the model does not define', () => {
    expect(errorOf(positions('  P3: {after: 23}\n'))).toBe(`sweep.yaml:6:15: positions.P3.after: no layer 23 in ${YOLOV8} (layers 0 … 22, ` +
      'backbone.0 … backbone.9, head.0 … head.12, backbone.P1, backbone.P2, backbone.P3, backbone.P4, backbone.P5, neck.P3, neck.P4, neck.P5, detect)');
    expect(errorOf(positions('  P7: {after: neck.P7}\n'))).toMatch(/^sweep\.yaml:6:15: positions\.P7\.after: no layer "neck\.P7" in .*yolov8\.yaml \(layers 0 … 22, /);
  });

  it('after or replace on Detect; residual on a layer that is not a C2f; replace on a Concat', () => {
    expect(errorOf(positions('  D: {after: detect}\n'))).toBe("sweep.yaml:6:14: positions.D.after: layer 22 (Detect) is the model's output: nothing can follow it");
    expect(errorOf(positions('  D: {replace: 22}\n'))).toBe("sweep.yaml:6:16: positions.D.replace: layer 22 (Detect) is the model's output: nothing can replace it");
    expect(errorOf(positions('  R: {residual: 7}\n'))).toBe("sweep.yaml:6:17: positions.R.residual: layer 7 (Conv): residual needs a C2f (ACmix goes inside its bottlenecks' residual connections)");
    expect(errorOf(positions('  C: {replace: 11}\n'))).toBe('sweep.yaml:6:16: positions.C.replace: layer 11 (Concat) reads 2 layers; ACmix takes one input');
  });

  it('two placements on one layer that conflict, in subsets and in an explicit combination', () => {
    expect(errorOf(positions('  P3: {after: 15}\n  Q: {after: neck.P3}\n'))).toBe('sweep.yaml:7:6: positions.Q: Q conflicts with P3: both insert after layer 15');
    expect(errorOf(positions('  B: {replace: 6}\n  R: {residual: 6}\n'))).toBe('sweep.yaml:7:6: positions.R: R conflicts with B: one replaces layer 6, the other makes it a residual form');
    expect(errorOf(positions('  P3: {after: 15}\n  Q: {after: 15}\ncombine: [[P3], [Q], [P3, Q]]\n')))
      .toBe('sweep.yaml:8:22: combine[2]: Q conflicts with P3: both insert after layer 15');
    // One position of each kind on a layer is allowed only as after + replace or after + residual.
    expect(() => enumerateVariants(readSweepFile(writeSweep(positions('  A: {after: 6}\n  R: {residual: 6}\n')), { cwd: ROOT }))).not.toThrow();
  });

  it('replace: the stride and channels of the layer it takes over', () => {
    expect(errorOf(positions('  B7: {replace: 7}\n'))).toBe('sweep.yaml:6:17: positions.B7.replace: layer 7 (Conv) has stride 2, but ACmix [1024] has stride 1; ' +
      "set it in the position's args, e.g. args: [1024, 7, 4, 3, 2]");
    expect(errorOf(positions('  B7: {replace: 7, args: [512, 7, 4, 3, 2]}\n'))).toBe('sweep.yaml:6:27: positions.B7.args[0]: replace keeps layer 7 (Conv)\'s output channels: c2 1024, not 512');
    expect(errorOf(positions('  P: {after: 15, args: [null, 7, 4, 3, 2]}\n'))).toBe('sweep.yaml:6:14: positions.P.after: a module after layer 15 must keep its size (stride 1), ' +
      "but ACmix [None, 7, 4, 3, 2] has stride 2; set it in the position's args, e.g. args: [None, 7, 4, 3, 1]");
  });

  it('a position: one kind, known keys, args only where they apply', () => {
    expect(errorOf(positions('  P: {after: 15, replace: 15}\n'))).toBe('sweep.yaml:6:6: positions.P: give one of after, replace, residual (got after and replace)');
    expect(errorOf(positions('  P: {}\n'))).toBe('sweep.yaml:6:6: positions.P: give one of after: L, replace: L or residual: L');
    expect(errorOf(positions('  P: {afer: 15}\n'))).toMatch(/^sweep\.yaml:6:13: positions\.P\.afer: Unrecognized key/);
    expect(errorOf(positions('  R: {residual: 6, args: [2]}\n'))).toBe("sweep.yaml:6:26: positions.R.args: residual takes the C2f's args, and ACmix's from `module` and `grid`");
    expect(errorOf(positions('  P: {after: 15, args: [null, 7, three]}\n'))).toMatch(/^sweep\.yaml:6:34: positions\.P\.args\[2\]: ACmix \(head\): Invalid input: expected number/);
    expect(errorOf(positions('  P+5: {after: 21}\n'))).toMatch(/^sweep\.yaml:6:8: positions\.P\+5: position names: letters, digits, _ and - only/);
  });

  it('combine: unknown positions, repeats, sizes', () => {
    const body = '  P3: {after: 15}\n  P5: {after: 21}\n';
    expect(errorOf(positions(`${body}combine: [[], [P3, P9]]\n`))).toBe('sweep.yaml:8:20: combine[1][1]: no position \'P9\' (positions: P3, P5)');
    expect(errorOf(positions(`${body}combine: [[P5, P3], [P3, P5]]\n`))).toBe('sweep.yaml:8:21: combine[1]: the same positions as combine[0]');
    expect(errorOf(positions(`${body}combine: [[P3, P3]]\n`))).toBe('sweep.yaml:8:16: combine[0][1]: P3 is listed twice');
    expect(errorOf(positions(`${body}combine: {size: 3}\n`))).toBe('sweep.yaml:8:17: combine.size: size 3 but the sweep has 2 positions');
    expect(errorOf(positions(`${body}combine: all\n`))).toBe('sweep.yaml:8:10: combine: subsets, {size: k} or a list of position lists such as [[], [P5], [P3, P5]]');
  });

  it('module and grid: unknown module, bad args, unknown axes, bad values', () => {
    const p5 = '  P5: {after: 21}\n';
    expect(errorOf(sweepText(`module: [GAM, []]\npositions:\n${p5}`))).toMatch(/^sweep\.yaml:5:10: module\[0\]: unknown module 'GAM' \(known: Conv, /);
    expect(errorOf(sweepText(`module: [Concat, []]\npositions:\n${p5}`))).toBe('sweep.yaml:5:10: module[0]: Concat cannot be placed: a placed module reads one layer and is not a repeated block (C2f and the like)');
    expect(errorOf(sweepText(`module: [ACmix, [null, 7, 0]]\npositions:\n${p5}`))).toMatch(/^sweep\.yaml:5:27: module\[1\]\[2\]: ACmix \(head\): Too small/);
    expect(errorOf(positions(`${p5}grid:\n  module.heads: [2]\n`))).toBe('sweep.yaml:8:17: grid.module.heads: ACmix has no arg \'heads\' (args: c2, kernel_att, head, kernel_conv, stride, dilation, rates)');
    expect(errorOf(positions(`${p5}grid:\n  module.rates: [learned, both]\n`))).toBe('sweep.yaml:8:27: grid.module.rates[1]: ACmix rates: rates must be one of learned, conv, attention, fixed');
    expect(errorOf(positions(`${p5}grid:\n  train.lr: [0.1]\n`))).toBe("sweep.yaml:8:13: grid.train.lr: unknown training argument 'lr' (Ultralytics names, as in args.yaml)");
    expect(errorOf(positions(`${p5}grid:\n  train.lr0: [0.01, -1]\n`))).toMatch(/^sweep\.yaml:8:21: grid\.train\.lr0\[1\]: Too small/);
    expect(errorOf(positions(`${p5}grid:\n  train.seed: [1, 2]\n`))).toBe('sweep.yaml:8:15: grid.train.seed: seed is set by `seeds`, not by a grid axis');
    expect(errorOf(positions(`${p5}grid:\n  lr0: [0.1]\n`))).toBe('sweep.yaml:8:8: grid.lr0: a grid axis is module.<arg> (e.g. module.head), module.<Module>.<arg> or train.<argument> (e.g. train.lr0)');
    expect(errorOf(positions(`${p5}grid:\n  module.head: [2, 2]\n`))).toBe('sweep.yaml:8:20: grid.module.head[1]: 2 is listed twice');
  });

  it("a module arg that does not fit a variant's channels names the variant and the position", () => {
    expect(errorOf(positions('  P3: {after: 15}\ngrid:\n  module.head: [4, 3]\n'))).toBe('sweep.yaml:6:7: positions.P3: variant yolov8n+P3_head=3, layer 16: ' +
      'head[6] args: ACmix: outPlanes 64 is not divisible by head 3 (head_dim = out_planes / head must be an integer)');
  });

  it('train, model, scales, seeds, unknown keys', () => {
    const p5 = 'positions:\n  P5: {after: 21}\n';
    expect(errorOf(sweepText(`${p5}train: {epoch: 3}\n`))).toBe("sweep.yaml:7:16: train.epoch: unknown training argument 'epoch' (Ultralytics names, as in args.yaml)");
    expect(errorOf(sweepText(`${p5}train: {batch: 0}\n`))).toMatch(/^sweep\.yaml:7:16: train\.batch: Too small/);
    expect(errorOf(sweepText(`${p5}train: {seed: 1}\n`))).toBe('sweep.yaml:7:15: train.seed: set by `seeds`, not in train');
    expect(errorOf(sweepText(p5, 'name: t\nmodel: experiments/models/nope.yaml\ndata: d.yaml\n'))).toBe(
      `sweep.yaml:2:8: model: cannot read (ENOENT): ${path.join(MODELS, 'nope.yaml')} (paths are relative to the working directory ${ROOT})`);
    expect(errorOf(sweepText(p5, 'name: t\nmodel: experiments/models/yolov8.yaml\nscales: [n, q]\ndata: d.yaml\n'))).toBe(
      `sweep.yaml:3:13: scales[1]: no scale 'q' in ${YOLOV8} (has n, s, m, l, x)`);
    expect(errorOf(sweepText(`${p5}seeds: [0, 1, 0]\n`))).toBe('sweep.yaml:7:15: seeds[2]: seed 0 is listed twice');
    expect(errorOf(sweepText(`${p5}positons: {}\n`))).toMatch(/^sweep\.yaml:7:11: positons: Unrecognized key/);
    expect(errorOf(sweepText(p5, 'model: experiments/models/yolov8.yaml\ndata: d.yaml\n'))).toMatch(/^sweep\.yaml:1:1: name: Invalid input/);
  });

  it('strategy: halving with min_epochs below train.epochs, eta ≥ 2, validation on; synth with data naming a data.yaml', () => {
    const p5 = 'positions:\n  P5: {after: 21}\ntrain: {epochs: 10}\n';
    expect(errorOf(sweepText(`${p5}strategy: halving\n`))).toBe('sweep.yaml:8:11: strategy: halving needs min_epochs: the epochs every variant trains before the first cut');
    expect(errorOf(sweepText(`${p5}strategy: halving\nmin_epochs: 10\n`))).toBe('sweep.yaml:9:13: min_epochs: must be below train.epochs (10)');
    expect(errorOf(sweepText(`${p5}strategy: halving\nmin_epochs: 2\neta: 1\n`))).toMatch(/^sweep\.yaml:10:6: eta: Too small: expected number to be >=2/);
    expect(errorOf(sweepText(`${p5}min_epochs: 2\n`))).toBe('sweep.yaml:8:13: min_epochs: applies only with strategy: halving');
    expect(errorOf(sweepText(`${p5}strategy: successive\n`))).toMatch(/^sweep\.yaml:8:11: strategy: Invalid option: expected one of "grid"\|"halving"/);
    expect(errorOf(sweepText('positions:\n  P5: {after: 21}\ntrain: {epochs: 10, val: false}\nstrategy: halving\nmin_epochs: 2\n')))
      .toBe('sweep.yaml:8:11: strategy: halving ranks variants by their validation at each rung: train.val must be true');
    expect(errorOf(sweepText(`${p5}synth: {train: 8}\n`, 'name: t\nmodel: experiments/models/yolov8.yaml\nscales: [n]\ndata: datasets/d/d.yaml\n')))
      .toBe('sweep.yaml:4:7: data: with synth, data names the data.yaml of the folder to generate (…/data.yaml)');
    expect(errorOf(sweepText(`${p5}synth: {images: 8}\n`))).toMatch(/^sweep\.yaml:8:17: synth\.images: Unrecognized key/);
  });
});

describe('sweep file', () => {
  it('resolves names to layers, paths against the working directory, and keeps the scale list', () => {
    const sweep = readSweepFile(writeSweep(sweepText('positions:\n  P3: {after: neck.P3}\n  B: {replace: backbone.7, args: [1024, 7, 4, 3, 2]}\n  R: {residual: head.2}\n')), { cwd: ROOT });
    expect(sweep.positions).toEqual([
      { name: 'P3', kind: 'after', layer: 15, args: {} },
      { name: 'B', kind: 'replace', layer: 7, args: { ACmix: [1024, 7, 4, 3, 2] } },
      { name: 'R', kind: 'residual', layer: 12, args: {} },
    ]);
    expect([sweep.model.file, sweep.data, sweep.scales, sweep.seeds, sweep.combine, sweep.modules.map((m) => [m.name, m.args]), sweep.moduleAxis])
      .toEqual([YOLOV8, path.join(ROOT, 'datasets/d/data.yaml'), ['n'], [0], 'subsets', [['ACmix', []]], false]);
    expect([sweep.strategy, sweep.synth]).toEqual([{ kind: 'grid' }, null]);
    const halving = readSweepFile(writeSweep(sweepText('synth: {train: 8, seed: 2}\ntrain: {epochs: 12}\nstrategy: halving\nmin_epochs: 3\n')), { cwd: ROOT });
    expect([halving.strategy, halving.synth]).toEqual([{ kind: 'halving', minEpochs: 3, eta: 3 }, { train: 8, seed: 2 }]);
  });

  it('without scales, the scale the model yaml implies: yolov8s.yaml is yolov8.yaml at s', () => {
    const sweep = readSweepFile(writeSweep('name: t\nmodel: experiments/models/yolov8s.yaml\ndata: d.yaml\n'), { cwd: ROOT });
    expect(sweep.scales).toEqual(['s']);
    expect(enumerateVariants(sweep).map((v) => v.name)).toEqual(['yolov8s']);
  });
});
