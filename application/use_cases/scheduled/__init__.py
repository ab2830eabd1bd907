"""Scheduled sends: schedule, list, read, cancel and reschedule; dispatch due ones and send each exactly once."""
