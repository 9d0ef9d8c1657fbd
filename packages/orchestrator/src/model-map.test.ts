// The model map a sweep stores for the dashboard, and what `acmix-lab sweep` stores and queues when a
// sweep is created, run again, or its file changes under the same name (no training here).
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acmixParamCount } from '@acmix-lab/acmix';
import { initBackend } from '@acmix-lab/runtime';
import { modelMapSchema, openStore, sweepModelMaps, type ModelMap } from '@acmix-lab/store';
import { modelMaps } from './model-map.js';
import { queueSweep } from './sweep-runner.js';
import { readSweep, sweepText, writeSweep, ROOT } from './test-sweeps.js';
import { readSweepFile } from './sweep-file.js';

const POSITIONS = 'positions:\n  P3: {after: neck.P3}\n  B7: {replace: 7, args: [1024, 7, 4, 3, 2]}\n  R6: {residual: 6}\ncombine: [[], [P3], [B7, R6]]\ntrain: {imgsz: 64}\n';

beforeAll(async () => {
  await initBackend();
});

describe('model map', () => {
  it('lists the base layers (names, section, module, from, c2, stride, params) and each position with its own cost', () => {
    const [map] = modelMaps(readSweep(sweepText(POSITIONS))) as [ModelMap];
    expect([map.model, map.scale, map.imgsz, map.layers.length]).toEqual([path.join(ROOT, 'experiments/models/yolov8.yaml'), 'n', 64, 23]);
    expect(map.layers[0]).toEqual({ index: 0, names: ['backbone.0', 'backbone.P1'], section: 'backbone', module: 'Conv', from: -1, c2: 16, stride: 2, params: 464 });
    expect(map.layers[15]).toMatchObject({ names: ['head.5', 'neck.P3'], section: 'neck', module: 'C2f', from: -1, c2: 64, stride: 8 });
    expect(map.layers[22]).toMatchObject({ names: ['head.12', 'detect'], section: 'head', module: 'Detect', from: [15, 18, 21] });
    expect(map.layers.reduce((a, l) => a + l.params, 0)).toBe(3_157_200); // yolov8n
    expect(map.positions.P3).toMatchObject({ kind: 'after', layer: 15, costs: { ACmix: { params_delta: acmixParamCount({ inPlanes: 64, outPlanes: 64 }) } } });
    expect(map.positions.B7).toMatchObject({ kind: 'replace', layer: 7 });
    expect(map.positions.R6).toMatchObject({ kind: 'residual', layer: 6 });
    for (const p of Object.values(map.positions)) expect(Object.keys(p.costs)).toEqual(['ACmix']);
    for (const p of Object.values(map.positions)) expect(p.costs.ACmix!.gflops_delta).not.toBe(0);
    expect(modelMapSchema.parse(map)).toEqual(map); // the dashboard's contract
  });

  it('gives each module of a module list its own cost at each position', () => {
    const [map] = modelMaps(readSweep(sweepText('module: [[ACmix, []], [SE, []], [CBAM, [7]]]\npositions: {P3: {after: neck.P3}, P5: {after: neck.P5}}\ncombine: [[], [P3, P5]]\ntrain: {imgsz: 64}\n'))) as [ModelMap];
    expect(Object.keys(map.positions)).toEqual(['P3', 'P5']);
    const { P3, P5 } = map.positions as Record<string, ModelMap['positions'][string]>;
    expect(Object.keys(P3!.costs)).toEqual(['ACmix', 'SE', 'CBAM']);
    expect(P3!.costs.ACmix!.params_delta).toBe(acmixParamCount({ inPlanes: 64, outPlanes: 64 }));
    // SE and CBAM are cheaper than ACmix (CBAM at P3: 4,258 vs 17,822), and every module costs more on P5's 256 channels than on P3's 64.
    for (const m of ['SE', 'CBAM']) expect(P3!.costs[m]!.params_delta).toBeLessThan(P3!.costs.ACmix!.params_delta / 4);
    for (const m of ['ACmix', 'SE', 'CBAM']) expect(P5!.costs[m]!.params_delta).toBeGreaterThan(P3!.costs[m]!.params_delta);
    expect(P3!.costs.CBAM!.params_delta).toBe(64 * 64 + 64 + 2 * 7 * 7); // Ultralytics' CBAM(64, 7): the channel 1×1 conv with bias, the 7×7 spatial conv
  });
});

describe('queueSweep', () => {
  it('stores the spec with a map per scale, queues runs once, and on a changed file adds its new runs and keeps the rest', async () => {
    const store = openStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'queue-')), 'runs.db'));
    const file = writeSweep(sweepText(`${POSITIONS}seeds: [0]\n`, 'name: q\nmodel: experiments/models/yolov8.yaml\nscales: [n, s]\ndata: datasets/d/data.yaml\n'));
    const logs: string[] = [];
    const observer = { log: (line: string) => logs.push(line) };
    const first = await queueSweep(store, readSweepFile(file, { cwd: ROOT }), { observer });
    expect(first.runIds).toHaveLength(6);
    expect(store.listRuns({ sweep: 'q' }).map((r) => [r.name, r.module])).toEqual([
      ['yolov8n', null], ['yolov8n+P3', 'ACmix'], ['yolov8n+B7+R6', 'ACmix'], ['yolov8s', null], ['yolov8s+P3', 'ACmix'], ['yolov8s+B7+R6', 'ACmix']]);
    const spec = store.getSweep('q')!.spec as { model_map: ModelMap; model_maps: Record<string, ModelMap>; strategy: unknown; positions: unknown };
    expect(sweepModelMaps(store.getSweep('q')!)).toEqual(spec.model_maps);
    expect(spec.model_map.scale).toBe('n');
    expect(Object.keys(spec.model_maps)).toEqual(['n', 's']);
    expect(spec.model_maps.s!.layers[15]!.c2).toBe(128);
    expect(spec.strategy).toEqual({ kind: 'grid' });
    expect(spec.positions).toEqual({ P3: { kind: 'after', layer: 15, args: {} }, B7: { kind: 'replace', layer: 7, args: { ACmix: [1024, 7, 4, 3, 2] } }, R6: { kind: 'residual', layer: 6, args: {} } });

    const again = await queueSweep(store, readSweepFile(file, { cwd: ROOT }), { observer });
    expect(again.runIds).toEqual(first.runIds);
    expect(logs.filter((l) => l.includes('changed'))).toEqual([]);

    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('combine: [[], [P3], [B7, R6]]', 'combine: [[], [P3]]').replace('seeds: [0]', 'seeds: [0, 1]'));
    const changed = await queueSweep(store, readSweepFile(file, { cwd: ROOT }), { observer });
    expect(logs.filter((l) => l.includes('changed'))).toEqual(['sweep q: the sweep file changed; new runs are added, runs it no longer makes are left as they are']);
    expect(changed.runIds.filter((id) => first.runIds.includes(id))).toHaveLength(4); // seed 0 of the baseline and P3, n and s
    expect(store.listRuns({ sweep: 'q' })).toHaveLength(6 + 4);
    expect((store.getSweep('q')!.spec as { seeds: number[] }).seeds).toEqual([0, 1]);
    store.close();
  });
});
