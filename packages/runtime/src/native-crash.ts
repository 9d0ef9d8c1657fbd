// What to say when native code kills a process with a signal. JavaScript cannot catch SIGFPE or
// SIGSEGV: in the process itself the quiet-stderr addon writes a line prepared here and lets the
// signal kill it (reportNativeCrashes); a parent that sees its child die of a signal — the sweep
// runner's workers — describes it with describeSignalDeath. Issue 8 (docs/onednn-sigfpe.md) was
// such a crash inside oneDNN.
import os from 'node:os';
import { quietStderrBinding, type QuietStderrBinding } from './quiet-stderr.js';

/** The signals native code dies of, as the shell names them. */
const CRASH_SIGNALS = {
  SIGFPE: 'floating point exception',
  SIGSEGV: 'segmentation fault',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
} as const;
export type CrashSignal = keyof typeof CRASH_SIGNALS;

/**
 * One line (no prefix) for a process killed by `signal` while doing `what` (e.g. "acmix-lab train",
 * "the worker of run 12"): for a crash, what to try; else who probably sent it.
 */
export function describeSignalDeath(signal: NodeJS.Signals, what: string): string {
  if (signal in CRASH_SIGNALS) {
    return `native code crashed with ${signal} (${CRASH_SIGNALS[signal as CrashSignal]}) in ${what}, most likely ` +
      'inside TensorFlow; run it with --backend cpu to check the model, and report it';
  }
  if (signal === 'SIGKILL') return `${what} was killed by SIGKILL (out of memory, or killed by another process)`;
  return `${what} was stopped by ${signal}`;
}

/**
 * From now on, a crash of this process writes `lineFor(signal)` (a newline is added) to stderr
 * before the signal kills it. False when the quiet-stderr addon is not built (then the shell's
 * bare message remains). ACMIX_LAB_CRASH_TEST=SIGFPE (or another crash signal) faults right after,
 * natively, for tests of the report.
 */
export function reportNativeCrashes(lineFor: (signal: CrashSignal) => string,
  binding: QuietStderrBinding | null = quietStderrBinding()): boolean {
  if (!binding) return false;
  for (const signal of Object.keys(CRASH_SIGNALS) as CrashSignal[]) {
    binding.onFatalSignal(os.constants.signals[signal], `${lineFor(signal)}\n`);
  }
  const test = process.env.ACMIX_LAB_CRASH_TEST;
  if (test && test in CRASH_SIGNALS) binding.crashForTest(os.constants.signals[test as CrashSignal]);
  return true;
}
