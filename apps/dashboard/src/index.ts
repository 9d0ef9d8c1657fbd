// Public API: named re-exports only.
export { startDashboard } from './start.js';
export type { DashboardOptions, RunningDashboard } from './start.js';
export { buildDashboardApp } from './server.js';
export type { DashboardAppOptions } from './server.js';
