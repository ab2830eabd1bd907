"""Summarizers: the offline extractive default and one on a hosted chat model."""
