import { describe, expect, it } from 'vitest';
import { StoreError } from './database.js';
import { sweepModelMaps, type ModelMap } from './model-map.js';
import { openStore } from './store.js';
import { tempDbPath } from './test-helpers.js';

const layer = (index: number, over: Record<string, unknown> = {}) => ({
  index, names: [`backbone.${index}`], section: 'backbone', module: 'Conv', from: -1, c2: 16 << index, stride: 2 << index, params: 100 * index, ...over,
});
const map: ModelMap = {
  model: 'experiments/models/yolov8.yaml', scale: 'n', imgsz: 640,
  layers: [layer(0), layer(1), layer(2, { section: 'head', module: 'Detect', from: [0, 1], names: ['detect'] })] as ModelMap['layers'],
  positions: { P3: { kind: 'after', layer: 1, costs: { ACmix: { params_delta: 17822, gflops_delta: 0.33 }, SE: { params_delta: 512, gflops_delta: 0.001 } } } },
};

function sweepWith(spec: unknown) {
  const store = openStore(tempDbPath());
  store.ensureSweep({ name: 's', spec });
  return store.getSweep('s')!;
}

describe('sweepModelMaps', () => {
  it('reads the model maps the runner stored in the sweep spec, by scale', () => {
    const s = { ...map, scale: 's', layers: map.layers.map((l) => ({ ...l, c2: 2 * l.c2 })) };
    expect(sweepModelMaps(sweepWith({ name: 's', model_map: map, model_maps: { n: map, s } }))).toEqual({ n: map, s });
    expect(sweepModelMaps(sweepWith({ name: 's', model_map: map }))).toEqual({ n: map }); // stored before maps per scale
  });

  it('reads a map stored before costs were per module as the cost of the sweep\'s module', () => {
    const old = { ...map, positions: { P3: { kind: 'after', layer: 1, params_delta: 17822, gflops_delta: 0.33 } } };
    const want = { ...map, positions: { P3: { kind: 'after', layer: 1, costs: { CBAM: { params_delta: 17822, gflops_delta: 0.33 } } } } };
    expect(sweepModelMaps(sweepWith({ modules: [['CBAM', [7]]], model_map: old }))).toEqual({ n: want });
  });

  it('is empty for a sweep without one', () => {
    expect(sweepModelMaps(sweepWith(null))).toEqual({});
    expect(sweepModelMaps(sweepWith({ name: 's' }))).toEqual({});
  });

  it.each([
    ['a wrong type', { ...map, layers: [layer(0), layer(1, { c2: '32' }), map.layers[2]] }, 'layers[1].c2: Invalid input: expected number, received string'],
    ['an unknown key', { ...map, extra: 1 }, 'extra: Unrecognized key: "extra"'],
    ['a layer out of order', { ...map, layers: [layer(0), layer(2), map.layers[2]] }, 'layers[1].index: expected 1: layers are listed in index order'],
    ['a position on no layer', { ...map, positions: { P5: { ...map.positions.P3!, layer: 9 } } }, 'positions.P5.layer: no layer 9 (the model has 3)'],
    ['an unknown kind', { ...map, positions: { P5: { ...map.positions.P3!, kind: 'before' } } }, 'positions.P5.kind: Invalid option'],
    ['a cost without GFLOPs', { ...map, positions: { P5: { ...map.positions.P3!, costs: { SE: { params_delta: 1 } } } } }, 'positions.P5.costs.SE.gflops_delta: Invalid input'],
  ])('names the field of %s', (_, bad, message) => {
    for (const [spec, at] of [[{ model_map: bad }, 'model_map'], [{ model_maps: { n: map, s: bad } }, 'model_maps.s']] as const) {
      const sweep = sweepWith(spec);
      expect(() => sweepModelMaps(sweep)).toThrow(StoreError);
      expect(() => sweepModelMaps(sweep)).toThrow(`sweep s: spec.${at}.${message}`);
    }
  });
});
