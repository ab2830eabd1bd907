"""Demo data: a generated, realistic mailbox for the embedded default and the benchmarks."""
