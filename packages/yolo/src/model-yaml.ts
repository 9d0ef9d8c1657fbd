// Loading and validating an Ultralytics model yaml, keeping source positions so that every later
// error (parse.ts) can name file:line:column. The schema is Ultralytics' own: nc, ch, scales
// {name: [depth, width, max_channels]} or depth_multiple/width_multiple, backbone and head lists of
// [from, repeats, module, args]. Other top-level keys are ignored, as Ultralytics ignores them.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError, parseYamlText, positionOf, validateYaml, type ParsedYaml } from '@acmix-lab/runtime';
import { ModelYamlError } from './errors.js';

const fromSchema = z.union([z.int(), z.array(z.int()).min(1)]);
const layerSchema = z.tuple([fromSchema, z.int().positive(), z.string(), z.array(z.unknown())]);

export const modelYamlSchema = z.looseObject({
  nc: z.int().positive().optional(),
  ch: z.int().positive().optional(),
  scales: z.record(z.string(), z.tuple([z.number().positive(), z.number().positive(), z.number().positive()])).optional(),
  depth_multiple: z.number().positive().optional(),
  width_multiple: z.number().positive().optional(),
  activation: z.undefined({ error: 'only the default activation (nn.SiLU) is supported' }).optional(),
  backbone: z.array(layerSchema),
  head: z.array(layerSchema).default([]),
});

export type ModelYaml = z.input<typeof modelYamlSchema>;
export type ValidModelYaml = z.output<typeof modelYamlSchema>;
export type LayerEntry = ValidModelYaml['backbone'][number];

export interface ModelYamlSource {
  /** Path given by the user (or `<object>`), used in messages and for the scale guess. */
  file: string;
  text: string;
  parsed: ParsedYaml;
  spec: ValidModelYaml;
}

function asModelYamlError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError && !(err instanceof ModelYamlError)) {
      throw new ModelYamlError(err.file, err.line, err.column, err.field, err.reason);
    }
    throw err;
  }
}

export function parseModelYaml(text: string, file: string): ModelYamlSource {
  return asModelYamlError(() => {
    const parsed = parseYamlText(text, file);
    return { file, text, parsed, spec: validateYaml(parsed, modelYamlSchema) };
  });
}

/** A spec given as an object is serialised, so errors still point at a line of its yaml text. */
export function modelYamlFromObject(spec: ModelYaml, file = '<object>'): ModelYamlSource {
  return parseModelYaml(YAML.stringify(spec), file);
}

/**
 * Read a model yaml. Like Ultralytics' yaml_model_load, `yolov8n.yaml` stands for `yolov8.yaml`
 * at scale n; here the exact file wins when it exists.
 */
export function loadModelYaml(file: string): ModelYamlSource {
  let actual = file;
  if (!fs.existsSync(file)) {
    const unified = path.join(path.dirname(file), path.basename(file).replace(/(\d+)([nslmx])(.+)?$/, '$1$3'));
    if (unified !== file && fs.existsSync(unified)) actual = unified;
  }
  let text: string;
  try {
    text = fs.readFileSync(actual, 'utf8');
  } catch (err) {
    throw new ModelYamlError(file, 0, 0, '', `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { ...parseModelYaml(text, actual), file };
}

/** tasks.py::guess_model_scale (8.3): the n/s/m/l/x after `yolo<digits>` or `yolov<digits>` in the file stem (yolo11n → n), case-sensitive like its regex. */
export function guessModelScale(file: string): string | null {
  const stem = path.basename(file, path.extname(file));
  return /yolov?\d+([nslmx])/.exec(stem)?.[1] ?? null;
}

/** A ModelYamlError positioned at `yamlPath` of the source. */
export function yamlErrorAt(src: ModelYamlSource, yamlPath: readonly PropertyKey[], field: string, reason: string): ModelYamlError {
  const { line, column } = positionOf(src.parsed, yamlPath);
  return new ModelYamlError(src.parsed.file, line, column, field, reason);
}
