// A variant's key: a stable hash of what determines a training run's result, so the same run gets
// the same key in any sweep (and a cached or stored result can be found again).
//   - the normalised model: parse_model's plan (ch, nc, and per layer the absolute input layers,
//     repeats, module and constructor args: channels scaled, c1 inserted, Detect's inputs), so yaml
//     formatting, comments, key order, relative vs absolute `from`, unused scales and the file's name
//     or path do not matter, while the same network written two ways has one key;
//   - the resolved training config (every Ultralytics hyperparameter with defaults filled in, data as
//     an absolute path, the seed), without the keys that only name or place outputs or change
//     nothing computed: KEY_EXCLUDED_TRAIN_KEYS. `model` and `model_scale` are in the plan.
// Changing this normalisation changes every key: bump KEY_VERSION when you do.
import { createHash } from 'node:crypto';
import { resolveTrainConfig, type TrainConfigInput } from '@acmix-lab/trainer';
import type { ModelPlan } from '@acmix-lab/yolo';

export const KEY_VERSION = 1;

export const KEY_EXCLUDED_TRAIN_KEYS = [
  'model', 'model_scale', 'project', 'name', 'exist_ok', 'resume', 'verbose', 'plots', 'save', 'save_period', 'workers',
] as const;

/** JSON with object keys sorted, so equal values serialise equally. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function hash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

export function normalisedModel(plan: ModelPlan): unknown {
  return { ch: plan.ch, nc: plan.nc, layers: plan.layers.map((l) => [l.inputs, l.n, l.module, l.args]) };
}

/** The training config as the key sees it: defaults filled in, excluded keys dropped. */
export function keyedTrainConfig(train: TrainConfigInput): Record<string, unknown> {
  const resolved: Record<string, unknown> = { ...resolveTrainConfig(train) };
  for (const k of KEY_EXCLUDED_TRAIN_KEYS) delete resolved[k];
  return resolved;
}

/** The run's key (16 hex digits): model, training config and seed. */
export function runKey(plan: ModelPlan, train: TrainConfigInput): string {
  return hash({ v: KEY_VERSION, model: normalisedModel(plan), train: keyedTrainConfig(train) });
}

/** The same without the seed: one value for all seeds of a variant (to group repeated runs). */
export function variantKey(plan: ModelPlan, train: TrainConfigInput): string {
  const config = keyedTrainConfig(train);
  delete config.seed;
  return hash({ v: KEY_VERSION, model: normalisedModel(plan), train: config });
}

/** The model alone (for caching built models: same key, same network). */
export function modelKey(plan: ModelPlan): string {
  return hash({ v: KEY_VERSION, model: normalisedModel(plan) });
}
