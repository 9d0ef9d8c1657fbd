// Test helpers (imported by this package's tests only): sweep files written to a temporary folder
// and read relative to the repository root, and a record of every variant a test file enumerates,
// so that the file's last test can build them all and run them forward and backward.
import { expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '@acmix-lab/runtime';
import { buildModel, parseModelYaml } from '@acmix-lab/yolo';
import { exerciseModel } from '@acmix-lab/yolo/testing';
import { readSweepFile, type Sweep } from './sweep-file.js';
import { enumerateVariants, type Variant } from './variants.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MODELS = path.join(ROOT, 'experiments/models');

/** Writes `text` as `<name>` in a fresh temporary folder and returns its path. */
export function writeSweep(text: string, name = 'sweep.yaml'): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-')), name);
  fs.writeFileSync(file, text);
  return file;
}

/** A sweep on experiments/models/yolov8.yaml at scale n: `body` holds positions, combine, grid…. */
export function sweepText(body: string, header = 'name: t\nmodel: experiments/models/yolov8.yaml\nscales: [n]\ndata: datasets/d/data.yaml\n'): string {
  return `${header}${body}`;
}

export function readSweep(text: string): Sweep {
  return readSweepFile(writeSweep(text), { cwd: ROOT });
}

/** The one-line error of reading and enumerating `text` (sweep.yaml in a temporary folder), its folder shown as `sweep.yaml`. */
export function errorOf(text: string): string {
  const file = writeSweep(text);
  try {
    enumerateVariants(readSweepFile(file, { cwd: ROOT }));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    return message.replace(`${file}:`, 'sweep.yaml:');
  }
  throw new Error('no error');
}

const enumerated = new Map<string, Variant>();

/** enumerateVariants, remembering each distinct model for exerciseEnumerated(). */
export function variantsOf(text: string): Variant[] {
  const variants = enumerateVariants(readSweep(text));
  for (const v of variants) enumerated.set(`${v.scale}\n${v.modelYaml}`, v);
  return variants;
}

/** The variant named `name` (first seed). */
export function variantNamed(variants: Variant[], name: string): Variant {
  const v = variants.find((x) => x.name === name);
  if (!v) throw new Error(`no variant ${name} (have ${[...new Set(variants.map((x) => x.name))].join(', ')})`);
  return v;
}

/** Builds every model variantsOf() returned so far (64 px, batch 2): forward and backward, no leaks. */
export async function exerciseEnumerated(): Promise<void> {
  expect(enumerated.size).toBeGreaterThan(0);
  const before = tf.memory().numTensors;
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  for (const v of enumerated.values()) {
    const m = buildModel(parseModelYaml(v.modelYaml, v.file), { scale: v.scale ?? undefined });
    try {
      await exerciseModel(m, x);
    } catch (err) {
      throw new Error(`${v.name}: ${(err as Error).message}`);
    } finally {
      m.dispose();
    }
  }
  x.dispose();
  expect(tf.memory().numTensors).toBe(before);
}
