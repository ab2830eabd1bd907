"""Thin doors into the application (HTTP, WebSocket, worker, CLI); the container alone chooses adapters."""
