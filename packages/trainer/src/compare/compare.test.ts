import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatComparison, readCompareConfig, type VariantResult } from './compare.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('comparison config and table', () => {
  it('reads the demo config: the baseline and the seed\'s P5 placement', () => {
    const c = readCompareConfig(path.join(repoRoot, 'experiments', 'demo.yaml'));
    expect(c.variants.map((v) => v.model)).toEqual(['experiments/models/yolov8.yaml', 'experiments/models/yolov8-acmix-p5.yaml']);
    for (const v of c.variants) expect(fs.existsSync(path.join(repoRoot, v.model)), v.model).toBe(true);
  });

  it('names file, line and field of a bad variant', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmp-')), 'bad.yaml');
    fs.writeFileSync(file, 'dataset:\n  out: d\ntrain: {}\nvariants:\n  - name: a\n    modle: x.yaml\n');
    expect(() => readCompareConfig(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: variants\\[0\\]`));
  });

  it('formats one row per variant under a header that gives the GFLOPs size', () => {
    const r: VariantResult = { name: 'yolov8n', model: 'm.yaml', params: 3011433, gflops: 0.3312, map50: 0.8724, map50_95: 0.6881, precision: 0.7, recall: 0.8, epochs: 30, seconds: 468, saveDir: 'runs/x' };
    const lines = formatComparison([r, { ...r, name: 'acmix' }], 128).split('\n');
    expect(lines[0]).toMatch(/^variant\s+params\s+GFLOPs@128\s+P\s+R\s+mAP50\s+mAP50-95\s+epochs\s+time$/);
    expect(lines[1]).toMatch(/^yolov8n\s+3,011,433\s+0\.33\s+0\.700\s+0\.800\s+0\.872\s+0\.688\s+30\s+7\.8 min$/);
    expect(lines).toHaveLength(3);
  });
});
