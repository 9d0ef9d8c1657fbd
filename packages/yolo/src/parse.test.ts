// parse_model semantics and positioned errors for bad yaml.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelYamlError } from './errors.js';
import { loadModelYaml, parseModelYaml } from './model-yaml.js';
import { planModel } from './parse.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../experiments/models');
const stock = path.join(models, 'yolov8.yaml');

function tmpYaml(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yolo-yaml-')), name);
  fs.writeFileSync(file, text);
  return file;
}

const plan = (text: string, file = 'm.yaml', opts = {}) => planModel(parseModelYaml(text, file), opts);

describe('parse_model semantics', () => {
  it('scales depth with Python rounding and widths with make_divisible, per scale', () => {
    const n = planModel(loadModelYaml(stock), { scale: 'n' });
    expect(n.layers.map((l) => l.n)).toEqual([1, 1, 1, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(n.layers[22]!.args).toEqual([80, [64, 128, 256]]);
    const m = planModel(loadModelYaml(stock), { scale: 'm' });
    // 3·0.67 = 2.01 → 2, 6·0.67 = 4.02 → 4; max_channels 768 caps 1024 → 768·0.75 = 576.
    expect(m.layers[2]!.args).toEqual([96, 96, 2, true]);
    expect(m.layers[4]!.args).toEqual([192, 192, 4, true]);
    expect(m.layers[7]!.args).toEqual([384, 576, 3, 2]);
    expect(m.layers[11]!.c2).toBe(576 + 384); // Concat sums its inputs
  });

  it('takes the scale from the file name, or the first scale with a warning', () => {
    const text = fs.readFileSync(stock, 'utf8');
    expect(planModel(loadModelYaml(tmpYaml('yolov8s-acmix.yaml', text))).scale).toBe('s');
    expect(planModel(loadModelYaml(tmpYaml('yolo11m-p2.yaml', text))).scale).toBe('m'); // yolo<digits> too, as Ultralytics 8.3
    const first = planModel(loadModelYaml(tmpYaml('custom.yaml', text)));
    expect(first.scale).toBe('n');
    expect(first.warnings).toEqual(["no model scale passed. Assuming scale='n'."]);
    // yolov8x.yaml means yolov8.yaml at scale x (tasks.py::yaml_model_load).
    const x = planModel(loadModelYaml(path.join(models, 'yolov8x.yaml')));
    expect([x.scale, x.layers[0]!.args]).toEqual(['x', [3, 80, 3, 2]]);
  });

  it('evaluates string args like Ultralytics and keeps c2 == nc unscaled', () => {
    const p = plan(`nc: 24\nwidth_multiple: 0.25\nbackbone:\n  - [-1, 1, Conv, [nc, 3]]\n  - [-1, 1, Conv, ['64', 3]]\n` +
      `  - [-1, 1, nn.Upsample, ['None', 2, nearest]]\n  - [[-2, -3], 1, Concat, [1]]\nhead: []\n`);
    expect(p.layers.map((l) => l.args)).toEqual([[3, 24, 3], [24, 16, 3], [null, 2, 'nearest'], [1]]);
    expect(p.layers[3]!.inputs).toEqual([1, 0]); // -3 counts back from layer 3
    expect(p.layers[3]!.c2).toBe(16 + 24);
    expect(plan('nc: 5\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [[-1], 1, Detect, [nc]]\n', 'm.yaml', { nc: 7 }).layers[1]!.args).toEqual([7, [16]]);
  });

  it('attention modules keep their input channels: CBAM, ChannelAttention, SE, ECA get it inserted, SpatialAttention not', () => {
    const p = plan('width_multiple: 0.5\nch: 24\nbackbone:\n  - [-1, 1, CBAM, [3]]\n  - [-1, 1, SE, []]\n  - [-1, 1, ECA, [2, 1]]\n' +
      '  - [-1, 1, ChannelAttention, []]\n  - [-1, 1, SpatialAttention, [7]]\nhead: []\n');
    expect(p.layers.map((l) => [l.args, l.c2])).toEqual([[[24, 3], 24], [[24], 24], [[24, 2, 1], 24], [[24], 24], [[7], 24]]);
  });

  it('C3k2 clears Detect.legacy, so its model gets YOLO11\'s head; a yaml without C3k2 keeps the v8 head', () => {
    const y11 = planModel(loadModelYaml(path.join(models, 'yolo11.yaml')), { scale: 'n' });
    expect(y11.legacy).toBe(false);
    expect(planModel(loadModelYaml(stock), { scale: 'n' }).legacy).toBe(true);
    // and yolo11n.yaml means yolo11.yaml at scale n (guess_model_scale matches yolo<digits> too)
    expect(planModel(loadModelYaml(path.join(models, 'yolo11n.yaml'))).scale).toBe('n');
  });

  it('ACmix [] keeps the input channels; a given c2 is scaled like Conv', () => {
    const p = plan('width_multiple: 0.5\nch: 24\nbackbone:\n  - [-1, 1, ACmix, []]\n  - [-1, 1, ACmix, [96, 7, 4, 3, 2]]\nhead: []\n');
    expect(p.layers.map((l) => [l.args, l.c2])).toEqual([[[24, 24], 24], [[24, 48, 7, 4, 3, 2], 48]]);
  });
});

describe('bad yaml names file, line and column', () => {
  const expectError = (text: string, pattern: RegExp) => {
    let error: unknown;
    try {
      plan(text, 'bad.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ModelYamlError);
    expect((error as Error).message).toMatch(pattern);
  };

  it('unknown module', () => {
    expectError('nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Convv, [16]]\nhead: []\n',
      /^bad\.yaml:4:13: backbone\[1\] module: unknown module 'Convv' \(known: Conv, /);
  });

  it('from out of range', () => {
    expectError('nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [[-1, 5], 1, Concat, [1]]\n',
      /^bad\.yaml:5:11: head\[0\] from: from 5 is out of range for layer 1 \(-1 … -1 or 0 … 0\)/);
    expectError('backbone:\n  - [-2, 1, Conv, [16, 3, 2]]\n', /^bad\.yaml:2:6: backbone\[0\] from: from -2 is out of range for layer 0 \(only -1/);
  });

  it('wrong argument types', () => {
    expectError('backbone:\n  - [-1, 1, Conv, [16, three, 2]]\n', /^bad\.yaml:2:24: backbone\[0\] args\[1\] \(k\): Conv: .*number/);
    expectError('backbone:\n  - [-1, 1, nn.Upsample, [None, 2, bilinear]]\n', /^bad\.yaml:2:36: backbone\[0\] args\[2\] \(mode\): nn.Upsample: only mode 'nearest'/);
    expectError('backbone:\n  - [-1, 1, Conv, [16, 3, 2, 1, 1, 1, True, 9]]\n', /^bad\.yaml:2:19: backbone\[0\] args: Conv: /);
    expectError('backbone:\n  - [-1, one, Conv, [16]]\n', /^bad\.yaml:2:10: backbone\[0\]\[1\]: Invalid input: expected number/);
  });

  it('YAML syntax error', () => {
    expectError('nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]\nhead: []\n', /^bad\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('a module\'s own checks of its constructor args (ACmix: c2 divisible by head, C2PSA, SE, Conv groups) point at the args', () => {
    expectError('ch: 8\nbackbone:\n  - [-1, 1, ACmix, [8, 7, 3]]\n', /^bad\.yaml:3:20: backbone\[0\] args: ACmix: outPlanes 8 is not divisible by head 3/);
    // C2f_ACmix: the bottlenecks' ACmix has c = int(c2 / 2) = 12 channels.
    expectError('ch: 8\nbackbone:\n  - [-1, 1, C2f_ACmix, [24, True, 7, 8]]\n', /^bad\.yaml:3:24: backbone\[0\] args: C2f_ACmix: outPlanes 12 is not divisible by head 8/);
    expectError('ch: 8\nbackbone:\n  - [-1, 1, Conv, [64]]\n  - [-1, 1, C2PSA, [64]]\n', /^bad\.yaml:4:20: backbone\[1\] args: C2PSA: C2PSA\(64, e=0\.5\): c = 32 gives num_heads = c \/\/ 64 = 0/);
    expectError('ch: 8\nbackbone:\n  - [-1, 1, Conv, [64]]\n  - [-1, 1, C2PSA, [128]]\n', /^bad\.yaml:4:20: backbone\[1\] args: C2PSA: C2PSA needs c1 == c2 \(got 64 → 128\)/);
    expectError('ch: 8\nbackbone:\n  - [-1, 1, SE, []]\n', /^bad\.yaml:3:17: backbone\[0\] args: SE: SE\(8, reduction=16\): the hidden width C \/\/ reduction is 0/);
    expectError('ch: 8\nbackbone:\n  - [-1, 1, Conv, [16, 3, 1, None, 3]]\n', /^bad\.yaml:3:19: backbone\[0\] args: Conv: groups 3 must divide c1 8 and c2 16/);
  });

  it('errors raised while building a layer point at its module', async () => {
    const { buildModel } = await import('./model.js');
    // C2f's bottlenecks get g = 3 on c = 8 channels: nn.Conv2d refuses it when it is built.
    expect(() => buildModel(parseModelYaml('ch: 8\nbackbone:\n  - [-1, 1, C2f, [16, True, 3]]\n', 'g.yaml')))
      .toThrow(/^g\.yaml:3:13: backbone\[0\] C2f: .*groups 3 must divide the input channels 8/);
  });

  it('attention module arguments', () => {
    expectError('backbone:\n  - [-1, 1, CBAM, [5]]\n', /^bad\.yaml:2:20: backbone\[0\] args\[0\] \(kernel_size\): CBAM: kernel size must be 3 or 7/);
    expectError('backbone:\n  - [-1, 1, SE, [0]]\n', /^bad\.yaml:2:18: backbone\[0\] args\[0\] \(reduction\): SE: /);
  });
});
