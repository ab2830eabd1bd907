"""One module per use case: a frozen input dataclass and a class with `execute()` taking ports only."""
