"""One ABC per outside capability. Adapters implement these; use cases depend only on them."""
