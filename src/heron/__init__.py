"""Heron: self-hosted product analytics and BI."""

from typing import Any

__version__ = "0.1.0"


def query(spec: Any, project_id: int, settings: Any = None) -> dict[str, Any]:
    """Run a query spec (dict or spec model) on a project: ``heron.query({...}, project_id=1)``.

    Opens the configured stores directly, so run it where ``heron serve`` is not holding the
    DuckDB file (or use ``POST /api/projects/{id}/query``).
    """
    from heron.analysis.service import query as run

    return run(spec, project_id, settings)
