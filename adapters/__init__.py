"""One package per technology, each implementing application ports."""
