"""The browser app: ``index.html`` for every page route, and its built ``/assets``.

The front end is built into ``src/heron/app/web/dist`` by the Quickstart's setup
command. Until it is, page routes answer 503 with a page that says so.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import FileResponse, HTMLResponse, Response

from heron.app.errors import ApiError

router = APIRouter(include_in_schema=False)
DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
PAGES = (
    "/",
    "/login",
    "/projects/{project_id}",
    "/projects/{project_id}/dashboards",
    "/projects/{project_id}/dashboards/{dashboard_id}",
    "/projects/{project_id}/insights",
    "/projects/{project_id}/insights/new",
    "/projects/{project_id}/insights/{insight_id}",
    "/projects/{project_id}/sql",
    "/projects/{project_id}/settings",
    "/projects/{project_id}/api-keys",
    "/public/{token}",
)
NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Heron: front end not built</title></head>
<body><main><h1>The Heron front end is not built</h1>
<p>The API is running, but <code>src/heron/app/web/dist/index.html</code> is missing.
Build the browser app with the setup command of the Quickstart (README), then reload.</p>
</main></body></html>"""


def spa_entry() -> Response:
    index = DIST / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503)
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})


for page in PAGES:
    router.add_api_route(page, spa_entry, methods=["GET"], response_class=HTMLResponse)


@router.get("/assets/{path:path}")
def asset(path: str) -> Response:
    root = (DIST / "assets").resolve()
    file = (root / path).resolve()
    if not file.is_file() or not file.is_relative_to(root):
        raise ApiError(404, "not_found", f"no asset {path!r}")
    return FileResponse(file, headers={"Cache-Control": "public, max-age=31536000, immutable"})
