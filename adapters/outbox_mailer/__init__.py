"""The embedded default's system mail: `.eml` files in an outbox folder, with the link logged."""
