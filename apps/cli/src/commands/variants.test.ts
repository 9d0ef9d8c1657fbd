// `acmix-lab variants` end to end through the binary, and `acmix-lab model` on a variant yaml it wrote.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acmixParamCount } from '@acmix-lab/acmix';

const bin = fileURLToPath(new URL('../../bin/acmix-lab.js', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });

function sweepFile(body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-sweep-')), 'sweep.yaml');
  fs.writeFileSync(file, `name: cli\nmodel: experiments/models/yolov8.yaml\nscales: [n]\ndata: datasets/d/data.yaml\ntrain: {imgsz: 64}\n${body}`);
  return file;
}

interface Row {
  name: string; key: string; seed: number; scale: string; module: string | null; positions: string[]; params: number; gflops: number; deltaParams: number; file: string;
}

describe('acmix-lab variants', () => {
  const sweep = sweepFile('positions:\n  P5: {after: neck.P5}\n  B7: {replace: 7, args: [1024, 7, 4, 3, 2]}\ncombine: {size: 1}\nseeds: [0, 1]\n');

  it('--json --write: one object per variant and seed, and model yamls that `acmix-lab model` builds to the same size', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-variants-'));
    const res = cli('variants', sweep, '--json', '--write', out);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toContain('variants: models built 3/3');
    const rows = JSON.parse(res.stdout) as Row[];
    expect(rows.map((r) => [r.name, r.seed, r.positions])).toEqual([
      ['yolov8n', 0, []], ['yolov8n', 1, []], ['yolov8n+P5', 0, ['P5']], ['yolov8n+P5', 1, ['P5']], ['yolov8n+B7', 0, ['B7']], ['yolov8n+B7', 1, ['B7']]]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(6);
    expect(rows.every((r) => r.scale === 'n' && /^[0-9a-f]{16}$/.test(r.key) && r.gflops > 0)).toBe(true);
    expect(rows[0]!.params).toBe(3_157_200);
    const b7 = rows.find((r) => r.name === 'yolov8n+B7')!;
    expect(b7.file).toBe(path.join(out, 'yolov8n+B7.yaml'));
    expect(fs.readdirSync(out).sort()).toEqual(['yolov8n+B7.yaml', 'yolov8n+P5.yaml', 'yolov8n.yaml']);
    const model = cli('model', b7.file, '--imgsz', '64', '--json');
    expect(model.status, model.stderr).toBe(0);
    const summary = JSON.parse(model.stdout) as { params: number; gflops: number; scale: string; layers: { names: string[] }[] };
    expect([summary.scale, summary.params, summary.gflops]).toEqual(['n', b7.params, b7.gflops]);
    expect(summary.layers[7]!.names).toEqual(['backbone.7']);
    expect(summary.layers.at(-1)!.names).toEqual(['head.12', 'detect']);
  });

  it('prints a table: name, scale, positions, grid, params and GFLOPs with the difference from the base, keys by seed', () => {
    const res = cli('variants', sweep);
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^variant +scale +positions +grid +params +Δparams +GFLOPs@64 +ΔGFLOPs +key by seed$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['yolov8n', 'yolov8n+P5', 'yolov8n+B7']);
    expect(lines[2]).toMatch(/ \+218,414 .* 0:[0-9a-f]{16} 1:[0-9a-f]{16}$/);
  });

  it('a bad sweep is one line naming the file, line, column and field, before TensorFlow loads', () => {
    const bad = sweepFile('positions:\n  P3: {after: 23}\n');
    const res = cli('variants', bad);
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(new RegExp(`^acmix-lab: error: ${bad.replace(/[.+]/g, '\\$&')}:7:15: positions\\.P3\\.after: no layer 23 in `));
  });

  it('the shipped module comparison (experiments/sweeps/yolo11-attention.yaml): every variant builds, the baseline once, Δparams = the modules\' own', () => {
    const res = cli('variants', 'experiments/sweeps/yolo11-attention.yaml', '--json');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toContain('variants: models built 7/7');
    const rows = (JSON.parse(res.stdout) as Row[]).filter((r) => r.seed === 0);
    expect(rows.map((r) => r.name)).toEqual([
      'yolo11n', 'yolo11n+ACmix@P3+P4+P5', 'yolo11n+CBAM@P3+P4+P5', 'yolo11n+SE@P3+P4+P5', 'yolo11n+ACmix@P5', 'yolo11n+CBAM@P5', 'yolo11n+SE@P5']);
    expect([rows[0]!.module, rows[0]!.params, rows[0]!.deltaParams]).toEqual([null, 2_624_080, 0]);
    // Each module's own parameters at YOLO11n's neck widths, 64 (P3), 128 (P4), 256 (P5):
    const own: Record<string, (c: number) => number> = {
      ACmix: (c) => acmixParamCount({ inPlanes: c, outPlanes: c }),
      CBAM: (c) => c * c + c + 2 * 7 * 7, // ChannelAttention's 1×1 conv with bias, SpatialAttention's 7×7 conv 2 → 1 without
      SE: (c) => 2 * c * Math.floor(c / 16), // two bias-free Linear layers through C // 16
    };
    for (const r of rows.slice(1)) {
      const widths = r.positions.map((p) => ({ P3: 64, P4: 128, P5: 256 })[p]!);
      expect(r.deltaParams, r.name).toBe(widths.reduce((a, c) => a + own[r.module!]!(c), 0));
      expect(r.params, r.name).toBe(2_624_080 + r.deltaParams);
    }
  });
});
