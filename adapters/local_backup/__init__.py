"""Backups of the embedded default: the SQLite databases (online backup API), keys and encrypted secrets."""
