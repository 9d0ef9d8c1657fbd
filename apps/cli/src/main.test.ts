import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/acmix-lab.js', import.meta.url));
const yolov8 = fileURLToPath(new URL('../../../experiments/models/yolov8.yaml', import.meta.url));

function cli(...args: string[]) {
  return cliWithEnv({}, ...args);
}

function cliWithEnv(env: Record<string, string | undefined>, ...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8', env: { ...process.env, ACMIX_LAB_BACKEND: '', TF_CPP_MIN_LOG_LEVEL: undefined, ...env },
  });
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
    // TensorFlow's start-up log lines (absl preamble, port.cc oneDNN notice) are filtered out.
    expect(res.stderr).toBe('');
  });

  it('prints exactly one error line when a command fails after TensorFlow has loaded', () => {
    // The model is built (TensorFlow loaded, ops run) before the weights are read.
    const res = cli('forward', '--model', yolov8, '--scale', 'n',
      '--weights', '/nonexistent/w.safetensors', '--input', '/nonexistent/x.safetensors', '--out', '/nonexistent/y.safetensors');
    expect(res.status).toBe(1);
    expect(res.stderr).toBe('acmix-lab: error: /nonexistent/w.safetensors: cannot read (ENOENT)\n');
  });

  it('shows TensorFlow\'s start-up lines when TF_CPP_MIN_LOG_LEVEL=0 asks for INFO logs', () => {
    const res = cliWithEnv({ TF_CPP_MIN_LOG_LEVEL: '0' }, 'env', '--json');
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/^I\d{4} .* port\.cc:\d+\] oneDNN custom operations are on/m);
    expect(res.stderr).toMatch(/^I\d{4} .* cpu_feature_guard\.cc:\d+\] /m);
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

  // A crash in native code cannot be caught in JavaScript: the quiet-stderr addon writes the line and
  // the process still dies of the signal. ACMIX_LAB_CRASH_TEST faults natively once the command starts.
  it.each([
    ['SIGFPE', ['env'], 'acmix-lab env', 'floating point exception'],
    ['SIGSEGV', ['data', 'check', '--data', '/nonexistent/data.yaml'], 'acmix-lab data check', 'segmentation fault'],
  ])('ends a native %s in one line naming the signal and what to try', (signal, args, command, meaning) => {
    const res = cliWithEnv({ ACMIX_LAB_CRASH_TEST: signal }, ...args);
    expect(res.signal).toBe(signal);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`acmix-lab: error: native code crashed with ${signal} (${meaning}) in ${command}, most likely inside ` +
      'TensorFlow; run it with --backend cpu to check the model, and report it\n');
  });
});
