"""The renderer on stub pages: it waits for the ready signal, and times out without it.

The export of the real dashboard page is in test_dashboard_export.py; these pages only
isolate the waiting logic (a signal set late, and one never set).
"""

from __future__ import annotations

import asyncio
import io

import pytest
from pypdf import PdfReader

from heron.app.render import PrintJob, RenderTimeout, render
from tests.e2e.browser import CHROMIUM, Site

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs {CHROMIUM}")

LATE = """<!doctype html><html><body><table><tr><td>cell text</td></tr></table>
<script>
if (!document.cookie.includes("heron_session=secret")) document.body.textContent = "no cookie";
setTimeout(() => { document.documentElement.dataset.chartsReady = "true"; }, 300);
</script></body></html>"""
NEVER = "<!doctype html><html><body><p>loading forever</p></body></html>"


def job(url: str, format: str = "pdf", timeout: float = 20.0) -> PrintJob:
    return PrintJob(
        url=url,
        cookie_name="heron_session",
        cookie_value="secret",
        format=format,
        title="Quarterly <review>",
        subtitle="From -30d to today",
        timeout_seconds=timeout,
        chromium=str(CHROMIUM),
    )


def test_waits_for_the_signal_and_prints_text_with_the_header() -> None:
    with Site(page=LATE) as site:
        pdf = asyncio.run(render(job(f"{site.url}/projects/1/dashboards/2?print=1")))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "cell text" in text and "no cookie" not in text
    assert "Quarterly <review>" in text and "From -30d to today" in text


def test_a_page_that_never_gets_ready_times_out() -> None:
    with Site(page=NEVER) as site, pytest.raises(RenderTimeout):
        asyncio.run(render(job(f"{site.url}/x", "png", timeout=2.0)))
