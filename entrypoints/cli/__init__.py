"""The `mailagent` command line (Typer): the same use cases and settings as the API."""
