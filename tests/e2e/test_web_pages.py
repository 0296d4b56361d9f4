"""The browser app's other pages against a real server: PDF export of a dashboard, the
insight explorer, the SQL editor, settings and API keys, and labelled, keyboard-usable
controls on each page."""

from __future__ import annotations

import re

import pypdf
from playwright.sync_api import Page, expect

from tests.e2e.app import OWNER, SCREENSHOTS, VIEWER, HeronApp, heron_app
from tests.e2e.browser import browser, page
from tests.e2e.web import first_dashboard, shot, sign_in, wait_ready

__all__ = ["browser", "heron_app", "page"]

UNLABELLED = """() => {
  const named = (el) => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return true;
    if (el.labels && el.labels.length) return true;
    if (el.tagName === 'SUMMARY' || el.tagName === 'BUTTON' || el.tagName === 'A') return el.textContent.trim() !== '';
    return false;
  };
  return [...document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary')]
    .filter((el) => el.offsetParent !== null && !named(el))
    .map((el) => el.outerHTML.slice(0, 120));
}"""


def assert_labelled(page: Page) -> None:
    assert page.evaluate(UNLABELLED) == []
    snapshot = page.locator("body").aria_snapshot()
    assert "button" in snapshot


def test_export_a_dashboard_to_pdf(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *OWNER)
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    page.get_by_text("Export").click()
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("menuitem", name="PDF").click()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    download.value.save_as(SCREENSHOTS / "dashboard-export.pdf")
    pdf = pypdf.PdfReader(SCREENSHOTS / "dashboard-export.pdf")
    assert len(pdf.pages) >= 1
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert overview["name"] in text
    assert "Date range: Last 30 days" in text
    table_titles = [w["title"] for w in overview["widgets"] if w["type"] == "table"]
    for title in table_titles:
        assert title in text


def test_download_a_widget_as_csv_and_json(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *OWNER)
    overview = first_dashboard(page, heron_app.project_id)
    line = next(w for w in overview["widgets"] if w["type"] == "line")
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    for fmt in ("CSV", "JSON"):
        page.get_by_label(f"Options for {line['title']}").click()
        with page.expect_download() as download:
            page.get_by_role("menuitem", name=f"Download {fmt}").click()
        body = download.value.path().read_text(encoding="utf-8")
        assert download.value.suggested_filename.endswith(f".{fmt.lower()}")
        assert body.strip(), fmt


def test_the_print_page_shows_title_filters_and_tables_as_text(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *OWNER)
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(
        f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}"
        "?print=1&date_from=-7d&date_to=today&compare=true"
    )
    wait_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(overview["name"])
    expect(page.get_by_test_id("filter-summary")).to_contain_text("Last 7 days")
    expect(page.get_by_test_id("filter-summary")).to_contain_text("previous period")
    expect(page.locator(".topbar")).to_have_count(0)
    shot(page, "dashboard-print")


def test_the_explorer_builds_saves_and_adds_an_insight(page: Page, heron_app: HeronApp):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, heron_app.url, *OWNER)
    for kind in ("trends", "funnels", "retention", "stickiness", "lifecycle", "paths"):
        page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/insights/new?kind={kind}")
        expect(page.get_by_role("tab", name=kind.capitalize())).to_have_attribute(
            "aria-selected", "true"
        )
        expect(page.get_by_role("status").first).to_have_text(re.compile(r"\d+ ms"), timeout=30_000)
        expect(page.get_by_role("alert")).to_have_count(0)
        shot(page, f"explorer-{kind}")
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/insights/new?kind=trends")
    page.get_by_label("Series 1 event").select_option("signup")
    page.get_by_label("Chart").select_option("bar")
    expect(page.get_by_role("status").first).to_have_text(re.compile(r"\d+ ms"), timeout=30_000)
    assert_labelled(page)
    page.get_by_label("Name", exact=True).fill("Signups by day")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/insights/\d+$"))
    expect(page.get_by_role("heading", name="Signups by day")).to_be_visible()
    page.get_by_role("button", name="Add to dashboard").click()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Added to")).to_be_visible()


