import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { filterStartupLog, QUIET_STDERR_ADDON, quietStderrBinding, withStartupLogsFiltered } from './quiet-stderr.js';

// What TensorFlow 2.21 wrote to fd 2 while `require('@tensorflow/tfjs-node')` ran with
// TF_CPP_MIN_LOG_LEVEL=0 (captured on this machine), plus an ERROR line and plain text to keep.
const PREAMBLE = 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n';
const ONEDNN = 'I0000 00:00:1795612123.871330   17506 port.cc:153] oneDNN custom operations are on. You may see ' +
  'slightly different numerical results due to floating-point round-off errors from different computation orders. ' +
  'To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n';
const CPU_GUARD = 'I0000 00:00:1795612124.015406   17506 cpu_feature_guard.cc:227] This TensorFlow binary is optimized ' +
  'to use available CPU instructions in performance-critical operations.\n' +
  'To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 AVX_VNNI FMA, in other operations, ' +
  'rebuild TensorFlow with the appropriate compiler flags.\n';
const WARNING = 'W1125 13:02:11.000001   17506 env.cc:12] a warning\n';
const ERROR = 'E1125 13:02:11.123456   17506 op_kernel.cc:1830] OP_REQUIRES failed: something real\n  second line\n';
const PLAIN = 'a line that is not an absl message\n';

const quietStderrTs = fileURLToPath(new URL('./quiet-stderr.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

/** Runs an ES module snippet in a child node (TypeScript through tsx) and returns its stdout/stderr. */
function child(code: string, env: Record<string, string | undefined> = {}, cwd = packageDir) {
  return spawnSync(process.execPath, ['--import', pathToFileURL(tsx).href, '--input-type=module', '-e', code], {
    encoding: 'utf8', cwd, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: undefined, ...env },
  });
}

describe('filterStartupLog', () => {
  it('drops the absl preamble and the messages below the level, continuation lines included', () => {
    const text = PREAMBLE + ONEDNN + CPU_GUARD + WARNING + ERROR + PLAIN;
    expect(filterStartupLog(text, 2)).toBe(ERROR + PLAIN);
    expect(filterStartupLog(text, 1)).toBe(WARNING + ERROR + PLAIN);
    expect(filterStartupLog(text, 0)).toBe(ONEDNN + CPU_GUARD + WARNING + ERROR + PLAIN);
    // Plain text right after a dropped message reads as its continuation.
    expect(filterStartupLog(text, 3)).toBe('');
  });

  it('keeps text before the first absl line and a last line without a newline', () => {
    expect(filterStartupLog(`${PLAIN}${ONEDNN}tail`, 2)).toBe(PLAIN);
    expect(filterStartupLog(`${ERROR}tail`, 2)).toBe(`${ERROR}tail`);
  });
});

describe('quiet-stderr addon', () => {
  it('is built by npm ci', () => {
    expect(quietStderrBinding(), `${QUIET_STDERR_ADDON} missing: run \`npm run setup\``).not.toBeNull();
  });

  it('captures fd 2 between mute and unmute and restores it afterwards', () => {
    const res = child(`
      import { createRequire } from 'node:module';
      import { writeSync } from 'node:fs';
      const q = createRequire(import.meta.url)(${JSON.stringify(QUIET_STDERR_ADDON)});
      const first = q.mute();
      const second = q.mute();
      writeSync(2, 'hidden by fd\\n');
      process.stderr.write('hidden by stream\\n');
      const captured = q.unmute();
      writeSync(2, 'visible by fd\\n');
      process.stderr.write('visible by stream\\n');
      console.log(JSON.stringify({ first, second, captured, again: q.unmute() }));
    `);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toBe('visible by fd\nvisible by stream\n');
    expect(JSON.parse(res.stdout)).toEqual({
      first: true, second: false, captured: 'hidden by fd\nhidden by stream\n', again: null,
    });
  });

  it('replays the capture to the real stderr when the process aborts while muted', () => {
    const res = child(`
      import { createRequire } from 'node:module';
      import { writeSync } from 'node:fs';
      const q = createRequire(import.meta.url)(${JSON.stringify(QUIET_STDERR_ADDON)});
      q.mute();
      writeSync(2, 'F0000 00:00:1795612124.015406   17506 cpu_feature_guard.cc:1] fatal: no AVX\\n');
      process.abort();
    `, {}, os.tmpdir()); // where a core dump, if enabled, does no harm
    expect(res.signal).toBe('SIGABRT');
    expect(res.stderr).toContain('cpu_feature_guard.cc:1] fatal: no AVX\n');
  });
});

describe('withStartupLogsFiltered', () => {
  const load = `
    import { writeSync } from 'node:fs';
    const { withStartupLogsFiltered } = await import(${JSON.stringify(quietStderrTs)});
    const value = withStartupLogsFiltered(() => { writeSync(2, ${JSON.stringify(PREAMBLE + ONEDNN + ERROR + PLAIN)}); return 42; });
    writeSync(2, 'after: ' + value + '\\n');
  `;

  it('replays only what TF_CPP_MIN_LOG_LEVEL lets through, then leaves stderr alone', () => {
    const res = child(load, { TF_CPP_MIN_LOG_LEVEL: '2' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toBe(`${ERROR}${PLAIN}after: 42\n`);
  });

  it('captures nothing at level 0, TensorFlow\'s default', () => {
    const res = child(load);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toBe(`${PREAMBLE}${ONEDNN}${ERROR}${PLAIN}after: 42\n`);
  });

  it('just runs the load without the addon', () => {
    expect(withStartupLogsFiltered(() => 7, null)).toBe(7);
  });
});
