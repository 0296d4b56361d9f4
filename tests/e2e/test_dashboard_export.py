"""Dashboard export to PDF and PNG: the real page, rendered by headless Chromium.

The server prints ``/projects/{id}/dashboards/{id}?print=1`` with the caller's authority
and waits for the page's ``chartsReady`` signal; a page that never signals is a 504.
"""

from __future__ import annotations

import io
import struct

import httpx
import pytest
from pypdf import PdfReader

from heron.app.render import CHROMIUM_ARGS
from tests.e2e.app import SCREENSHOTS, HeronApp, heron_app
from tests.e2e.browser import CHROMIUM
from tests.e2e.browser import CHROMIUM_ARGS as TEST_ARGS
from tests.integration.server import Server, create_project

__all__ = ["heron_app"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs {CHROMIUM}")


def test_export_uses_the_common_chromium_flags() -> None:
    assert CHROMIUM_ARGS == TEST_ARGS


def overview(app: HeronApp) -> dict:
    with app.api() as api:
        boards = api.get(f"/api/projects/{app.project_id}/dashboards").json()
    return next(b for b in boards if b["name"] == "Product overview")


def test_pdf_has_the_title_filters_and_selectable_text(heron_app: HeronApp) -> None:
    board = overview(heron_app)
    with heron_app.api() as api:
        r = api.get(
            f"/api/projects/{heron_app.project_id}/dashboards/{board['id']}/export",
            params={"format": "pdf", "date_from": "-14d"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "export-overview.pdf").write_bytes(r.content)
    reader = PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) >= 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Product overview" in text
    assert "-14d" in text
    assert "Daily active users" in text


def test_png_is_a_full_page_image(heron_app: HeronApp) -> None:
    board = overview(heron_app)
    with heron_app.api() as api:
        r = api.get(
            f"/api/projects/{heron_app.project_id}/dashboards/{board['id']}/export",
            params={"format": "png"},
        )
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", r.content[16:24])
    assert width >= 1000 and height >= 600
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "export-overview.png").write_bytes(r.content)


def test_export_of_another_project_or_without_rights_is_refused(heron_app: HeronApp) -> None:
    board = overview(heron_app)
    with heron_app.api() as api:
        missing = api.get(f"/api/projects/{heron_app.project_id}/dashboards/999999/export")
        bad = api.get(
            f"/api/projects/{heron_app.project_id}/dashboards/{board['id']}/export",
            params={"format": "docx"},
        )
    assert missing.status_code == 404 and bad.status_code == 400


def test_a_page_not_ready_in_time_is_a_504(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERON_EXPORT_TIMEOUT_SECONDS", "0.01")
    data = tmp_path / "data"
    project = create_project(data, "Slow")
    server = Server(data).start()
    try:
        headers = {"Authorization": f"Bearer {project['api_key']}"}
        base = f"{server.url}/api/projects/{project['project_id']}/dashboards"
        board = httpx.get(base, headers=headers).json()[0]
        r = httpx.get(f"{base}/{board['id']}/export", headers=headers, timeout=60)
        assert r.status_code == 504 and r.json()["error"]["code"] == "export_timeout"
    finally:
        server.stop()
