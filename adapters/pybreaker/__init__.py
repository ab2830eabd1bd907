"""pybreaker adapters: circuit breakers per external service (in process memory, one set per replica)."""
