// Atomic directory writes and the repair after a process was killed inside one.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { recoverDirAtomic, writeDirAtomic } from './atomic.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-'));
const fill = (text: string) => (dir: string) => fs.writeFileSync(path.join(dir, 'state.txt'), text);
const read = (dir: string) => fs.readFileSync(path.join(dir, 'state.txt'), 'utf8');

describe('recoverDirAtomic', () => {
  it('puts the previous version back when a kill came between writeDirAtomic\'s two renames', async () => {
    const root = tmp();
    const last = path.join(root, 'last');
    await writeDirAtomic(last, fill('epoch 1'));
    // What the kill leaves: the new version filled in its temp dir, the old one moved aside, no `last`.
    const moved = path.join(root, '.last.tmp-123-456');
    fs.mkdirSync(moved);
    fill('epoch 2')(moved);
    fs.renameSync(last, `${moved}.old`);
    expect(fs.existsSync(last)).toBe(false);
    recoverDirAtomic(last);
    expect(read(last)).toBe('epoch 1');
    expect(fs.readdirSync(root)).toEqual(['last']);
    await writeDirAtomic(last, fill('epoch 2'));
    expect(read(last)).toBe('epoch 2');
  });

  it('removes unfinished temp dirs and leaves a complete directory alone', async () => {
    const root = tmp();
    const best = path.join(root, 'best');
    await writeDirAtomic(best, fill('epoch 3'));
    fs.mkdirSync(path.join(root, '.best.tmp-1-2'));
    fs.mkdirSync(path.join(root, '.best.tmp-3-4.old'));
    fs.mkdirSync(path.join(root, '.bestx'));
    recoverDirAtomic(best);
    expect(read(best)).toBe('epoch 3');
    expect(fs.readdirSync(root).sort()).toEqual(['.bestx', 'best']);
    recoverDirAtomic(path.join(root, 'missing', 'last')); // no folder: nothing to do
  });
});
