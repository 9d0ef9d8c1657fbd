// Schema migrations keyed by `PRAGMA user_version`: step i brings version i to i + 1. Each runs in its
// own BEGIN IMMEDIATE transaction that re-reads the version, so two processes opening a fresh file at
// once apply every step exactly once, and a crash mid-step leaves the previous version intact.
// Append new steps; never edit one that has shipped (README.md "Schema history").
// Steps are literal SQL, not built from code constants, so that later code cannot change a shipped step.
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: sweeps, runs and per-epoch metrics.
  `CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    file TEXT,
    spec TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    positions TEXT,
    grid TEXT NOT NULL DEFAULT '{}',
    scale TEXT,
    seed INTEGER NOT NULL,
    model_yaml TEXT,
    config TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed', 'pruned')),
    error TEXT,
    epoch INTEGER NOT NULL DEFAULT 0,
    epoch_budget INTEGER NOT NULL CHECK (epoch_budget >= 1),
    best_epoch INTEGER,
    retries INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    host TEXT,
    pid INTEGER,
    backend TEXT,
    versions TEXT,
    params INTEGER,
    gflops REAL,
    run_dir TEXT,
    reproduces INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    heartbeat_at TEXT,
    ended_at TEXT,
    UNIQUE (sweep_id, key),
    CHECK (epoch <= epoch_budget)
  );
  CREATE INDEX runs_by_status ON runs (status, id);
  CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL CHECK (epoch >= 1),
    time REAL,
    train_box_loss REAL,
    train_cls_loss REAL,
    train_dfl_loss REAL,
    precision REAL,
    recall REAL,
    map50 REAL,
    map50_95 REAL,
    val_box_loss REAL,
    val_cls_loss REAL,
    val_dfl_loss REAL,
    lr_pg0 REAL,
    lr_pg1 REAL,
    lr_pg2 REAL,
    fitness REAL GENERATED ALWAYS AS (0.1 * map50 + 0.9 * map50_95) VIRTUAL,
    PRIMARY KEY (run_id, epoch)
  );`,
  // 2: files a run produced (weights, results.csv, plots), for the dashboard.
  `CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (run_id, path)
  );`,
  // 3: the module a run places (ACmix, CBAM, …; NULL for the baseline), so sweeps over a module list
  // compare modules apart. Older runs with positions get their sweep's module when the stored spec
  // names one, or the one whose `+<Module>@` their name carries (a module-list sweep's variant names).
  `ALTER TABLE runs ADD COLUMN module TEXT;
  UPDATE runs SET module = (
    SELECT json_extract(m.value, '$[0]') FROM sweeps s, json_each(s.spec, '$.modules') m
    WHERE s.id = runs.sweep_id
      AND (json_array_length(s.spec, '$.modules') = 1 OR instr(runs.name, '+' || json_extract(m.value, '$[0]') || '@') > 0)
    ORDER BY m.key LIMIT 1)
  WHERE json_array_length(positions) > 0;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the steps a database lacks, up to `target` (the newest unless a test builds an older file). */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): void {
  while (schemaVersion(db) < target) {
    db.transaction(() => {
      const version = schemaVersion(db);
      if (version >= target) return;
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
