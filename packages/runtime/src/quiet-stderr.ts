// Keeps TensorFlow's start-up log lines off the terminal. TensorFlow 2.21 logs through absl before it
// reads TF_CPP_MIN_LOG_LEVEL: loading libtensorflow_framework runs static initialisers that print
//   WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
//   I0000 00:00:… port.cc:153] oneDNN custom operations are on. …
// and tfjs-node's module init creates the eager context (TFE_NewContext), which logs
// cpu_feature_guard.cc (filtered by TF itself at TF_CPP_MIN_LOG_LEVEL ≥ 1). Both happen inside
// `require('@tensorflow/tfjs-node')`; nothing more is printed at backend init or the first op.
// The addon in tools/native/quiet-stderr (built by the root postinstall) points fd 2 at a temporary
// file meanwhile; afterwards the capture is replayed minus the lines TF_CPP_MIN_LOG_LEVEL asks to drop.
// The same addon reports fatal signals (native-crash.ts).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface QuietStderrBinding {
  /** Redirect fd 2 to a capture file; false when already muted or the redirect failed. */
  mute(): boolean;
  /** Restore fd 2 and return what was written meanwhile; null when not muted. */
  unmute(): string | null;
  /** Write `line` to stderr if the process dies of `signo` (SIGFPE, SIGSEGV, SIGBUS, SIGILL); see native-crash.ts. */
  onFatalSignal(signo: number, line: string): void;
  /** Fault with `signo` for real (an integer division by zero for SIGFPE): tests only. */
  crashForTest(signo: number): void;
}

export const QUIET_STDERR_ADDON = fileURLToPath(
  new URL('../../../tools/native/quiet-stderr/build/Release/quiet_stderr.node', import.meta.url));

const require = createRequire(import.meta.url);

/** The addon, or null when it was not built (build failed, non-Linux): then logs simply appear. */
export function quietStderrBinding(): QuietStderrBinding | null {
  try {
    return require(QUIET_STDERR_ADDON) as QuietStderrBinding;
  } catch {
    return null;
  }
}

// absl's prefix: severity letter, MMDD, time, thread id, file:line] (absl/log/internal/log_format.cc).
// Before absl::InitializeLog the date is 0000 and the time reads 00:00:<seconds since the epoch>.
const ABSL_LINE = /^([IWEF])\d{4} [\d:.]+\s+\d+ [^\]\s]+:\d+\] /;
const ABSL_PREAMBLE = 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR';
const SEVERITY = { I: 0, W: 1, E: 2, F: 3 } as const;

/**
 * Drops absl's pre-initialisation preamble and the log messages below `minLevel` (TensorFlow's
 * TF_CPP_MIN_LOG_LEVEL: 0 INFO, 1 WARNING, 2 ERROR, 3 FATAL), including their continuation lines.
 * Everything else — higher-severity messages and any text that is not an absl log line — is kept.
 */
export function filterStartupLog(text: string, minLevel: number): string {
  const kept: string[] = [];
  let dropping = false;
  for (const line of text.split(/(?<=\n)/)) {
    if (line.replace(/\n$/, '') === ABSL_PREAMBLE) continue;
    const m = ABSL_LINE.exec(line);
    if (m) dropping = SEVERITY[m[1] as keyof typeof SEVERITY] < minLevel;
    // A line that is not an absl line continues the previous message (cpu_feature_guard spans two).
    if (!dropping) kept.push(line);
  }
  return kept.join('');
}

/**
 * Runs `load` with fd 2 captured, then writes the captured text back to stderr minus the messages
 * below TF_CPP_MIN_LOG_LEVEL. With the level at 0 (TensorFlow's default), or without the addon,
 * nothing is captured. If TensorFlow aborts meanwhile, the addon replays the capture first.
 */
export function withStartupLogsFiltered<T>(load: () => T,
  binding: QuietStderrBinding | null = quietStderrBinding()): T {
  const level = Number(process.env.TF_CPP_MIN_LOG_LEVEL ?? 0) || 0;
  const muted = level > 0 && binding !== null && binding.mute();
  try {
    return load();
  } finally {
    if (muted) {
      const rest = filterStartupLog(binding.unmute() ?? '', level);
      if (rest) process.stderr.write(rest);
    }
  }
}
