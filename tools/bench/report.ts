// Shared plumbing for benchmarks: timing, the machine line, and recording into docs/benchmarks.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@acmix-lab/runtime';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A numeric command-line flag: `--name 3`, else the fallback. */
export function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Node ${process.versions.node}, ${os.platform()}-${os.arch()}`;
}

/** Median wall time in ms of `fn` after `warmup` untimed runs. */
export async function timeMs(fn: () => unknown | Promise<unknown>, { warmup = 1, runs = 5 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export interface Times { wall: number; cpu: number }

/**
 * Median wall and CPU ms (the process's user + system time, all threads: steadier than wall time on a shared
 * machine) of each route's run, the routes taking turns (ABBA…) every round after one untimed run each.
 */
export function alternateMs<R extends string>(runs: Record<R, () => void>, rounds: number): Record<R, Times> {
  const routes = Object.keys(runs) as R[];
  const times = Object.fromEntries(routes.map((r) => [r, { wall: [] as number[], cpu: [] as number[] }])) as Record<R, { wall: number[]; cpu: number[] }>;
  const run = (route: R) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    runs[route]();
    times[route].wall.push(performance.now() - t0);
    const cpu = process.cpuUsage(cpu0);
    times[route].cpu.push((cpu.user + cpu.system) / 1000);
  };
  routes.forEach(run); // warm-up: primitives, scratch buffers
  for (const r of routes) times[r] = { wall: [], cpu: [] };
  for (let round = 0; round < rounds; round++) (round % 2 ? [...routes].reverse() : routes).forEach(run);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(routes.map((r) => [r, { wall: median(times[r].wall), cpu: median(times[r].cpu) }])) as Record<R, Times>;
}

export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

/**
 * Replace (or append) the `## <name>` section of docs/benchmarks.md with this run's output,
 * so the file always holds the latest measurement of every benchmark with its date and machine.
 */
export function recordBenchmark(name: string, command: string, body: string): void {
  const file = path.join(repoRoot, 'docs', 'benchmarks.md');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\nEach section is rewritten by its benchmark command; numbers are from the machine named in it.\n';
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
  const section = `## ${name}\n\n${new Date().toISOString().slice(0, 10)} · ${machineLine()} · load average ${load} at the end\n\n\`${command}\`\n\n${body.trim()}\n`;
  const re = new RegExp(`## ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n[\\s\\S]*?(?=\\n## |$)`);
  const next = re.test(existing) ? existing.replace(re, section.trimEnd() + '\n') : `${existing.trimEnd()}\n\n${section}`;
  writeFileAtomic(file, next);
}
