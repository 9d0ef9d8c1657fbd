// Public API: named re-exports only.
export {};
