import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mapDataPath, parseDataMap } from './data-map.js';

const here = fs.mkdtempSync(path.join(os.tmpdir(), 'data-map-'));
fs.mkdirSync(path.join(here, 'coco'));
afterAll(() => fs.rmSync(here, { recursive: true, force: true }));

describe('--data-map', () => {
  it('maps whole path components, the longest prefix first, and leaves other paths as they are', () => {
    const map = parseDataMap([`/srv/data=${here}`, `/srv/data/coco=${path.join(here, 'coco')}`]);
    expect(mapDataPath(map, '/srv/data/voc/data.yaml')).toBe(path.join(here, 'voc/data.yaml'));
    expect(mapDataPath(map, '/srv/data/coco/images/train')).toBe(path.join(here, 'coco/images/train'));
    expect(mapDataPath(map, '/srv/data')).toBe(here);
    expect(mapDataPath(map, '/srv/database/data.yaml')).toBe('/srv/database/data.yaml'); // not a component prefix
    expect(mapDataPath(map, '/elsewhere/data.yaml')).toBe('/elsewhere/data.yaml');
    expect(mapDataPath(parseDataMap([`/=${here}`]), '/a/b.yaml')).toBe(path.join(here, 'a/b.yaml'));
    expect(mapDataPath([], '/a/b.yaml')).toBe('/a/b.yaml');
  });

  it('resolves a relative TO from the working directory', () => {
    const rel = path.relative(process.cwd(), here);
    expect(parseDataMap([`/srv/data=${rel}`])).toEqual([{ from: '/srv/data', to: here }]);
  });

  it('refuses bad values in one line naming the value', () => {
    const cases: [string[], string][] = [
      [['/srv/data'], '--data-map /srv/data: expected FROM=TO, the coordinator\'s dataset folder = this machine\'s'],
      [[`srv/data=${here}`], '--data-map srv/data=' + here + ': FROM must be an absolute path (the coordinator\'s), got "srv/data"'],
      [['/srv/data='], '--data-map /srv/data=: TO is empty'],
      [[`/srv/data=${here}/nope`], `--data-map /srv/data=${here}/nope: ${here}/nope does not exist on this machine`],
      [[`/srv/data=${here}`, `/srv/data/=${here}/coco`], `--data-map /srv/data/=${here}/coco: /srv/data is mapped twice`],
    ];
    for (const [values, message] of cases) expect(() => parseDataMap(values)).toThrow(message);
  });
});
