"""The REST API (FastAPI): routes parse input, call a use case and render the envelope."""
