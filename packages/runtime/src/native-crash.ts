// What to say when a process dies of a signal. JavaScript cannot catch SIGFPE or SIGSEGV raised in
// native code (issue 8: a SIGFPE inside oneDNN), so a parent that sees its child die of one — the
// sweep runner's workers — describes it with describeSignalDeath.
// (Minimal form added by issue 10; issue 8's branch adds the in-process crash report beside it.)

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
