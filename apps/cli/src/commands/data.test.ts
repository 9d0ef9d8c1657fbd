import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/acmix-lab.js', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../../packages/trainer/fixtures/labels/data.yaml', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp });

describe('acmix-lab data', () => {
  it('synth writes the dataset with plain progress lines when not on a terminal, and check reads it back', () => {
    const res = cli('data', 'synth', '--out', 'ds', '--train', '4', '--val', '2', '--imgsz', '64', '--classes', '2', '--seed', '3');
    expect(res.status).toBe(0);
    expect(res.stderr.trim().split('\n').at(-1)).toBe('synth: images 6/6');
    expect(res.stdout).toMatch(/ds\/data\.yaml: 4 train \+ 2 val images, \d+ boxes/);
    expect(fs.readdirSync(path.join(tmp, 'ds/images/train'))).toEqual(['000000.png', '000001.png', '000002.png', '000003.png']);
    const check = cli('data', 'check', '--data', 'ds/data.yaml', '--strict');
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('2 classes (circle, square)');
    expect(check.stdout).toContain('train: 4 images, 0 backgrounds, 0 corrupt skipped');
  });

  it('check --strict fails with one line naming file:line and the reason', () => {
    const res = cli('data', 'check', '--data', fixtures, '--strict');
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([`acmix-lab: error: train: ${path.join(path.dirname(fixtures), 'labels/class-id.txt')}:1: class label 1.5 is not an integer`]);
  });

  it('rejects a non-integer flag as a usage error', () => {
    const res = cli('data', 'synth', '--out', 'x', '--train', 'abc');
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/--train <n>' argument 'abc' is invalid\. expected an integer/);
  });
});
