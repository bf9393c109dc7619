"""Speed benchmarks. They build their own data; results and commands are recorded in docs/benchmarks.md."""
