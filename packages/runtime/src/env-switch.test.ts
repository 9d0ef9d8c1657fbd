import { describe, expect, it } from 'vitest';
import { withEnv } from './env-switch.js';

describe('withEnv', () => {
  const name = 'ACMIX_LAB_ENV_SWITCH_TEST';

  it('sets the variable for the call and removes it afterwards, also when the call throws', () => {
    expect(withEnv(name, '0', () => process.env[name])).toBe('0');
    expect(name in process.env).toBe(false);
    expect(() => withEnv(name, '0', () => { throw new Error('boom'); })).toThrow('boom');
    expect(name in process.env).toBe(false);
  });

  it('puts back a value that was set before', () => {
    process.env[name] = '1';
    try {
      expect(withEnv(name, '0', () => process.env[name])).toBe('0');
      expect(process.env[name]).toBe('1');
    } finally {
      delete process.env[name];
    }
  });
});
