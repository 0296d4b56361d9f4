"""Dashboards: widget types, templates, layouts, filters and exports (pure, no I/O)."""
