// Atomic file and directory writes: write beside the target, fsync, then rename, so a crash
// leaves either the old content or the new, never a torn file (checkpoints, results.csv, weights).
import fs from 'node:fs';
import path from 'node:path';

function tempSibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now()}`);
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
