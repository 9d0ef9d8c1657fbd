// data.yaml the way Ultralytics' check_det_dataset reads it (ultralytics/data/utils.py, v8.1/8.2):
// `train` and `val` required (`validation` accepted for `val`), optional `test`, `names` as a list or
// an {id: name} map with ids 0..n-1, or only `nc` (names become class_0…); `path` is the dataset
// root that split paths are joined to, defaulting to the yaml's folder. No downloads.
// Differences, on purpose: a relative `path` is looked up next to the yaml before the working
// directory (Ultralytics: working directory, then its datasets dir), and every split path must exist.
// `local` says where an absolute path of the dataset is on this machine (a queue worker's data map): it is
// applied to the data.yaml and to the absolute `path` and split entries in it, and errors name both paths.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, configErrorAt, readYamlFile, validateYaml, type ParsedYaml } from '@acmix-lab/runtime';

const splitSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const dataYamlSchema = z.object({
  path: z.string().nullish(),
  train: splitSchema,
  val: splitSchema.optional(),
  validation: splitSchema.optional(),
  test: splitSchema.nullish(),
  nc: z.number().int().positive().optional(),
  names: z.union([
    z.array(z.union([z.string(), z.number()]).transform(String)).min(1),
    z.record(z.string(), z.union([z.string(), z.number()]).transform(String)),
  ]).optional(),
}).loose();

export interface DataConfig {
  /** The data.yaml that was read (absolute). */
  yamlFile: string;
  /** Dataset root (absolute). */
  path: string;
  /** Each split is a list of absolute image folders, image files or *.txt lists. */
  train: string[];
  val: string[];
  test: string[] | null;
  names: string[];
  nc: number;
}

/** Class names as a list, from a list or from a map whose keys must be exactly 0..n-1 (check_class_names). */
function namesList(parsed: ParsedYaml, names: string[] | Record<string, string> | undefined, nc: number | undefined): string[] {
  if (names === undefined) {
    if (nc === undefined) throw configErrorAt(parsed, [], "either 'names' or 'nc' is required");
    return Array.from({ length: nc }, (_, i) => `class_${i}`);
  }
  let list: string[];
  if (Array.isArray(names)) {
    list = names;
  } else {
    const keys = Object.keys(names);
    list = new Array<string>(keys.length);
    for (const key of keys) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0 || id >= keys.length) {
        throw configErrorAt(parsed, ['names', Number.isInteger(id) ? id : key], `${keys.length}-class dataset requires class indices 0-${keys.length - 1}, got ${key}`);
      }
      list[id] = names[key]!;
    }
  }
  if (nc !== undefined && nc !== list.length) {
    throw configErrorAt(parsed, ['nc'], `'names' has ${list.length} entries but nc is ${nc}; they must match`);
  }
  return list;
}

/** Where an absolute dataset path is on this machine. */
export type LocalPath = (absolute: string) => string;

/** `p`, and what it is on this machine when a data map moved it: for errors. */
const both = (p: string, local: string) => (p === local ? p : `${p} (${local} on this machine)`);

function resolveRoot(root: string | null | undefined, yamlDir: string, local: LocalPath): string {
  if (!root) return yamlDir;
  if (path.isAbsolute(root)) return local(root);
  const candidates = [path.resolve(yamlDir, root), path.resolve(root)];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}

/** Join a split entry to the root; like Ultralytics, retry without a leading "../" if that misses. */
function resolveSplit(parsed: ParsedYaml, root: string, key: 'train' | 'val' | 'validation' | 'test', value: string | string[], local: LocalPath): string[] {
  const entries = Array.isArray(value) ? value : [value];
  return entries.map((entry, i) => {
    let p = path.isAbsolute(entry) ? local(entry) : path.resolve(root, entry);
    if (!fs.existsSync(p) && entry.startsWith('../')) {
      const retry = path.resolve(root, entry.slice(3));
      if (fs.existsSync(retry)) p = retry;
    }
    if (!fs.existsSync(p)) {
      throw configErrorAt(parsed, Array.isArray(value) ? [key, i] : [key], `${path.isAbsolute(entry) ? both(entry, p) : p} does not exist`);
    }
    return p;
  });
}

/** Read and check a data.yaml; errors are ConfigError naming file:line:column and the field. */
export function loadDataYaml(file: string, local: LocalPath = (p) => p): DataConfig {
  const asked = path.resolve(file);
  const yamlFile = local(asked);
  if (yamlFile !== asked && !fs.existsSync(yamlFile)) throw new ConfigError(asked, 0, 0, '', `${yamlFile} on this machine does not exist`);
  const parsed = readYamlFile(yamlFile);
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    throw configErrorAt(parsed, [], 'a data.yaml must be a mapping with train, val and names');
  }
  const data = validateYaml(parsed, dataYamlSchema);
  const valKey = data.val !== undefined ? 'val' : 'validation';
  const val = data.val ?? data.validation;
  if (val === undefined) throw configErrorAt(parsed, [], "'val' is required ('train' and 'val' are required in all data YAMLs)");
  const names = namesList(parsed, data.names, data.nc);
  const root = resolveRoot(data.path, path.dirname(yamlFile), local);
  if (data.path && path.isAbsolute(data.path) && !fs.existsSync(root)) throw configErrorAt(parsed, ['path'], `${both(data.path, root)} does not exist`);
  return {
    yamlFile,
    path: root,
    train: resolveSplit(parsed, root, 'train', data.train, local),
    val: resolveSplit(parsed, root, valKey, val, local),
    test: data.test ? resolveSplit(parsed, root, 'test', data.test, local) : null,
    names,
    nc: names.length,
  };
}
