"""The pure core: entities, value objects, domain events and the error tree. No I/O, no frameworks."""
