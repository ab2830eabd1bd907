"""Shared test helpers: local servers and fixtures that several suites use."""
