"""Background work: job functions (ids in, a use case called), the periodic ticker and `mailagent worker`."""
