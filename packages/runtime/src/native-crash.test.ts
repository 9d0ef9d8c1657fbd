import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeSignalDeath } from './native-crash.js';
import { QUIET_STDERR_ADDON, quietStderrBinding } from './quiet-stderr.js';

const nativeCrashTs = fileURLToPath(new URL('./native-crash.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

/** A child node that arms the report with "crash: <signal>" lines, then runs `code`. */
function crashingChild(code: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', pathToFileURL(tsx).href, '--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    import { writeSync } from 'node:fs';
    const { reportNativeCrashes } = await import(${JSON.stringify(nativeCrashTs)});
    const addon = createRequire(import.meta.url)(${JSON.stringify(QUIET_STDERR_ADDON)});
    console.log('armed ' + reportNativeCrashes((signal) => 'crash: ' + signal));
    ${code}
    console.log('still alive');
  `], { encoding: 'utf8', cwd: os.tmpdir(), env: { ...process.env, ...env } }); // a core dump, if enabled, lands in tmp
}

describe('describeSignalDeath', () => {
  it('names a crash signal and what to try', () => {
    expect(describeSignalDeath('SIGFPE', 'acmix-lab train')).toBe('native code crashed with SIGFPE (floating point exception) ' +
      'in acmix-lab train, most likely inside TensorFlow; run it with --backend cpu to check the model, and report it');
    expect(describeSignalDeath('SIGSEGV', 'the worker of run 3')).toMatch(/^native code crashed with SIGSEGV \(segmentation fault\) in the worker of run 3, /);
  });

  it('says who probably sent the other signals', () => {
    expect(describeSignalDeath('SIGKILL', 'the worker of run 3')).toBe('the worker of run 3 was killed by SIGKILL (out of memory, or killed by another process)');
    expect(describeSignalDeath('SIGTERM', 'acmix-lab train')).toBe('acmix-lab train was stopped by SIGTERM');
  });
});

describe('reportNativeCrashes (quiet-stderr addon)', () => {
  it('is available: the addon is built by npm ci', () => {
    expect(quietStderrBinding(), `${QUIET_STDERR_ADDON} missing: run \`npm run setup\``).not.toBeNull();
  });

  it.each(['SIGFPE', 'SIGSEGV'])('a real %s in native code prints the line, and the process still dies of it', (signal) => {
    const res = crashingChild(`addon.crashForTest(${os.constants.signals[signal as 'SIGFPE']});`);
    expect(res.stdout).toBe('armed true\n');
    expect(res.signal).toBe(signal);
    expect(res.stderr).toBe(`crash: ${signal}\n`);
  });

  it('reports a signal sent from outside too (SIGILL by raise)', () => {
    const res = crashingChild(`addon.crashForTest(${os.constants.signals.SIGILL});`);
    expect(res.signal).toBe('SIGILL');
    expect(res.stderr).toBe('crash: SIGILL\n');
  });

  it('replays what TensorFlow wrote while stderr was muted before the line', () => {
    const res = crashingChild(`addon.mute(); writeSync(2, 'F0000 fatal while loading\\n'); addon.crashForTest(${os.constants.signals.SIGFPE});`);
    expect(res.signal).toBe('SIGFPE');
    expect(res.stderr).toBe('F0000 fatal while loading\ncrash: SIGFPE\n');
  });

  it("leaves Node's own SIGSEGV handling alone: a WebAssembly out-of-bounds load is still a catchable error", () => {
    // (module (memory 1) (func (export "load") (result i32) (i32.load (i32.const -16))))
    const wasm = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 8, 1, 4, 108, 111, 97,
      100, 0, 0, 10, 9, 1, 7, 0, 65, 112, 40, 2, 0, 11];
    const res = crashingChild(`
      const { instance } = await WebAssembly.instantiate(new Uint8Array(${JSON.stringify(wasm)}));
      try { instance.exports.load(); } catch (err) { console.log(err.constructor.name, err.message); }
    `);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toBe('armed true\nRuntimeError memory access out of bounds\nstill alive\n');
    expect(res.stderr).toBe('');
  });

  it('faults on request with ACMIX_LAB_CRASH_TEST, for tests of commands', () => {
    const res = crashingChild('', { ACMIX_LAB_CRASH_TEST: 'SIGSEGV' });
    expect(res.signal).toBe('SIGSEGV');
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe('crash: SIGSEGV\n');
  });
});
