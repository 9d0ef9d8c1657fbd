// placeLayers on its own: any order of the same placements gives the same layers; conflicts throw.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadModelYaml } from '@acmix-lab/yolo';
import { placeLayers, type LayerEntry, type Placement } from './placement.js';
import { MODELS } from './test-sweeps.js';

const { spec } = loadModelYaml(path.join(MODELS, 'yolov8.yaml'));
const [backbone, head] = [spec.backbone as LayerEntry[], spec.head as LayerEntry[]];

function permutations<T>(xs: T[]): T[][] {
  return xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('placeLayers', () => {
  const placements: Placement[] = [
    { kind: 'after', layer: 6, module: 'ACmix', args: [], label: 'A6' },
    { kind: 'replace', layer: 7, module: 'ACmix', args: [1024, 7, 4, 3, 2], label: 'B7' },
    { kind: 'residual', layer: 6, module: 'C2f_ACmix', args: [512, true], label: 'R6' },
    { kind: 'after', layer: 21, module: 'ACmix', args: [], label: 'A21' },
  ];

  it('gives the same layers for every order of the placements', () => {
    const first = placeLayers(backbone, head, placements);
    expect(first.backbone.slice(6, 9)).toEqual([[-1, 6, 'C2f_ACmix', [512, true]], [-1, 1, 'ACmix', []], [-1, 1, 'ACmix', [1024, 7, 4, 3, 2]]]);
    expect(first.head.at(-1)).toEqual([[16, 19, 23], 1, 'Detect', ['nc']]);
    expect(first.placedBy.map((p) => p?.label ?? null).filter(Boolean)).toEqual(['R6', 'A6', 'B7', 'A21']);
    for (const order of permutations(placements)) {
      const { backbone: b, head: h } = placeLayers(backbone, head, order);
      expect([b, h]).toEqual([first.backbone, first.head]);
    }
  });

  it('leaves the base untouched and refuses conflicting placements', () => {
    const before = JSON.stringify([backbone, head]);
    placeLayers(backbone, head, placements);
    expect(JSON.stringify([backbone, head])).toBe(before);
    expect(() => placeLayers(backbone, head, [placements[1]!, { ...placements[2]!, layer: 7 }]))
      .toThrow('B7 and R6 conflict: one replaces layer 7, the other makes it a residual form');
  });
});
