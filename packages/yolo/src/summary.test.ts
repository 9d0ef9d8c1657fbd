// Sizes against Ultralytics' own numbers (cfg/models/v8/yolov8.yaml comments and its printed model
// tables), counted from the real built layers.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acmixParamCount } from '@acmix-lab/acmix';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel } from './model.js';
import { parseModelYaml } from './model-yaml.js';
import { formatSummary, modelSummary } from './summary.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../experiments/models');
const yaml = (name: string) => path.join(models, name);

const ULTRALYTICS = {
  n: { layers: 225, params: 3_157_200, gradients: 3_157_184, gflops: 8.9 },
  s: { layers: 225, params: 11_166_560, gradients: 11_166_544, gflops: 28.8 },
  m: { layers: 295, params: 25_902_640, gradients: 25_902_624, gflops: 79.3 },
  l: { layers: 365, params: 43_691_520, gradients: 43_691_504, gflops: 165.7 },
  x: { layers: 365, params: 68_229_648, gradients: 68_229_632, gflops: 258.5 },
};

function sizeOf(file: string, scale = 'n') {
  const m = buildModel(file, { scale });
  const s = modelSummary(m, 640);
  m.dispose();
  return s;
}

describe('model summary', () => {
  beforeAll(async () => { await initBackend(); });

  it.each(Object.entries(ULTRALYTICS))('yolov8%s matches Ultralytics (layers, parameters, gradients, GFLOPs within 2%%)', (scale, ref) => {
    const s = sizeOf(yaml('yolov8.yaml'), scale);
    expect([s.layerCount, s.params, s.gradients]).toEqual([ref.layers, ref.params, ref.gradients]);
    expect(Math.abs(s.gflops - ref.gflops) / ref.gflops).toBeLessThan(0.02);
  });

  it('prints the per-layer table of Ultralytics for yolov8n', () => {
    const m = buildModel(yaml('yolov8n.yaml'));
    const s = modelSummary(m);
    m.dispose();
    expect(s.layers.map((r) => r.params)).toEqual([464, 4672, 7360, 18560, 49664, 73984, 197632, 295424, 460288, 164608,
      0, 0, 148224, 0, 0, 37248, 36992, 0, 123648, 147712, 0, 493056, 897664]);
    const text = formatSummary(s, 'YOLOv8n');
    expect(text).toContain(' 22        [15, 18, 21]  1    897664  ultralytics.nn.modules.head.Detect           [80, [64, 128, 256]]');
    expect(text).toContain(' 10                  -1  1         0  torch.nn.modules.upsampling.Upsample         [None, 2, \'nearest\']');
    expect(text).toMatch(/YOLOv8n summary: 225 layers, 3,157,200 parameters, 3,157,184 gradients, 8\.9 GFLOPs at 640$/);
    // The last column: each layer's readable names, which sweep positions accept.
    expect(text).toMatch(/^ {2}4 .*\.C2f +\[64, 64, 2, True\] +backbone\.4 backbone\.P3$/m);
    expect(text).toMatch(/^ 22 .*\.Detect +\[80, \[64, 128, 256\]\] +head\.12 detect$/m);
  });

  it('ACmix rates: a frozen mode keeps the parameter count and removes its two rates from the gradients', () => {
    const text = fs.readFileSync(yaml('yolov8-acmix-p5.yaml'), 'utf8');
    const learned = sizeOf(yaml('yolov8-acmix-p5.yaml'));
    for (const rates of ['conv', 'attention', 'fixed']) {
      const m = buildModel(parseModelYaml(text.replace('ACmix, []', `ACmix, [None, 7, 4, 3, 1, 1, ${rates}]`), 'yolov8n-p5.yaml'));
      const s = modelSummary(m, 640);
      m.dispose();
      expect([s.params, s.gradients, s.gflops], rates).toEqual([learned.params, learned.gradients - 2, learned.gflops]);
    }
  });

  it('the seed yamls add exactly the ACmix parameters to yolov8', () => {
    const base = sizeOf(yaml('yolov8.yaml'));
    const acm = (c: number) => acmixParamCount({ inPlanes: c, outPlanes: c });
    // Version one: ACmix after the P3, P4, P5 outputs (64, 128, 256 channels at scale n).
    const neck = sizeOf(yaml('yolov8-acmix-neck.yaml'));
    expect(neck.params - base.params).toBe(acm(64) + acm(128) + acm(256));
    expect(neck.layerCount).toBe(base.layerCount + 3 * 10); // each official ACmix is 10 nn.Modules
    // Version two: one ACmix on P5.
    expect(sizeOf(yaml('yolov8-acmix-p5.yaml')).params - base.params).toBe(acm(256));
    // C2f_ACmix: each bottleneck's Conv(c, c, 3) + BN (9c² + 2c) becomes ACmix(c, c); c = 32, 64, 128.
    const swap = (c: number) => acm(c) - (9 * c * c + 2 * c);
    expect(sizeOf(yaml('yolov8-c2f-acmix.yaml')).params - base.params).toBe(swap(32) + swap(64) + swap(128));
    // Backbone: Conv(128, 256, 3, 2) + BN replaced by ACmix(128 → 256, stride 2).
    expect(sizeOf(yaml('yolov8-acmix-backbone.yaml')).params - base.params)
      .toBe(acmixParamCount({ inPlanes: 128, outPlanes: 256 }) - (9 * 128 * 256 + 2 * 256));
  });
});
