"""Prometheus: the Metrics port on prometheus-client, multiprocess-safe for forking RQ workers."""
