import { describe, expect, it } from 'vitest';
import { StoreError } from './database.js';
import { sweepModelMap, type ModelMap } from './model-map.js';
import { openStore } from './store.js';
import { tempDbPath } from './test-helpers.js';

const layer = (index: number, over: Record<string, unknown> = {}) => ({
  index, names: [`backbone.${index}`], section: 'backbone', module: 'Conv', from: -1, c2: 16 << index, stride: 2 << index, params: 100 * index, ...over,
});
const map: ModelMap = {
  model: 'experiments/models/yolov8.yaml', scale: 'n', imgsz: 640,
  layers: [layer(0), layer(1), layer(2, { section: 'head', module: 'Detect', from: [0, 1], names: ['detect'] })] as ModelMap['layers'],
  positions: { P3: { kind: 'after', layer: 1, params_delta: 17822, gflops_delta: 0.33 } },
};

function sweepWith(spec: unknown) {
  const store = openStore(tempDbPath());
  store.ensureSweep({ name: 's', spec });
  return store.getSweep('s')!;
}

describe('sweepModelMap', () => {
  it('reads the model map the runner stored in the sweep spec', () => {
    expect(sweepModelMap(sweepWith({ name: 's', model_map: map }))).toEqual(map);
  });

  it('is null for a sweep without one', () => {
    expect(sweepModelMap(sweepWith(null))).toBeNull();
    expect(sweepModelMap(sweepWith({ name: 's' }))).toBeNull();
  });

  it.each([
    ['a wrong type', { ...map, layers: [layer(0), layer(1, { c2: '32' }), map.layers[2]] }, 'spec.model_map.layers[1].c2: Invalid input: expected number, received string'],
    ['an unknown key', { ...map, extra: 1 }, 'spec.model_map.extra: Unrecognized key: "extra"'],
    ['a layer out of order', { ...map, layers: [layer(0), layer(2), map.layers[2]] }, 'spec.model_map.layers[1].index: expected 1: layers are listed in index order'],
    ['a position on no layer', { ...map, positions: { P5: { ...map.positions.P3!, layer: 9 } } }, 'spec.model_map.positions.P5.layer: no layer 9 (the model has 3)'],
    ['an unknown kind', { ...map, positions: { P5: { ...map.positions.P3!, kind: 'before' } } }, 'spec.model_map.positions.P5.kind: Invalid option'],
  ])('names the field of %s', (_, bad, message) => {
    const sweep = sweepWith({ model_map: bad });
    expect(() => sweepModelMap(sweep)).toThrow(StoreError);
    expect(() => sweepModelMap(sweep)).toThrow(`sweep s: ${message}`);
  });
});
