// Worker processes of the runner: spawned with their share of the CPU threads in their environment
// (threads.ts), in the runner's process group (Ctrl-C and `kill -- -PGID` reach them too), talking over
// IPC (messages.ts). The pool only starts, addresses and reports on them; runner.ts decides what they do.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunnerMessage, WorkerMessage } from './messages.js';
import { threadEnv } from './threads.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const ENTRY = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const STDERR_LINES = 20;

export interface WorkerSpec {
  dbFile: string;
  threads: number;
  heartbeatMs: number;
  /** `tensorflow` or `cpu` (ACMIX_LAB_BACKEND in the worker); default: the worker's default. */
  backend?: string;
}

export interface WorkerEvents {
  message(worker: WorkerProcess, message: WorkerMessage): void;
  exit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  /** The store's name for it: `host:pid`, as the worker's currentWorker() says. */
  readonly id: string;
  ready = false;
  /** The run it was handed and has not reported done. */
  runId: number | null = null;
  exited = false;
  private readonly stderr: string[] = [];

  constructor(readonly slot: number, readonly spec: WorkerSpec, events: WorkerEvents) {
    const env = { ...process.env, ...threadEnv(spec.threads), ...(spec.backend ? { ACMIX_LAB_BACKEND: spec.backend } : {}) };
    this.child = spawn(process.execPath, ['--import', TSX, ENTRY, spec.dbFile, String(spec.threads), String(spec.heartbeatMs)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env,
    });
    this.id = `${os.hostname()}:${this.child.pid}`;
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr.push(...text.split('\n').filter((l) => l.trim()));
      this.stderr.splice(0, Math.max(0, this.stderr.length - STDERR_LINES));
    });
    this.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') this.ready = true;
      events.message(this, message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      events.exit(this, code, signal);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(message: RunnerMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  /** The last lines it wrote to stderr (its error before an unexpected exit). */
  lastError(): string {
    return this.stderr.at(-1) ?? '';
  }
}

/** Whether `pid` on this host is still a sweep worker (a pid can be reused by an unrelated process). */
export function isWorkerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(ENTRY);
  } catch {
    return os.platform() !== 'linux'; // no /proc: trust the signal test
  }
}
