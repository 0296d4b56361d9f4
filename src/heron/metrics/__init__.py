"""The metrics layer: METRICS.md's KPIs as named definitions, and projects' own metrics.

Importing :mod:`heron.metrics.query` registers ``MetricQuery``.
"""
