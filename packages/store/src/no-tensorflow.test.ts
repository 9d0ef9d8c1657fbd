// The dashboard opens the store: importing it must not load TensorFlow.js (seconds of startup, and a
// native library a read-only web server has no use for).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Imports `specifier` in a fresh process and lists the loaded @tensorflow modules. */
function tensorflowModulesAfterImporting(specifier: string): string[] {
  const code = `import { createRequire } from 'node:module';
    await import(${JSON.stringify(specifier)});
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify({ modules: cache.filter((m) => m.includes('/@tensorflow/')), engine: '_tfengine' in globalThis }));`;
  const res = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', code], { cwd: packageDir, encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
  const { modules, engine } = JSON.parse(res.stdout.trim().split('\n').pop()!);
  return engine ? [...modules, '_tfengine'] : modules;
}

describe('@acmix-lab/store', () => {
  it('loads no TensorFlow.js module', () => {
    expect(tensorflowModulesAfterImporting('@acmix-lab/store')).toEqual([]);
  });

  it('(the check detects TensorFlow when a module does load it)', () => {
    expect(tensorflowModulesAfterImporting('@acmix-lab/trainer').length).toBeGreaterThan(0);
  });
});