def test_sql_editor_highlights_completes_and_runs_from_the_keyboard(
    page: Page, heron_app: HeronApp
):
    sign_in(page, heron_app.url, *OWNER)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/sql")
    editor = page.get_by_test_id("sql-editor")
    expect(editor).to_have_attribute("aria-labelledby", "sql-label")
    expect(editor).to_have_attribute("contenteditable", "true")
    # Highlighted: the example's keywords are styled tokens, not plain text.
    keyword = editor.locator("span", has_text=re.compile(r"^select$"))
    expect(keyword.first).to_be_visible()
    assert keyword.first.evaluate("el => getComputedStyle(el).color") != editor.evaluate(
        "el => getComputedStyle(el).color"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("table")).to_contain_text("pageview")
    shot(page, "sql")

    # The views' columns complete, once the page has read them from the server.
    expect(page.locator(".sql-editor")).to_have_attribute("data-completion", "columns")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("select events.pathn")
    option = page.locator(".cm-tooltip-autocomplete [role=option]", has_text="pathname")
    expect(option).to_be_visible()
    # CodeMirror ignores keys for 75 ms after a completion list opens (its interactionDelay,
    # so that a fast Enter still starts a new line): wait past that before accepting.
    page.wait_for_timeout(150)
    page.keyboard.press("Enter")
    page.keyboard.type(" from events limit 3")
    expect(editor).to_have_text("select events.pathname from events limit 3")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^3 rows"))
    shot(page, "sql-completed")

    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("select nope from nowhere")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    # Tab leaves the editor for the next control: the keyboard is never trapped.
    editor.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Run")).to_be_focused()
    assert_labelled(page)


def test_api_keys_show_the_secret_once_and_revoke(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *OWNER)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/api-keys")
    page.get_by_label("New key name").fill("ci script")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("new-key")
    expect(secret).to_have_value(re.compile(r"^hk_"))
    shot(page, "api-key-created")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("new-key")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("ci script"))
    expect(row).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke ci script").click()
    expect(row).to_have_count(0)
    assert_labelled(page)


def test_settings_and_dashboard_controls_are_labelled_and_keyboard_usable(
    page: Page, heron_app: HeronApp
):
    sign_in(page, heron_app.url, *OWNER)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/settings")
    expect(page.get_by_label(re.compile("Timezone"))).to_be_visible()
    assert_labelled(page)
    shot(page, "settings")
    dark = "document.documentElement.dataset.theme"
    for mode, want in ((True, "dark"), (False, "light")):
        page.get_by_label("Dark mode").set_checked(mode)
        page.get_by_role("button", name="Save theme").click()
        page.wait_for_function(f"{dark} === '{want}'")
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    assert_labelled(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    edit = page.get_by_role("button", name="Edit", exact=True)
    edit.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    assert_labelled(page)
    page.get_by_role("button", name="Cancel").click()
    expect(edit).to_be_visible()


def test_change_password_sign_out_and_back_in(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *VIEWER)
    page.get_by_label("Account").click()
    page.get_by_role("menuitem", name="Change password").click()
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label(re.compile("New password")).fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Current password").fill(VIEWER[1])
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_have_text("Your password was changed.")
    page.get_by_role("button", name="Close").click()
    page.get_by_label("Account").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url("**/login**")
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards")
    page.wait_for_url("**/login**")
    sign_in(page, heron_app.url, VIEWER[0], "a brand new password")
    expect(page.get_by_role("heading", name="Dashboards")).to_be_visible()


def test_dashboards_list_creates_from_a_template_duplicates_renames_and_deletes(
    page: Page, heron_app: HeronApp
):
    sign_in(page, heron_app.url, *OWNER)
    page.get_by_role("button", name="New dashboard").click()
    page.get_by_label(re.compile("Conversion")).check()
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/dashboards/\d+$"))
    wait_ready(page)
    expect(page.get_by_role("heading", name="Conversion", exact=True)).to_be_visible()
    expect(page.locator(".widget-error")).to_have_count(0)
    shot(page, "dashboard-conversion")
    page.get_by_role("link", name="Dashboards").click()
    page.get_by_role("button", name="Duplicate Conversion").click()
    copy = page.get_by_role("link", name="Conversion (copy)")
    expect(copy).to_be_visible()
    page.get_by_role("button", name="Rename Conversion (copy)").click()
    page.get_by_label("Name", exact=True).fill("Checkout flow")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_role("link", name="Checkout flow")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Checkout flow").click()
    expect(page.get_by_role("link", name="Checkout flow")).to_have_count(0)
    expect(page.get_by_role("link", name="Conversion", exact=True)).to_be_visible()
