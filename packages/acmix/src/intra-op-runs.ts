// For the native kernels' determinism tests: a module script run in child processes with 1, 2 and 3 TensorFlow
// intra-op threads (TF_NUM_INTRAOP_THREADS is read once, when the backend starts), each printing JSON last.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What `script` printed last (as JSON) with 1, 2 and 3 intra-op threads, `env` added to this process's. */
export function outputsByThreadCount<T>(script: string, env: Record<string, string>): T[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['1', '2', '3'].map((threads) => {
    const res = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, TF_NUM_INTRAOP_THREADS: threads, ...env },
    });
    if (res.status !== 0) throw new Error(`the child with ${threads} intra-op threads exited with ${res.status}: ${res.stderr}`);
    return JSON.parse(res.stdout.trim().split('\n').at(-1)!) as T;
  });
}
