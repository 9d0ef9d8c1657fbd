import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type TensorMap } from './safetensors.js';

describe('safetensors', () => {
  it('round-trips tensors of each dtype through a file', () => {
    const map: TensorMap = new Map([
      ['a.weight', { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) }],
      ['b', { dtype: 'I64', shape: [2], data: new BigInt64Array([7n, -9n]) }],
      ['c', { dtype: 'F64', shape: [], data: new Float64Array([Math.PI]) }],
    ]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'st-')), 'x.safetensors');
    writeSafetensors(file, map, { format: 'pt' });
    const back = readSafetensors(file);
    expect([...back.keys()]).toEqual(['a.weight', 'b', 'c']);
    expect(Array.from(back.get('a.weight')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(back.get('b')!.data[1]).toBe(-9n);
    expect(back.get('c')!.shape).toEqual([]);
  });

  it('aligns tensor data to 8 bytes like the reference writer', () => {
    const buf = encodeSafetensors(new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array([1]) }]]));
    expect((8 + Number(buf.readBigUInt64LE(0))) % 8).toBe(0);
  });

  it('names the file and tensor when offsets do not fit the shape', () => {
    const buf = encodeSafetensors(new Map([['x', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }]]));
    const header = buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString().replace('[2]', '[3]');
    const bad = Buffer.concat([buf.subarray(0, 8), Buffer.from(header), buf.subarray(8 + header.length)]);
    expect(() => decodeSafetensors(bad, 'w.safetensors')).toThrow(/w.safetensors: tensor "x" has offsets/);
  });
});
