import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from './database.js';
import { METRIC_COLUMNS } from './metric-columns.js';
import { migrate, schemaVersion, SCHEMA_VERSION } from './migrations.js';
import { openStore } from './store.js';
import { tempDbPath } from './test-helpers.js';

describe('opening a database', () => {
  it('creates the newest schema in WAL mode with foreign keys on', () => {
    const file = tempDbPath();
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(60_000);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['artifacts', 'metrics', 'runs', 'sweeps']);
    // The literal SQL of the migration and the code's column list agree.
    const columns = db.prepare('SELECT name FROM pragma_table_xinfo(?)').pluck().all('metrics');
    expect(columns).toEqual(['run_id', 'epoch', 'time', ...METRIC_COLUMNS.map((c) => c.column), 'fitness']);
    migrate(db);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('migrates a database file written by an older schema, keeping its rows', () => {
    const file = tempDbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    migrate(old, 1);
    old.exec(`INSERT INTO sweeps (name, created_at) VALUES ('neck', '2025-01-01T00:00:00.000Z');
      INSERT INTO runs (sweep_id, key, name, positions, seed, config, status, epoch, epoch_budget, best_epoch, created_at)
        VALUES (1, 'k', 'yolov8n+P5', '["P5"]', 0, '{}', 'completed', 1, 1, 1, '2025-01-01T00:00:00.000Z');
      INSERT INTO metrics (run_id, epoch, map50, map50_95) VALUES (1, 1, 0.5, 0.25);`);
    expect(schemaVersion(old)).toBe(1);
    old.close();
    expect(() => openDatabase(file, { readonly: true })).toThrow(`${file}: schema version 1 is older than ${SCHEMA_VERSION}`);
    const store = openStore(file);
    expect(schemaVersion(store.db)).toBe(SCHEMA_VERSION);
    expect(store.listRuns()[0]).toMatchObject({ name: 'yolov8n+P5', map50: 0.5, map50_95: 0.25, status: 'completed' });
    store.addArtifact(1, { kind: 'results.csv', path: '/r/results.csv' });
    expect(store.runArtifacts(1)).toHaveLength(1);
    store.close();
  });

  it('gives runs of an older file their module: the sweep\'s one module, or the one a module-list variant is named by', () => {
    const file = tempDbPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    migrate(old, 2);
    const t = "'2025-01-01T00:00:00.000Z'";
    const run = (sweep: number, key: string, name: string, positions: string | null) =>
      `INSERT INTO runs (sweep_id, key, name, positions, seed, config, epoch_budget, created_at) VALUES (${sweep}, '${key}', '${name}', ${positions}, 0, '{}', 1, ${t});`;
    old.exec(`INSERT INTO sweeps (name, spec, created_at) VALUES
        ('attention', '{"modules": [["ACmix", []], ["CBAM", [7]], ["SE", []]]}', ${t}),
        ('neck', '{"modules": [["ACmix", []]]}', ${t}), ('imported', NULL, ${t});
      ${run(1, 'a', 'yolo11n', "'[]'")} ${run(1, 'b', 'yolo11n+CBAM@P3+P5', '\'["P3","P5"]\'')} ${run(1, 'c', 'yolo11n+SE@P5', '\'["P5"]\'')}
      ${run(2, 'd', 'yolov8n+P5', '\'["P5"]\'')} ${run(2, 'e', 'yolov8n', "'[]'")} ${run(3, 'f', 'yolov8s-custom', 'NULL')}`);
    old.close();
    const store = openStore(file);
    expect(store.listRuns().map((r) => [r.name, r.module])).toEqual([
      ['yolo11n', null], ['yolo11n+CBAM@P3+P5', 'CBAM'], ['yolo11n+SE@P5', 'SE'], ['yolov8n+P5', 'ACmix'], ['yolov8n', null], ['yolov8s-custom', null],
    ]);
    store.close();
  });

  it('refuses a newer schema, a file that is not a database, and a store-less SQLite file read-only', () => {
    const newer = tempDbPath();
    openDatabase(newer).pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    expect(() => openDatabase(newer)).toThrow(`${newer}: schema version ${SCHEMA_VERSION + 1} was written by a newer acmix-lab`);
    const junk = path.join(path.dirname(newer), 'junk.db');
    fs.writeFileSync(junk, 'not sqlite at all, just some text that is long enough to be a header......'.repeat(20));
    expect(() => openDatabase(junk)).toThrow(`${junk}: file is not a database`);
    const empty = path.join(path.dirname(newer), 'empty.db');
    new Database(empty).exec('CREATE TABLE t (x)');
    expect(() => openDatabase(empty, { readonly: true })).toThrow(`${empty}: not an acmix-lab database`);
  });
});
