// The model map a sweep stores in `sweeps.spec` for the dashboard (the contract is packages/store's
// ModelMap schema): the base model's layers as `acmix-lab model` lists them, and where each candidate
// position sits with what each of the sweep's modules costs there on its own. One map per scale of the
// sweep: `spec.model_maps` by scale (`spec.model_map`, the first scale's, for readers older than that).
import type { ModelMap, ModelMapLayer } from '@acmix-lab/store';
import { resolveTrainConfig, type TrainConfigInput } from '@acmix-lab/trainer';
import { buildModel, modelSummary } from '@acmix-lab/yolo';
import { measureVariants } from './measure.js';
import type { Sweep } from './sweep-file.js';
import { enumerateVariants } from './variants.js';

/** The map at each of the sweep's scales, in its order (builds the base and one model per position and scale). */
export function modelMaps(sweep: Sweep): ModelMap[] {
  const imgsz = resolveTrainConfig({ ...sweep.train, model: 'model.yaml', data: sweep.data } as TrainConfigInput).imgsz;
  return sweep.scales.map((scale) => {
    // Each module at each position on its own, at the module's own args: the variants of a sweep with one position each.
    const single = { ...sweep, scales: [scale], combine: sweep.positions.map((p) => [p.name]), grid: [], seeds: [sweep.seeds[0]!] };
    const variants = enumerateVariants(single);
    const sizes = measureVariants(single, variants);
    const model = buildModel(sweep.model, { scale: scale ?? undefined, imgsz });
    try {
      const summary = modelSummary(model, imgsz);
      const layers = summary.layers.map((row, i): ModelMapLayer => {
        const plan = model.plan.layers[i]!;
        const section = plan.yamlPath[0] === 'backbone' ? 'backbone' : plan.def.role === 'detect' ? 'head' : 'neck';
        return { index: row.index, names: row.names, section, module: plan.module, from: row.from, c2: plan.c2, stride: plan.stride, params: row.params };
      });
      const positions = Object.fromEntries(sweep.positions.map((p) => {
        const costs = Object.fromEntries(variants.filter((v) => v.positions[0] === p.name).map((v) => {
          const size = sizes.get(v.name)!;
          return [v.module!, { params_delta: size.deltaParams, gflops_delta: size.deltaGflops }];
        }));
        return [p.name, { kind: p.kind, layer: p.layer, costs }];
      }));
      return { model: sweep.model.file, scale: scale ?? '', imgsz, layers, positions };
    } finally {
      model.dispose();
    }
  });
}
