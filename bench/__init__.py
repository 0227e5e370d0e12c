"""actorflow's benchmarks: `python -m bench` prints one table, every figure from the same run."""
