"""Heron's benchmarks: ``python -m bench SUITE`` (or ``heron bench SUITE``).

Each suite measures Heron against peers in the same run, on the same data, and prints
tables with the ratios; ``--write-docs`` rewrites its section of docs/benchmarks.md.
"""
