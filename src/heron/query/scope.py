"""Tenant isolation: the one place a project predicate is put on every table access.

Analyses and user SQL reference plain ``events``, ``persons``, ``person_overrides``,
``groups``, ``group_types`` and ``sessions``; :func:`scope_to_project` replaces each such
table reference with a subquery filtered to one project. The engines push the filter down to the scan, so
isolation costs nothing, and no query can name a table without it.
"""

from __future__ import annotations

from sqlglot import exp

SCOPED_TABLES = ("events", "persons", "person_overrides", "groups", "group_types")


def scope_to_project(tree: exp.Expression, project_id: int) -> exp.Expression:
    """Rewrite every access to a stored table into its project-filtered subquery."""
    project = exp.Literal.number(int(project_id))
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or node.args.get("db") or node.args.get("catalog"):
            return node
        name = node.name.lower()
        if name not in SCOPED_TABLES or name in ctes:
            return node
        alias = node.alias or name
        scoped = (
            exp.select("*")
            .from_(exp.Table(this=exp.to_identifier(name)))
            .where(exp.EQ(this=exp.column("project_id"), expression=project.copy()))
        )
        return exp.Subquery(this=scoped, alias=exp.TableAlias(this=exp.to_identifier(alias)))

    return tree.transform(rewrite)
