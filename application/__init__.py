"""Ports (what the core needs from the outside) and use cases (what a person can do). Pure Python."""
