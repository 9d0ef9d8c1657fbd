import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/acmix-lab.js', import.meta.url));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ACMIX_LAB_BACKEND: '' } });
}

describe('acmix-lab CLI', () => {
  it('reports the native backend and versions as JSON', () => {
    const res = cli('env', '--json');
    expect(res.status).toBe(0);
    const env = JSON.parse(res.stdout);
    expect(env.backend).toBe('tensorflow');
    expect(env.tensorflowVersion).toBe('2.21.0');
    expect(env.tfjsVersion).toBe('4.22.0');
    expect(env.cpus).toBeGreaterThan(0);
  });

  it('prints one error line without a stack trace and exits non-zero', () => {
    const res = cli('env', '--backend', 'bogus');
    expect(res.status).not.toBe(0);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toEqual(['acmix-lab: error: --backend: unknown backend "bogus" (expected tensorflow or cpu)']);
    expect(res.stdout).toBe('');
  });

  it('prints the stack with --verbose', () => {
    const res = cli('--verbose', 'env', '--backend', 'bogus');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/at .*backend\.ts/);
  });

  it('rejects an unknown command in one line', () => {
    const res = cli('frobnicate');
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});
