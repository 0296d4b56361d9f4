"""The executive suite's peer: the dashboard's event metrics as hand-written DuckDB SQL.

What an engineer would write against the same ``events`` table without Heron: one
GROUP BY for the daily counts and sums (DAU, signups, GMV, fees), a range join for the
trailing 7- and 30-day actives (WAU, MAU), and cohort joins for D1 and D7 retention;
persons are merged through ``person_overrides`` as Heron does; days are local days.
Revenue-ledger metrics (MRR, subscription revenue, net new MRR) have no SQL peer: they
are not in the event store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

EVENTS = """
SELECT COALESCE(o.person_id, e.person_id) AS person, e.event,
       CAST((e.timestamp AT TIME ZONE 'UTC') AT TIME ZONE '{tz}' AS DATE) AS day,
       CASE WHEN e.event IN ('payment', 'funding')
            THEN CAST(json_extract_string(e.properties, '$.amount') AS DOUBLE) END AS amount,
       CASE WHEN e.event IN ('payment', 'funding')
            THEN CAST(json_extract_string(e.properties, '$.fee') AS DOUBLE) END AS fee
FROM events AS e
LEFT JOIN person_overrides AS o
  ON o.project_id = e.project_id AND o.old_person_id = e.person_id
WHERE e.project_id = {project} AND e.timestamp >= TIMESTAMP '{lo}'
  AND e.timestamp < TIMESTAMP '{hi}'
"""

DAILY = """
WITH ev AS ({events})
SELECT day,
       COUNT(DISTINCT person) FILTER (WHERE event NOT LIKE '$%') AS dau,
       COUNT(DISTINCT person) FILTER (WHERE event = 'signup') AS signups,
       SUM(amount) AS gmv,
       SUM(fee) AS fees
FROM ev GROUP BY day ORDER BY day
"""

TRAILING = """
WITH active AS (
  SELECT DISTINCT person, day FROM ({events}) AS ev WHERE event NOT LIKE '$%'
),
days AS (SELECT CAST(d AS DATE) AS day FROM range(DATE '{first}', DATE '{last}' + 1,
         INTERVAL 1 DAY) AS t(d))
SELECT days.day,
       COUNT(DISTINCT active.person) FILTER (WHERE active.day > days.day - 7) AS wau,
       COUNT(DISTINCT active.person) AS mau
FROM days JOIN active ON active.day BETWEEN days.day - 29 AND days.day
GROUP BY days.day ORDER BY days.day
"""

RETENTION = """
WITH ev AS ({events}),
cohort AS (SELECT person, MIN(day) AS day FROM ev WHERE event = 'signup' GROUP BY person),
active AS (SELECT DISTINCT person, day FROM ev WHERE event NOT LIKE '$%')
SELECT c.day,
       COUNT(*) AS size,
       COUNT(a1.person) / COUNT(*) AS d1,
       COUNT(a7.person) / COUNT(*) AS d7
FROM cohort AS c
LEFT JOIN active AS a1 ON a1.person = c.person AND a1.day = c.day + 1
LEFT JOIN active AS a7 ON a7.person = c.person AND a7.day = c.day + 7
WHERE c.day >= DATE '{first}'
GROUP BY c.day ORDER BY c.day
"""


def statements(
    project: int, tz: str, start_utc: datetime, end_utc: datetime, first: str, last: str
) -> dict[str, str]:
    """The peer's SQL for a range of local days ``first`` … ``last`` (UTC bounds given)."""

    def events(lo: datetime, hi: datetime) -> str:
        return EVENTS.format(tz=tz, project=project, lo=lo.isoformat(" "), hi=hi.isoformat(" "))

    return {
        "DAU, signups, GMV, fees": DAILY.format(events=events(start_utc, end_utc)),
        "WAU, MAU": TRAILING.format(
            events=events(start_utc - timedelta(days=30), end_utc), first=first, last=last
        ),
        "D1, D7 retention": RETENTION.format(
            events=events(start_utc - timedelta(days=8), end_utc + timedelta(days=8)),
            first=first,
        ),
    }


def daily_dau(rows: list[dict[str, Any]]) -> dict[str, float]:
    """``{day: dau}`` of the daily statement's rows (for the cross-check with Heron)."""
    return {str(row["day"]): float(row["dau"]) for row in rows}
