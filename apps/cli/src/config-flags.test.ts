import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addConfigFlags, collectConfig } from './config-flags.js';

const defaults = { epochs: 100, lr0: 0.01, resume: false, project: null as string | null, optimizer: 'auto' };

function parse(argv: string[]) {
  const cmd = new Command('train').argument('[words...]').exitOverride();
  addConfigFlags(cmd, defaults);
  cmd.parse(argv, { from: 'user' });
  return collectConfig(cmd.opts(), cmd.args, defaults);
}

describe('config flags', () => {
  it('coerces --flags and key=value words by the default type', () => {
    expect(parse(['--epochs', '3', 'lr0=0.02', '--resume', 'project=runs/x', '--optimizer', 'SGD'])).toEqual({
      epochs: 3, lr0: 0.02, resume: true, project: 'runs/x', optimizer: 'SGD',
    });
    expect(parse(['resume=false'])).toEqual({ resume: false });
    expect(parse(['--no-resume'])).toEqual({ resume: false });
  });

  it('names the flag and the bad value', () => {
    expect(() => parse(['--epochs', 'ten'])).toThrow('--epochs: expected a number, got "ten"');
    expect(() => parse(['resume=maybe'])).toThrow('resume: expected true or false, got "maybe"');
    expect(() => parse(['epoch=3'])).toThrow('"epoch=3": unknown argument "epoch"');
    expect(() => parse(['yolov8n.yaml'])).toThrow('expected key=value');
  });
});
