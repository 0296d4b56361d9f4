"""Repository checks for sessions, insights, dashboards and shares, run on every backend."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from heron.meta import dashboards, insights
from heron.meta.accounts import create_user
from heron.meta.errors import NotFoundError
from heron.meta.projects import create_project
from heron.meta.sessions import create_session, end_other_sessions, end_session, find_session

WIDGET = {"id": "a", "type": "markdown", "query": None, "options": {}, "position": {}}


def check_round_trip(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        first, second = create_project(s, "first"), create_project(s, "second")
        user, _ = create_user(s, "ann@example.com", "pw", "viewer")
        ids = first.id, second.id, user.id
    first_id, second_id, user_id = ids
    with factory.begin() as s:
        starters = dashboards.list_dashboards(s, first_id)
        assert [d.name for d in starters] == ["Product overview"]
        board = dashboards.create_dashboard(s, first_id, name="Mine", widgets=[WIDGET])
        insight = insights.create_insight(s, first_id, name="i", query={"kind": "TrendsQuery"})
        token = "t" * 43
        dashboards.add_share(s, board, permission="edit", user_id=user_id)
        public = dashboards.add_share(s, board, permission="view", token=token)
        board_id, insight_id, public_id = board.id, insight.id, public.id
    with factory.begin() as s:
        assert dashboards.get_dashboard(s, first_id, board_id).widgets == [WIDGET]
        try:
            dashboards.get_dashboard(s, second_id, board_id)
            raise AssertionError("another project's dashboard was found")
        except NotFoundError:
            pass
        try:
            insights.get_insight(s, second_id, insight_id)
            raise AssertionError("another project's insight was found")
        except NotFoundError:
            pass
        assert dashboards.shared_permission(s, board_id, user_id, "ann@example.com") == "edit"
        found = dashboards.public_dashboard(s, "t" * 43)
        assert found is not None and found.id == board_id
        dashboards.revoke_share(s, board_id, public_id)
        assert dashboards.public_dashboard(s, "t" * 43) is None
    with factory.begin() as s:
        raw = create_session(s, user_id=user_id)
        other = create_session(s, user_id=user_id)
        expired = create_session(s, user_id=user_id, ttl=timedelta(seconds=-1))
        assert find_session(s, raw) is not None and find_session(s, expired) is None
        end_other_sessions(s, user_id, raw)
        assert find_session(s, other) is None and find_session(s, raw) is not None
        end_session(s, raw)
        assert find_session(s, raw) is None
