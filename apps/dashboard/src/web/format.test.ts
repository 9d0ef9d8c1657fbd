import { describe, expect, it } from 'vitest';
import { count, fileName, signed, signedCount } from './format.js';

describe('format', () => {
  it('counts with k and M, and signs changes with + or − (never "+-")', () => {
    expect([count(464), count(37_000), count(3_011_433)]).toEqual(['464', '37.0k', '3.01M']);
    expect([signedCount(17_800), signedCount(-38_300), signedCount(-175_300), signedCount(0)]).toEqual(['+17.8k', '−38.3k', '−175.3k', '+0']);
    expect(signedCount(-2_500_000)).toBe('−2.50M');
    expect([signed(0.0123), signed(-0.0145), signed(null)]).toEqual(['+0.0123', '−0.0145', '–']);
  });

  it('names a model file by its last path part, whichever separator the run was stored with', () => {
    expect(fileName('/tmp/ci-check/experiments/models/yolov8-acmix-neck.yaml')).toBe('yolov8-acmix-neck.yaml');
    expect(fileName('C:\\runs\\yolo11.yaml')).toBe('yolo11.yaml');
    expect(fileName('yolov8n.yaml')).toBe('yolov8n.yaml');
  });
});
