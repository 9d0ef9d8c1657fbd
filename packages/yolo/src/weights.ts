// Weights in and out of a YoloModel.
// - PyTorch state_dict (safetensors), keys exactly as Ultralytics names them (`model.0.conv.weight`,
//   `model.0.bn.running_mean`, `model.22.dfl.conv.weight`, ACmix's `model.16.conv1.weight`, …),
//   through each layer's TorchParamBinding: OIHW ↔ HWIO and friends. `num_batches_tracked` buffers
//   are ignored (Ultralytics checkpoints carry them; BatchNorm2d re-creates them when absent).
// - TensorFlow.js format (model.json + weights.bin, tfjs-node's file:// handler) with the yaml text and
//   build options beside it, so a saved model reloads with its spec; written atomically.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeDirAtomic, writeFileAtomic, writeSafetensors, type TensorMap } from '@acmix-lab/runtime';
import { SavedModelError, StateDictError } from './errors.js';
import { parseModelYaml } from './model-yaml.js';
import { buildModel, type YoloModel } from './model.js';
import type { BuildOptions } from './parse.js';

const IGNORED_SUFFIX = '.num_batches_tracked';

/** The model's weights as an Ultralytics state_dict (float32, PyTorch layouts). */
export async function exportStateDict(m: YoloModel): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const b of m.torchBindings()) {
    const t = tf.tidy(() => b.toTorch(b.variable.read()));
    out.set(b.key, { dtype: 'F32', shape: b.torchShape, data: (await t.data()) as Float32Array });
    t.dispose();
  }
  return out;
}

/**
 * Load an Ultralytics state_dict. Every unknown key, missing key and shape mismatch is reported
 * together in one StateDictError before any weight changes.
 */
export function importStateDict(m: YoloModel, sd: TensorMap, file = '<state_dict>'): void {
  const bindings = m.torchBindings();
  const byKey = new Map(bindings.map((b) => [b.key, b]));
  const unknown = [...sd.keys()].filter((k) => !byKey.has(k) && !k.endsWith(IGNORED_SUFFIX));
  const missing = bindings.filter((b) => !sd.has(b.key)).map((b) => b.key);
  const mismatched = bindings.flatMap((b) => {
    const t = sd.get(b.key);
    return t && (t.shape.length !== b.torchShape.length || t.shape.some((d, i) => d !== b.torchShape[i]))
      ? [{ key: b.key, expected: b.torchShape, got: t.shape }] : [];
  });
  const badType = bindings.filter((b) => { const t = sd.get(b.key); return t && t.dtype !== 'F32' && t.dtype !== 'F64'; });
  if (unknown.length || missing.length || mismatched.length || badType.length) {
    throw new StateDictError(file, [...unknown, ...badType.map((b) => `${b.key} (dtype ${sd.get(b.key)!.dtype})`)], missing, mismatched);
  }
  for (const b of bindings) {
    const t = sd.get(b.key)!;
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as Float64Array);
    tf.tidy(() => { b.variable.write(b.fromTorch(tf.tensor(data, t.shape, 'float32'))); });
  }
}

export function loadStateDict(m: YoloModel, file: string): void {
  importStateDict(m, readSafetensors(file), file);
}

export async function saveStateDict(m: YoloModel, file: string): Promise<void> {
  writeSafetensors(file, await exportStateDict(m), { format: 'pt' });
}

interface SavedSpec {
  /** The yaml the model was built from, as given by the user. */
  file: string;
  options: BuildOptions;
}

function fileUrl(p: string): string {
  const url = `file://${path.resolve(p)}`;
  if (tf.io.getSaveHandlers(url).length === 0) {
    throw new SavedModelError(`${p}: the TensorFlow.js file:// handler is not registered (it comes with ` +
      '@tensorflow/tfjs-node: run `npm run setup` and initialise the backend first)');
  }
  return url;
}

/** Writes `dir/{model.json, weights.bin, model.yaml, build.json}` atomically (temp dir, then rename). */
export async function saveModel(m: YoloModel, dir: string): Promise<void> {
  fileUrl(dir);
  const spec: SavedSpec = { file: m.source.file, options: { ...m.options, scale: m.scale ?? undefined, ch: m.ch, imgsz: m.imgsz } };
  await writeDirAtomic(dir, async (tmp) => {
    await m.model.save(fileUrl(tmp));
    writeFileAtomic(path.join(tmp, 'model.yaml'), m.source.text);
    writeFileAtomic(path.join(tmp, 'build.json'), `${JSON.stringify(spec, null, 2)}\n`);
  });
}

/** Rebuilds the model from its saved yaml and options, then loads the saved weights by name. */
export async function loadModel(dir: string): Promise<YoloModel> {
  let spec: SavedSpec;
  let text: string;
  try {
    spec = JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8')) as SavedSpec;
    text = fs.readFileSync(path.join(dir, 'model.yaml'), 'utf8');
  } catch (err) {
    throw new SavedModelError(`${dir}: not a saved acmix-lab model (${(err as Error).message})`);
  }
  const source = { ...parseModelYaml(text, path.join(dir, 'model.yaml')), file: spec.file };
  const m = buildModel(source, spec.options);
  const handler = tf.io.getLoadHandlers(fileUrl(path.join(dir, 'model.json')))[0]!;
  const artifacts = await handler.load!();
  const saved = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    const weights = m.model.weights;
    const missing = weights.filter((w) => !(w.originalName in saved)).map((w) => w.originalName);
    const known = new Set(weights.map((w) => w.originalName));
    const extra = Object.keys(saved).filter((k) => !known.has(k));
    if (missing.length || extra.length) {
      m.dispose();
      throw new SavedModelError(`${dir}: weights do not match model.yaml (missing: ${missing.slice(0, 5).join(', ') || '-'}; ` +
        `unexpected: ${extra.slice(0, 5).join(', ') || '-'})`);
    }
    for (const w of weights) w.write(saved[w.originalName]!);
  } finally {
    tf.dispose(saved);
  }
  return m;
}
