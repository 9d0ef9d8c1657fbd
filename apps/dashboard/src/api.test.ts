// The JSON API over a fixture database written as a sweep writes it: each answer is what the store's
// queries return (NaN and ±Infinity as null), and every route keeps to its schema.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '@acmix-lab/store';
import { fixtureApp, type FixtureApp } from './testing/fixture-app.js';
import { epochRow } from './testing/fixture-db.js';
import yolov8nMap from './testing/yolov8n-model-map.json' with { type: 'json' };

/** What JSON.stringify makes of the store's objects: the answer the API must give. */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value));

let f: FixtureApp;
beforeAll(async () => {
  f = await fixtureApp();
});
afterAll(() => f.close());

describe('GET /api/runs', () => {
  it('returns exactly the store\'s listRuns objects, as `acmix-lab runs --json` prints them', async () => {
    const response = await f.get('/api/runs');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const runs = response.json();
    expect(runs).toEqual(asJson(f.reader.listRuns()));
    expect(runs.length).toBeGreaterThan(15);
    expect(Object.keys(runs[0]).sort()).toEqual(Object.keys(f.reader.listRuns()[0]!).sort());
  });

  it('filters by sweep and status as listRuns does, and refuses unknown filters', async () => {
    const response = await f.get('/api/runs?sweep=neck&status=completed');
    expect(response.json()).toEqual(asJson(f.reader.listRuns({ sweep: 'neck', status: 'completed' })));
    expect(response.json().map((r: { status: string }) => r.status)).toEqual(Array(13).fill('completed'));
    expect((await f.get('/api/runs?status=done')).statusCode).toBe(400);
    expect((await f.get('/api/runs?limit=5')).statusCode).toBe(400);
  });
});

