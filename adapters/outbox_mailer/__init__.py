"""The embedded default's system mail: `.eml` files in an outbox folder (the log says where, never the link)."""
