"""The benchmark suite: `python -m bench` measures the member table, lookups, scans and start-up
against the in-process sandbox and writes bench/results.md. Not a test suite (pytest never
collects it): figures are ratios against baselines measured in the same run, or absolute times
next to the platform latency they depend on."""