describe('GET /api/runs/:id/metrics', () => {
  it('returns every epoch, NaN and Infinity as null in valid JSON', async () => {
    const response = await f.get(`/api/runs/${f.fixture.runs.nan}/metrics`);
    expect(() => JSON.parse(response.body)).not.toThrow();
    const epochs = response.json();
    expect(epochs).toEqual(asJson(f.reader.runMetrics(f.fixture.runs.nan)));
    expect(epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(epochs[3]).toMatchObject({ epoch: 4, train_box_loss: null, val_dfl_loss: null });
    expect(epochs[2].train_box_loss).toBeCloseTo(2.4 / 1.9, 12);
  });

  it('is 404 for an unknown run and 400 for a bad id', async () => {
    expect((await f.get('/api/runs/9999/metrics')).statusCode).toBe(404);
    expect((await f.get('/api/runs/abc/metrics')).statusCode).toBe(400);
    expect((await f.get('/api/runs/0/metrics')).statusCode).toBe(400);
  });
});

describe('GET /api/runs/:id', () => {
  it('gives a reproduction its original with the epoch-by-epoch differences', async () => {
    const { runs } = f.fixture;
    const page = (await f.get(`/api/runs/${runs.reproduction}`)).json();
    expect(page.run).toEqual(asJson(f.reader.getRun(runs.reproduction)));
    expect(page.original.summary.id).toBe(runs.baseline);
    expect(page.original.comparison).toEqual(asJson(f.reader.compareRuns(runs.reproduction, runs.baseline)));
    const map = page.original.comparison.columns.find((c: { column: string }) => c.column === 'map50_95');
    expect(map.differing_epochs).toBe(6);
    expect(page.reproduce_command).toBe(`acmix-lab reproduce ${runs.reproduction} --db ${f.fixture.dbFile}`);
    const original = (await f.get(`/api/runs/${runs.baseline}`)).json();
    expect(original.original).toBeNull();
    expect(original.reproductions.map((r: { id: number }) => r.id)).toEqual([runs.reproduction]);
  });

  it('links the artifacts inside the run folder, listing a weights directory without following symlinks', async () => {
    const page = (await f.get(`/api/runs/${f.fixture.runs.baseline}`)).json();
    const byKind = Object.fromEntries(page.artifacts.map((a: { kind: string }) => [a.kind, a]));
    expect(Object.keys(byKind).sort()).toEqual(['args.yaml', 'results.csv', 'results.png', 'weights/best']);
    expect(byKind['weights/best'].url).toBeNull();
    expect(byKind['weights/best'].files.map((x: { path: string }) => x.path)).toEqual(['weights/best/model.json', 'weights/best/weights.bin']);
    const png = await f.get(byKind['results.png'].url);
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const weights = await f.get(byKind['weights/best'].files[1].url);
    expect(weights.headers['content-disposition']).toBe('attachment');
    expect(weights.rawPayload.length).toBe(64);
  });

  it('is 404 for an unknown run', async () => {
    expect((await f.get('/api/runs/9999')).json()).toEqual({ error: 'no such run' });
  });
});

describe('GET /api/runs/:id/diff', () => {
  it('shows only what differs: description, config keys and model yaml lines', async () => {
    const runs = f.reader.listRuns({ sweep: 'neck' });
    const p3p5 = runs.find((r) => r.name === 'yolov8n+P3+P5' && r.seed === 0)!;
    const diff = (await f.get(`/api/runs/${f.fixture.runs.baseline}/diff?against=${p3p5.id}`)).json();
    expect(diff.fields.map((d: { field: string }) => d.field)).toEqual(['gflops', 'module', 'name', 'params', 'positions']);
    expect(diff.fields.find((d: { field: string }) => d.field === 'positions')).toEqual({ field: 'positions', a: [], b: ['P3', 'P5'] });
    expect(diff.fields.find((d: { field: string }) => d.field === 'module')).toEqual({ field: 'module', a: null, b: 'ACmix' });
    expect(diff.config).toEqual([{ field: 'model', a: 'yolov8n.yaml', b: 'yolov8n+P3+P5.yaml' }]);
    expect(diff.model_yaml.map((l: { op: string; text: string }) => `${l.op}${l.text}`)).toEqual([
      '-# yolov8n.yaml, written by acmix-lab from experiments/models/yolov8.yaml',
      '+# yolov8n+P3+P5.yaml, written by acmix-lab from experiments/models/yolov8.yaml',
      '-  - [[15, 18, 21], 1, Detect, [nc]] # 22',
      '+  - [-1, 1, ACmix, []] # P3: after 15',
      '+  - [-1, 1, ACmix, []] # P5: after 21',
      '+  - [[15, 18, 21], 1, Detect, [nc]] # 24',
    ]);
    const same = (await f.get(`/api/runs/${p3p5.id}/diff?against=${p3p5.id}`)).json();
    expect(same).toEqual({ a: p3p5.id, b: p3p5.id, fields: [], config: [], model_yaml: [] });
    expect((await f.get(`/api/runs/${p3p5.id}/diff`)).statusCode).toBe(400);
    expect((await f.get(`/api/runs/${p3p5.id}/diff?against=9999`)).statusCode).toBe(404);
  });
});

describe('sweeps', () => {
  it('lists the sweeps with their runs by status', async () => {
    const neck = (await f.get('/api/sweeps')).json().find((s: { name: string }) => s.name === 'neck');
    expect(neck).toMatchObject({ runs: 16, by_status: { completed: 13, failed: 1, running: 1, queued: 1 } });
  });

  it('gives a sweep\'s placements: the store\'s groups, the model map and each position\'s mean Δ', async () => {
    const body = (await f.get('/api/sweeps/neck/placements')).json();
    const groups = f.reader.groupRuns({ sweep: 'neck' });
    expect(body.groups).toEqual(asJson(groups));
    expect(body.model_map).toEqual(yolov8nMap);
    expect(body.model_map_error).toBeNull();
    expect([body.scales, body.scale, body.modules, body.module]).toEqual([['n'], 'n', ['ACmix'], 'ACmix']);
    const delta = (name: string) => groups.find((g) => g.name === name)!.delta!.map50_95;
    expect(body.position_effects.P3.mean_delta.map50_95).toBeCloseTo((delta('yolov8n+P3') + delta('yolov8n+P3+P5')) / 2, 12);
    expect(body.position_effects.P3.variants).toEqual(['yolov8n+P3', 'yolov8n+P3+P5']);
    expect(body.position_effects.P4).toBeUndefined(); // its only run failed
    const p5 = body.groups.find((g: { name: string }) => g.name === 'yolov8n+P5');
    expect(p5.vs_baseline.map50_95.ci_low).toBeLessThan(p5.delta.map50_95);
    expect((await f.get('/api/sweeps/nothing/placements')).statusCode).toBe(404);
  });

  it('answers for the scale and module asked: that scale\'s groups and map, that module\'s costs and effects', async () => {
    const writer = openStore(f.fixture.dbFile);
    const costs = (k: number) => ({ ACmix: { params_delta: 100 * k, gflops_delta: 0.1 * k }, SE: { params_delta: k, gflops_delta: 0.001 * k } });
    const mapAt = (scale: string, k: number) => ({
      ...yolov8nMap, scale, positions: { P3: { ...yolov8nMap.positions.P3, costs: costs(k) }, P5: { ...yolov8nMap.positions.P5, costs: costs(4 * k) } },
    });
    const sweep = writer.ensureSweep({ name: 'attention', spec: { model_map: mapAt('n', 1), model_maps: { n: mapAt('n', 1), s: mapAt('s', 3) } } });
    const who = { worker: 'w', host: 'h', pid: 1 };
    const runs = [['yolov8n', [], null, 'n', 0.30], ['yolov8n', [], null, 'n', 0.32], ['yolov8n+ACmix@P3', ['P3'], 'ACmix', 'n', 0.35],
      ['yolov8n+ACmix@P3', ['P3'], 'ACmix', 'n', 0.37], ['yolov8n+SE@P3', ['P3'], 'SE', 'n', 0.30], ['yolov8n+SE@P3', ['P3'], 'SE', 'n', 0.30],
      ['yolov8s', [], null, 's', 0.4]] as const;
    runs.forEach(([name, positions, module, scale, map], i) => {
      const [run] = writer.addRuns(sweep.id, [{ key: `k${i}`, name, positions: [...positions], module, scale, seed: i, model_yaml: '', config: {}, epoch_budget: 1 }]);
      writer.claimRun(who, { runId: run!.id });
      writer.logEpoch(run!.id, { row: epochRow(1, 0, { map50: map, map50_95: map }) });
      writer.finishRun(run!.id, 'completed');
    });
    writer.close();
    const first = (await f.get('/api/sweeps/attention/placements')).json();
    expect([first.scales, first.scale, first.modules, first.module]).toEqual([['n', 's'], 'n', ['ACmix', 'SE'], 'ACmix']);
    expect(first.groups.map((g: { name: string; module: string | null }) => [g.name, g.module])).toEqual([['yolov8n', null], ['yolov8n+ACmix@P3', 'ACmix'], ['yolov8n+SE@P3', 'SE']]);
    expect(first.position_effects.P3.variants).toEqual(['yolov8n+ACmix@P3']);
    expect(first.position_effects.P3.mean_delta.map50_95).toBeCloseTo(0.05, 12);
    const se = (await f.get('/api/sweeps/attention/placements?module=SE')).json();
    expect(se.position_effects.P3).toMatchObject({ variants: ['yolov8n+SE@P3'] });
    expect(se.position_effects.P3.mean_delta.map50_95).toBeCloseTo(-0.01, 12);
    expect(se.model_map.positions.P5.costs.SE).toEqual({ params_delta: 4, gflops_delta: 0.004 });
    const s = (await f.get('/api/sweeps/attention/placements?scale=s&module=SE')).json();
    expect([s.scale, s.model_map.scale, s.model_map.positions.P3.costs.SE.params_delta]).toEqual(['s', 's', 3]);
    expect(s.groups.map((g: { name: string }) => g.name)).toEqual(['yolov8s']);
    expect((await f.get('/api/sweeps/attention/placements?module=CBAM')).json()).toEqual({ error: 'sweep attention has no module CBAM' });
    expect((await f.get('/api/sweeps/attention/placements?scale=x')).statusCode).toBe(404);
    expect((await f.get('/api/sweeps/attention/placements?metric=map50')).statusCode).toBe(400);
  });

  it('reports a malformed model map by its field, still giving the groups', async () => {
    const writer = openStore(f.fixture.dbFile);
    writer.ensureSweep({ name: 'bad-map', spec: { model_map: { ...yolov8nMap, imgsz: 'big' } } });
    writer.close();
    const body = (await f.get('/api/sweeps/bad-map/placements')).json();
    expect(body.model_map).toBeNull();
    expect(body.model_map_error).toBe('sweep bad-map: spec.model_map.imgsz: Invalid input: expected number, received string');
    expect(body.groups).toEqual([]);
  });

  it('gives curves grouped by variant as the store computes them', async () => {
    const ids = f.reader.listRuns({ sweep: 'neck' }).map((r) => r.id);
    const body = (await f.get(`/api/curves?runs=${ids.join(',')}&column=train_box_loss`)).json();
    expect(body).toEqual(asJson(f.reader.variantCurves(ids, 'train_box_loss')));
    const p5 = body.find((c: { name: string }) => c.name === 'yolov8n+P5');
    expect(p5.points[3].n).toBe(2); // seed 2's NaN at epoch 4 is left out
    expect((await f.get(`/api/curves?runs=${ids[0]}&column=loss`)).statusCode).toBe(400);
    expect((await f.get('/api/curves?runs=1;2&column=map50')).statusCode).toBe(400);
  });
});

describe('the page', () => {
  it('serves index.html, the built bundle and the stylesheet', async () => {
    const page = await f.get('/');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script src="/assets/app.js"></script>');
    const bundle = await f.get('/assets/app.js');
    expect(bundle.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bundle.body.length).toBeGreaterThan(100_000); // chart.js and its plugins are in it
    expect(bundle.body).not.toMatch(/better-sqlite3|node:fs/);
    expect((await f.get('/assets/style.css')).statusCode).toBe(200);
    expect((await f.get('/assets/secret.txt')).statusCode).toBe(400);
    expect(fs.existsSync(f.fixture.dbFile)).toBe(true);
  });
});
