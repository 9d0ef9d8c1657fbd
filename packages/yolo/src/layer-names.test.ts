// Layer strides from the plan and the readable layer names derived from them.
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@acmix-lab/runtime';
import { describeLayerRefs, findLayer, layerNames, namesByLayer } from './layer-names.js';
import { loadModelYaml, parseModelYaml } from './model-yaml.js';
import { buildModel } from './model.js';
import { planModel } from './parse.js';

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../experiments/models');
const planOf = (file: string) => planModel(loadModelYaml(path.join(models, file)), { scale: 'n' });

describe('layer strides and names', () => {
  beforeAll(async () => { await initBackend(); });

  it('yolov8: strides per layer, and the names of the backbone levels, neck levels and Detect', () => {
    const plan = planOf('yolov8.yaml');
    expect(plan.layers.map((l) => l.stride)).toEqual([2, 4, 4, 8, 8, 16, 16, 32, 32, 32, 16, 16, 16, 8, 8, 8, 16, 16, 16, 32, 32, 32, 8]);
    const names = Object.fromEntries(layerNames(plan));
    expect(names).toMatchObject({
      'backbone.0': 0, 'backbone.9': 9, 'head.0': 10, 'head.12': 22,
      'backbone.P1': 0, 'backbone.P2': 2, 'backbone.P3': 4, 'backbone.P4': 6, 'backbone.P5': 9,
      'neck.P3': 15, 'neck.P4': 18, 'neck.P5': 21, detect: 22,
    });
    expect(Object.keys(names)).toHaveLength(23 + 5 + 3 + 1);
    expect(namesByLayer(plan)[4]).toEqual(['backbone.4', 'backbone.P3']);
    expect(namesByLayer(plan)[21]).toEqual(['head.11', 'neck.P5']);
  });

  it('every family of the zoo: backbone levels, the neck levels Detect reads, Detect (indices from Ultralytics\' yaml comments)', () => {
    const levels = (file: string) => Object.fromEntries([...layerNames(planOf(file))].filter(([n]) => !/^(backbone|head)\.\d+$/.test(n)));
    const backbone = { 'backbone.P1': 0, 'backbone.P2': 2, 'backbone.P3': 4, 'backbone.P4': 6 };
    // yolo11.yaml: C2PSA (10) is the last stride-32 backbone layer; Detect(P3, P4, P5) reads [16, 19, 22].
    expect(levels('yolo11.yaml')).toEqual({ ...backbone, 'backbone.P5': 10, 'neck.P3': 16, 'neck.P4': 19, 'neck.P5': 22, detect: 23 });
    // yolov8-p2.yaml: Detect(P2, P3, P4, P5) reads [18, 21, 24, 27].
    expect(levels('yolov8-p2.yaml')).toEqual({ ...backbone, 'backbone.P5': 9, 'neck.P2': 18, 'neck.P3': 21, 'neck.P4': 24, 'neck.P5': 27, detect: 28 });
    // yolov8-p6.yaml: 7-P5/32, 9-P6/64, SPPF 11; Detect(P3, P4, P5, P6) reads [20, 23, 26, 29].
    expect(levels('yolov8-p6.yaml')).toEqual({
      ...backbone, 'backbone.P5': 8, 'backbone.P6': 11, 'neck.P3': 20, 'neck.P4': 23, 'neck.P5': 26, 'neck.P6': 29, detect: 30 });
    // yolov5.yaml (v5u): SPPF 9; Detect(P3, P4, P5) reads [17, 20, 23].
    expect(levels('yolov5.yaml')).toEqual({ ...backbone, 'backbone.P5': 9, 'neck.P3': 17, 'neck.P4': 20, 'neck.P5': 23, detect: 24 });
  });

  it('the plan strides of the layers Detect reads are the built model\'s strides (ACmix stride 2, every family)', () => {
    for (const file of ['yolov8.yaml', 'yolov8-acmix-backbone.yaml', 'yolo11.yaml', 'yolov8-p2.yaml', 'yolov8-p6.yaml', 'yolov5.yaml']) {
      const m = buildModel(path.join(models, file), { scale: 'n' });
      const detect = m.plan.layers.at(-1)!;
      expect(detect.inputs.map((i) => m.plan.layers[i]!.stride), file).toEqual(m.strides);
      m.dispose();
    }
    expect(planOf('yolov8-acmix-backbone.yaml').layers[7]!.stride).toBe(32);
  });

  it('names follow the yaml: a P2 head (Detect on strides 4, 8) gets neck.P2 and neck.P3', () => {
    const plan = planModel(parseModelYaml(`nc: 2
backbone:
  - [-1, 1, Conv, [8, 3, 2]]
  - [-1, 1, Conv, [8, 3, 2]]
  - [-1, 1, Conv, [16, 3, 2]]
head:
  - [-1, 1, nn.Upsample, [None, 2, nearest]]
  - [[-1, 1], 1, Concat, [1]]
  - [-1, 1, Conv, [8, 3, 1]]
  - [[5, 2], 1, Detect, [nc]]
`, 'p2.yaml'));
    expect(Object.fromEntries(layerNames(plan))).toEqual({
      'backbone.0': 0, 'backbone.1': 1, 'backbone.2': 2, 'head.0': 3, 'head.1': 4, 'head.2': 5, 'head.3': 6,
      'backbone.P1': 0, 'backbone.P2': 1, 'backbone.P3': 2, 'neck.P2': 5, 'neck.P3': 2, detect: 6,
    });
  });

  it('finds a layer by index or name, and says what exists', () => {
    const plan = planOf('yolov8.yaml');
    expect([findLayer(plan, 15), findLayer(plan, 'neck.P3'), findLayer(plan, 'head.5'), findLayer(plan, 'backbone.P4')]).toEqual([15, 15, 15, 6]);
    expect([findLayer(plan, 23), findLayer(plan, -1), findLayer(plan, 'neck.P7'), findLayer(plan, 'head.13')]).toEqual([null, null, null, null]);
    expect(describeLayerRefs(plan)).toBe('layers 0 … 22, backbone.0 … backbone.9, head.0 … head.12, backbone.P1, backbone.P2, ' +
      'backbone.P3, backbone.P4, backbone.P5, neck.P3, neck.P4, neck.P5, detect');
  });

  it('strides from the yaml args: Conv and DWConv s, ACmix stride; the attention modules keep the size', () => {
    const plan = planModel(parseModelYaml('backbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, DWConv, [16, 3, 2]]\n  - [-1, 1, ACmix, [None, 7, 4, 3, 2]]\n' +
      '  - [-1, 1, CBAM, []]\n  - [-1, 1, SE, [4]]\n  - [-1, 1, ECA, []]\n  - [-1, 1, SpatialAttention, []]\n  - [-1, 1, DWConv, [16, 3]]\n', 's.yaml'));
    expect(plan.layers.map((l) => l.stride)).toEqual([2, 4, 8, 8, 8, 8, 8, 8]);
  });

  it('a Concat of layers at different strides is an error at its from', () => {
    expect(() => planModel(parseModelYaml('backbone:\n  - [-1, 1, Conv, [8, 3, 2]]\n  - [-1, 1, Conv, [8, 3, 2]]\n  - [[-1, 0], 1, Concat, [1]]\n', 'c.yaml')))
      .toThrow(/^c\.yaml:4:6: backbone\[2\] from: Concat inputs have different strides \(4, 2\)/);
  });
});
