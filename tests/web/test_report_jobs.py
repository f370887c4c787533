"""Background report generation and verification in Chromium, at a laptop's and a phone's width: the champion
generates a report, sees its progress and then the download; the downloaded PDF dropped on the verify page reads
"genuine", and a tampered copy (chosen with the plain file input, as without JavaScript) reads "not found"."""

import base64
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect

from tests.conftest import Team
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import login, screenshot

DROP = """([name, encoded]) => {
  const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
  return transfer;
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_generate_in_the_background_then_verify_the_dropped_pdf(
    app: FastAPI, team: Team, live_server: str, browser: Browser, tmp_path: Path, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, "champion@riverside.example")
    page.goto(f"{live_server}/programs/{team.program.id}/reports")
    page.get_by_label("Kind").select_option("full")
    page.get_by_role("button", name="Generate report").click()

    # The page is back at once, with the job's progress (the PDF renders meanwhile).
    panel = page.get_by_role("status", name="Report in progress")
    expect(panel).to_contain_text("Generating the full report…")
    expect(panel.locator("progress")).to_be_visible()
    screenshot(page, f"report-job-progress-{width}")
    assert_fits(page, "the reports page with a job in progress")

    # htmx polls the panel every second until the report is there: then a download button.
    expect(panel).to_contain_text("generated.", timeout=60_000)
    number = panel.inner_text().split("Report ")[1].split(" generated.")[0]
    assert number.startswith("GTR-")
    expect(page.locator("#report-list")).to_contain_text(number)  # the list below has it too, without a reload
    screenshot(page, f"report-job-done-{width}")
    assert_fits(page, "the reports page with the report done")
    assert_accessible(page, "the reports page with the report done")
    with page.expect_download() as download:
        panel.get_by_role("link", name="Download PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # Dropped on the verify page, the PDF reads genuine.
    page.goto(f"{live_server}/verify")
    assert_fits(page, "the verify page")
    assert_accessible(page, "the verify page")
    screenshot(page, f"verify-page-{width}")
    transfer = page.evaluate_handle(DROP, [f"{number}.pdf", base64.b64encode(pdf).decode()])
    with page.expect_navigation():
        page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": transfer})
    expect(page.locator(".flash.ok")).to_contain_text(f"{number} is genuine.")
    expect(page.locator(".verify-result")).to_contain_text("Riverside University Hospital")
    screenshot(page, f"verify-genuine-{width}")
    assert_fits(page, "the verify page saying genuine")

    # A tampered copy, chosen with the file input and sent with the button, is not found.
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(pdf.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in pdf else pdf + b"%x\n")
    page.get_by_label("Drop the report's PDF here").set_input_files(str(tampered))
    page.get_by_role("button", name="Verify the PDF").click()
    expect(page.locator(".flash.error")).to_contain_text("Not found.")
    expect(page.locator(".flash.error")).to_contain_text("tampered.pdf")
    screenshot(page, f"verify-not-found-{width}")
    assert_fits(page, "the verify page saying not found")
    page.get_by_role("link", name="Verify another report").click()
    expect(page.locator(".verify-result")).to_have_count(0)
    context.close()
