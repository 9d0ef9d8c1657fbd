import { describe, expect, it } from 'vitest';
import { argsByName, argsFromNames } from './module-args.js';
import { lookupModule } from './registry.js';

describe('module args by name', () => {
  const acmix = lookupModule('ACmix')!;
  const c2fAcmix = lookupModule('C2f_ACmix')!;

  it('names positional args and writes named ones back, gaps filled with the defaults', () => {
    expect(argsByName(acmix, [1024, 7, 4, 3, 2])).toEqual({ c2: 1024, kernel_att: 7, head: 4, kernel_conv: 3, stride: 2 });
    expect(argsFromNames(acmix, {})).toEqual([]);
    expect(argsFromNames(acmix, { head: 2 })).toEqual([null, 7, 2]);
    expect(argsFromNames(acmix, { rates: 'conv', c2: 64 })).toEqual([64, 7, 4, 3, 1, 1, 'conv']);
    expect(argsFromNames(c2fAcmix, { c2: 256, head: 8 })).toEqual([256, false, 7, 8]);
    expect(argsFromNames(acmix, argsByName(acmix, [null, 5, 2]))).toEqual([null, 5, 2]);
  });

  it('refuses unknown names and gaps without a default', () => {
    expect(() => argsFromNames(acmix, { heads: 2 })).toThrow('ACmix has no arg heads (args: c2, kernel_att, head, kernel_conv, stride, dilation, rates)');
    expect(() => argsFromNames(c2fAcmix, { head: 2 })).toThrow('C2f_ACmix: c2 has no default; give it too');
  });
});
