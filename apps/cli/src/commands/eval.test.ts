import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalJson, formatEvalTable, runEval } from './eval.js';

const fixtures = fileURLToPath(new URL('../../../../packages/trainer/fixtures/metrics/coco/', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/acmix-lab.js', import.meta.url));

describe('acmix-lab eval', () => {
  it('scores a pycocotools fixture by both definitions', () => {
    const files = { gt: path.join(fixtures, 'crowd-areas/gt.json'), pred: path.join(fixtures, 'crowd-areas/pred.json') };
    const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'crowd-areas/expected.json'), 'utf8')) as {
      stats: number[]; ultralytics: { map50: number; map50_95: number; precision: number; recall: number };
    };
    const r = runEval(files);
    const json = evalJson(r) as { ultralytics: Record<string, number>; coco: { map50: number; map50_95: number; stats: number[] } };
    expect(json.coco.stats).toEqual(expected.stats);
    expect(json.coco.map50_95).toBe(expected.stats[0]);
    expect(json.coco.map50).toBe(expected.stats[1]);
    for (const k of ['map50', 'map50_95', 'precision', 'recall'] as const) expect(json.ultralytics[k]).toBeCloseTo(expected.ultralytics[k], 12);
    const table = formatEvalTable(r, files).split('\n');
    expect(table[2]).toMatch(/^definition\s+mAP50\s+mAP50-95\s+P\s+R$/);
    expect(table[3]).toContain(expected.ultralytics.map50.toFixed(4));
    expect(table[4]).toBe(`coco         ${expected.stats[1]!.toFixed(4)}  ${expected.stats[0]!.toFixed(4)}    -       -`);
    expect(table[1]).toMatch(/skipped: \d+ crowd/);
  });

  it('rejects a malformed results file in one line naming the file and field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eval-'));
    const pred = path.join(dir, 'pred.json');
    const dets = JSON.parse(fs.readFileSync(path.join(fixtures, 'basic/pred.json'), 'utf8')) as { bbox: unknown }[];
    dets[3]!.bbox = [1, 2, 3];
    fs.writeFileSync(pred, JSON.stringify(dets));
    const res = spawnSync(process.execPath, [bin, 'eval', '--gt', path.join(fixtures, 'basic/gt.json'), '--pred', pred], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toEqual([`acmix-lab: error: ${pred}: [3].bbox: expected 4 numbers`]);
  });
});
