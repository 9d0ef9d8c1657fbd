// Public API: named re-exports only.
