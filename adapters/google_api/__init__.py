"""Shared by the Google API adapters (Gmail, Calendar, People): tokens, transport, failure classification."""
