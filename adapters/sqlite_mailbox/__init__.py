"""Persistent Gmail-like mailbox in SQLite, shared by every process of one installation."""
