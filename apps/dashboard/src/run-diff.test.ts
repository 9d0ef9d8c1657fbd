import { describe, expect, it } from 'vitest';
import { diffLines } from './run-diff.js';

describe('diffLines', () => {
  it('gives only the changed lines, numbered on their own side, deletions before insertions', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nx\nc\nd\ne')).toEqual([
      { op: '-', line: 2, text: 'b' }, { op: '+', line: 2, text: 'x' }, { op: '+', line: 5, text: 'e' },
    ]);
    expect(diffLines('a\nb', 'a\nb')).toEqual([]);
    expect(diffLines('', 'a')).toEqual([{ op: '-', line: 1, text: '' }, { op: '+', line: 1, text: 'a' }]);
  });

  it('keeps the longest common subsequence: a line inserted in the middle is one insertion', () => {
    const a = Array.from({ length: 30 }, (_, i) => `  - layer ${i}`).join('\n');
    const b = a.replace('  - layer 15', '  - layer 15\n  - [-1, 1, ACmix, []]');
    expect(diffLines(a, b)).toEqual([{ op: '+', line: 17, text: '  - [-1, 1, ACmix, []]' }]);
  });
});
