"""The baseline of the benchmark: a bare functions-framework function, nothing else."""
