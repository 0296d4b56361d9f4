"""Rendering a page to PDF or PNG with headless Chromium, on an explicit ready signal.

The browser loads the real page with a session cookie, then waits, up to the time-out,
for ``document.documentElement.dataset.chartsReady === "true"`` (set by the page once
every widget has drawn). No sleeps: a page that never gets ready is a time-out.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY = "document.documentElement?.dataset.chartsReady === 'true'"
VIEWPORT = {"width": 1280, "height": 900}


class RenderTimeout(Exception):
    """The page was not ready in time."""


class RenderUnavailable(Exception):
    """No browser could be started."""


@dataclass(frozen=True, slots=True)
class PrintJob:
    url: str
    cookie_name: str
    cookie_value: str
    format: str
    title: str
    subtitle: str
    timeout_seconds: float
    chromium: str


async def render(job: PrintJob) -> bytes:
    """The page as PDF or PNG bytes; :class:`RenderTimeout` when it never gets ready."""
    if not Path(job.chromium).exists():
        raise RenderUnavailable(f"no Chromium at {job.chromium}")
    deadline = time.monotonic() + job.timeout_seconds

    def remaining_ms() -> float:
        return max(1.0, (deadline - time.monotonic()) * 1000)

    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(
                executable_path=job.chromium, args=CHROMIUM_ARGS, headless=True
            )
        except PlaywrightError as exc:
            raise RenderUnavailable(str(exc)) from None
        try:
            context = await browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
            await context.add_cookies(
                [{"name": job.cookie_name, "value": job.cookie_value, "url": origin(job.url)}]
            )
            page = await context.new_page()
            try:
                await page.goto(job.url, wait_until="domcontentloaded", timeout=remaining_ms())
                await page.wait_for_function(READY, timeout=remaining_ms())
            except PlaywrightTimeout:
                raise RenderTimeout(
                    f"the page was not ready within {job.timeout_seconds:g} s"
                ) from None
            if job.format == "png":
                return await page.screenshot(full_page=True, type="png")
            await page.emulate_media(media="print")
            return await page.pdf(
                format="A4",
                landscape=True,
                print_background=True,
                display_header_footer=True,
                header_template=header(job.title, job.subtitle),
                footer_template=FOOTER,
                margin={"top": "60px", "bottom": "40px", "left": "24px", "right": "24px"},
            )
        finally:
            await browser.close()


def origin(url: str) -> str:
    """``scheme://host:port/``: a cookie set for it is sent on every path of the site."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def header(title: str, subtitle: str) -> str:
    return (
        '<div style="font-size:10px;width:100%;padding:0 24px;font-family:sans-serif">'
        f"<strong>{html.escape(title)}</strong><br>{html.escape(subtitle)}</div>"
    )


FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:right;padding:0 24px;'
    'font-family:sans-serif"><span class="pageNumber"></span> / '
    '<span class="totalPages"></span></div>'
)
