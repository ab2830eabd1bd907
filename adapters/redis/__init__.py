"""Redis adapters: rate-limit counters and the shared cache of a multi-replica installation."""
