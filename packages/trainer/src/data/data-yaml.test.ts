import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@acmix-lab/runtime';
import { loadDataYaml } from './data-yaml.js';
import { labelPathFor, listImageFiles } from './image-files.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'data-yaml-'));
fs.mkdirSync(path.join(root, 'ds/images/train/sub'), { recursive: true });
fs.mkdirSync(path.join(root, 'ds/images/val'), { recursive: true });
for (const f of ['images/train/b.png', 'images/train/A.jpg', 'images/train/sub/c.PNG', 'images/train/notes.md', 'images/val/v.png']) {
  fs.writeFileSync(path.join(root, 'ds', f), '');
}
fs.writeFileSync(path.join(root, 'ds/list.txt'), './images/train/b.png\nimages/val/v.png\n\n');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function yamlAt(name: string, text: string): string {
  const file = path.join(root, 'ds', name);
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadDataYaml', () => {
  it('resolves splits against path (default: the yaml folder) and derives nc from a names list', () => {
    const cfg = loadDataYaml(yamlAt('a.yaml', 'train: images/train\nval: [images/val]\nnames: [cat, dog]\n'));
    expect(cfg.path).toBe(path.join(root, 'ds'));
    expect(cfg.train).toEqual([path.join(root, 'ds/images/train')]);
    expect(cfg.val).toEqual([path.join(root, 'ds/images/val')]);
    expect(cfg.test).toBeNull();
    expect([cfg.names, cfg.nc]).toEqual([['cat', 'dog'], 2]);
  });

  it('accepts an {id: name} map, `validation` for val, nc alone, and path relative to the yaml', () => {
    const cfg = loadDataYaml(yamlAt('b.yaml', 'path: .\ntrain: list.txt\nvalidation: images/val\nnames:\n  1: dog\n  0: cat\n'));
    expect(cfg.names).toEqual(['cat', 'dog']);
    expect(cfg.val).toEqual([path.join(root, 'ds/images/val')]);
    const nc = loadDataYaml(yamlAt('c.yaml', 'train: images/train\nval: images/val\nnc: 3\n'));
    expect(nc.names).toEqual(['class_0', 'class_1', 'class_2']);
  });

  it('names file:line:column and the field in errors', () => {
    expect(errorOf(() => loadDataYaml(yamlAt('d.yaml', 'train: images/train\nval: images/nope\nnames: [a]\n'))).message)
      .toBe(`${path.join(root, 'ds/d.yaml')}:2:6: val: ${path.join(root, 'ds/images/nope')} does not exist`);
    expect(errorOf(() => loadDataYaml(yamlAt('e.yaml', 'train: images/train\nval: images/val\nnames: [a, b]\nnc: 3\n'))).message)
      .toMatch(/e\.yaml:4:5: nc: 'names' has 2 entries but nc is 3/);
    expect(errorOf(() => loadDataYaml(yamlAt('f.yaml', 'train: images/train\nval: images/val\nnames:\n  0: a\n  2: b\n'))).message)
      .toMatch(/f\.yaml:5:6: names\[2\]: 2-class dataset requires class indices 0-1, got 2/);
    expect(errorOf(() => loadDataYaml(yamlAt('g.yaml', 'train: images/train\nnames: [a]\n'))).message)
      .toMatch(/g\.yaml:1:1: 'val' is required/);
    expect(errorOf(() => loadDataYaml(yamlAt('h.yaml', 'train: 5\nval: images/val\nnames: [a]\n'))).message)
      .toMatch(/h\.yaml:1:8: train: /);
    expect(errorOf(() => loadDataYaml(yamlAt('i.yaml', 'train: images/train\nval: images/val\n'))).message)
      .toMatch(/i\.yaml:1:1: either 'names' or 'nc' is required/);
  });

  it('reads the dataset where a data map puts it: the data.yaml and the absolute path, train, val in it', () => {
    // The coordinator's /coordinator/ds is `root/ds` here (a queue worker's --data-map).
    const local = (p: string) => (p.startsWith('/coordinator/') ? path.join(root, p.slice('/coordinator/'.length)) : p);
    yamlAt('abs.yaml', 'path: /coordinator/ds\ntrain: images/train\nval: /coordinator/ds/images/val\nnames: [a]\n');
    const cfg = loadDataYaml('/coordinator/ds/abs.yaml', local);
    expect(cfg).toMatchObject({ yamlFile: path.join(root, 'ds/abs.yaml'), path: path.join(root, 'ds') });
    expect(cfg.train).toEqual([path.join(root, 'ds/images/train')]);
    expect(cfg.val).toEqual([path.join(root, 'ds/images/val')]);
    // Missing here: errors name the coordinator's path and this machine's.
    expect(errorOf(() => loadDataYaml('/coordinator/other/data.yaml', local)).message)
      .toBe(`/coordinator/other/data.yaml:0:0: ${path.join(root, 'other/data.yaml')} on this machine does not exist`);
    expect(errorOf(() => loadDataYaml(yamlAt('abs2.yaml', 'path: /coordinator/gone\ntrain: a\nval: b\nnames: [a]\n'), local)).message)
      .toBe(`${path.join(root, 'ds/abs2.yaml')}:1:7: path: /coordinator/gone (${path.join(root, 'gone')} on this machine) does not exist`);
    expect(errorOf(() => loadDataYaml(yamlAt('abs3.yaml', 'train: images/train\nval: /coordinator/ds/nope\nnames: [a]\n'), local)).message)
      .toBe(`${path.join(root, 'ds/abs3.yaml')}:2:6: val: /coordinator/ds/nope (${path.join(root, 'ds/nope')} on this machine) does not exist`);
  });
});

describe('image files and label paths', () => {
  it('lists images recursively, sorted like Python, from folders and *.txt lists', () => {
    const ds = path.join(root, 'ds');
    expect(listImageFiles([path.join(ds, 'images/train')]).map((f) => path.relative(ds, f))).toEqual([
      'images/train/A.jpg', 'images/train/b.png', 'images/train/sub/c.PNG',
    ]);
    expect(listImageFiles([path.join(ds, 'list.txt')]).map((f) => path.relative(ds, f))).toEqual(['images/train/b.png', 'images/val/v.png']);
  });

  it('maps the last /images/ to /labels/ and the extension to .txt (img2label_paths)', () => {
    expect(labelPathFor('/d/images/x/images/train/a.b.jpg')).toBe('/d/images/x/labels/train/a.b.txt');
    expect(labelPathFor('/d/pics/a.png')).toBe('/d/pics/a.txt');
  });
});
