// The model-zoo commands end to end through the binary: `model` and `forward`.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@acmix-lab/runtime';
import { moduleNames } from '@acmix-lab/yolo';

const bin = fileURLToPath(new URL('../../bin/acmix-lab.js', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });

describe('acmix-lab model / forward', () => {
  it('prints Ultralytics\' sizes for yolov8n as JSON', () => {
    const res = cli('model', 'experiments/models/yolov8n.yaml', '--json');
    expect(res.status, res.stderr).toBe(0);
    const s = JSON.parse(res.stdout) as { params: number; gflops: number; layerCount: number; layers: { params: number }[] };
    expect([s.params, s.layerCount, s.layers.length]).toEqual([3_157_200, 225, 23]);
    expect(s.gflops).toBeCloseTo(8.9, 1);
  });

  it('--json names every layer for every family: the neck levels Detect reads (P2–P5, P3–P6) and the backbone levels', () => {
    const levelsOf = (file: string) => {
      const res = cli('model', `experiments/models/${file}`, '--json');
      expect(res.status, res.stderr).toBe(0);
      const s = JSON.parse(res.stdout) as { layers: { index: number; names: string[] }[] };
      expect(s.layers.every((l) => /^(backbone|head)\.\d+$/.test(l.names[0]!))).toBe(true); // every layer has its section name
      return Object.fromEntries(s.layers.flatMap((l) => l.names.filter((n) => /^(neck|backbone)\.P|^detect$/.test(n)).map((n) => [n, l.index])));
    };
    expect(levelsOf('yolo11n.yaml')).toMatchObject({ 'backbone.P5': 10, 'neck.P3': 16, 'neck.P4': 19, 'neck.P5': 22, detect: 23 });
    expect(levelsOf('yolov8n-p2.yaml')).toMatchObject({ 'neck.P2': 18, 'neck.P3': 21, 'neck.P4': 24, 'neck.P5': 27, detect: 28 });
    expect(levelsOf('yolov8n-p6.yaml')).toMatchObject({ 'backbone.P6': 11, 'neck.P3': 20, 'neck.P4': 23, 'neck.P5': 26, 'neck.P6': 29, detect: 30 });
    expect(levelsOf('yolov5n.yaml')).toMatchObject({ 'backbone.P5': 9, 'neck.P3': 17, 'neck.P4': 20, 'neck.P5': 23, detect: 24 });
  });

  it('reports a bad yaml in one line with file, line and column', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'model-')), 'bad.yaml');
    fs.writeFileSync(file, 'nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Foo, [16]]\n');
    const res = cli('model', file);
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([`acmix-lab: error: ${file}:4:13: backbone[1] module: unknown module 'Foo' ` +
      `(known: ${moduleNames().join(', ')})`]);
  });

  it('forward writes the PyTorch-layout output of a whole model', () => {
    const dir = path.join(root, 'packages/yolo/fixtures/torch/yolov8-tiny');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fwd-')), 'r.safetensors');
    const res = cli('forward', '--model', path.join(dir, 'model.yaml'), '--weights', path.join(dir, 'weights.safetensors'),
      '--input', path.join(dir, 'input.safetensors'), '--out', out, '--train');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(`${out}: output [1, 67, 84]`);
    const got = readSafetensors(out).get('output')!.data as Float32Array;
    const exp = readSafetensors(path.join(dir, 'expected-train.safetensors')).get('output')!.data as Float32Array;
    const scale = Math.max(...Array.from(exp, Math.abs));
    expect(Math.max(...Array.from(exp, (v, i) => Math.abs(v - got[i]!))) / scale).toBeLessThan(1e-4);
  });
});
