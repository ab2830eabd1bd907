"""RQ adapters: background jobs on Redis for a multi-replica installation (workers run `mailagent worker`)."""
