// Atomic file and directory writes: write beside the target, fsync, then rename, so a crash
// leaves either the old content or the new, never a torn file (checkpoints, results.csv, weights).
import fs from 'node:fs';
import path from 'node:path';

const tempPrefix = (target: string) => `.${path.basename(target)}.tmp-`;

function tempSibling(target: string): string {
  return path.join(path.dirname(target), `${tempPrefix(target)}${process.pid}-${Date.now()}`);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = tempSibling(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Fill a directory through `fill(tempDir)`, then swap it into place. The previous directory,
 * if any, is moved aside first and removed only after the new one is in place.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void> | void): Promise<void> {
  fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const tmp = tempSibling(dir);
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = fs.existsSync(dir) ? `${tmp}.old` : null;
  if (old) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Repairs what a process killed inside writeDirAtomic leaves: killed between its two renames, `dir` is
 * missing and the previous version waits beside it as `.<name>.tmp-….old`, which is put back (a crash
 * during the swap leaves the previous version, as one before it would). Unfinished temp directories are
 * removed. Call it before reading a directory that a killed process may have been writing; only one
 * process may write `dir` at a time.
 */
export function recoverDirAtomic(dir: string): void {
  const parent = path.dirname(path.resolve(dir));
  if (!fs.existsSync(parent)) return;
  const leftovers = fs.readdirSync(parent).filter((n) => n.startsWith(tempPrefix(dir))).map((n) => path.join(parent, n));
  const previous = leftovers.find((f) => f.endsWith('.old'));
  if (previous && !fs.existsSync(dir)) fs.renameSync(previous, dir);
  for (const f of leftovers) fs.rmSync(f, { recursive: true, force: true }); // force: the one put back is gone
}
