import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseYamlText, validateYaml } from './yaml-config.js';

const schema = z.object({ epochs: z.number().int().positive(), names: z.array(z.string()) }).strict();

describe('yaml config validation', () => {
  it('returns typed data when valid', () => {
    expect(validateYaml(parseYamlText('epochs: 3\nnames: [a, b]\n', 'a.yaml'), schema)).toEqual({ epochs: 3, names: ['a', 'b'] });
  });

  it('names file, line, column and field of a bad value', () => {
    const parsed = parseYamlText('epochs: 3\nnames:\n  - a\n  - 7\n', 'd.yaml');
    expect(() => validateYaml(parsed, schema)).toThrow(/^d\.yaml:4:5: names\[1\]: /);
  });

  it('points at the parent for a missing key and names unknown keys', () => {
    expect(() => validateYaml(parseYamlText('names: []\n', 'm.yaml'), schema)).toThrow(/^m\.yaml:1:1: epochs: /);
    expect(() => validateYaml(parseYamlText('epochs: 1\nnames: []\nepoch: 2\n', 'u.yaml'), schema)).toThrow(/^u\.yaml:3:8: epoch: Unrecognized key/);
  });

  it('gives the reason of a record key that fails its schema', () => {
    const keyed = z.record(z.string().regex(/^[a-z]+$/, 'lower-case names only'), z.number());
    expect(() => validateYaml(parseYamlText('ok: 1\nNot: 2\n', 'k.yaml'), keyed)).toThrow(/^k\.yaml:2:6: Not: lower-case names only$/);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(() => parseYamlText('epochs: [1, 2\nnames: x\n', 's.yaml')).toThrow(/^s\.yaml:\d+:\d+: YAML syntax error/);
  });
});
