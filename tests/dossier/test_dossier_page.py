"""The site dossiers page works without JavaScript: generate, list, download, mark as sent, see what changed."""

from fastapi import FastAPI

from tests.conftest import Team
from tests.dossier.conftest import attach, pdf_bytes
from tests.web.form_client import as_role


def test_a_champion_generates_marks_sent_and_sees_the_changes(app: FastAPI, site: Team) -> None:
    browser = as_role(app, site, "champion")
    program = f"/programs/{site.program.id}"
    assert 'href="' + program + '/dossiers"' in browser.get(program).text
    page = browser.get(f"{program}/dossiers")
    assert page.status_code == 200 and "No dossier yet." in page.text
    assert '<option value="hemgenix">Hemgenix (etranacogene dezaparvovec)</option>' in page.text

    made = browser.post(f"{program}/dossiers", {"product": "hemgenix"})
    assert made.status_code == 303
    number = made.headers["location"].split("made=")[1]
    page = browser.get(made.headers["location"])
    assert f"Dossier {number} generated." in page.text and f'href="/api/dossiers/{number}"' in page.text
    assert "no dossier for this product had been sent" in page.text
    assert browser.client.get(f"/api/dossiers/{number}").headers["content-type"] == "application/zip"

    assert browser.post(f"{program}/dossiers/{number}/sent", {}).status_code == 303
    attach(site, "PHARM-102", "sop", "dilution-sop.pdf", pdf_bytes("sop"))
    browser.get(f"{program}/dossiers")
    latest = browser.post(f"{program}/dossiers", {"product": "hemgenix"}).headers["location"].split("made=")[1]
    page = browser.get(f"{program}/dossiers")
    assert f"1 item changed since {number}" in page.text
    assert "evidence added: dilution-sop.pdf" in page.text and latest in page.text

    again = browser.post(f"{program}/dossiers/{number}/sent", {})
    assert again.status_code == 409 and "already marked as sent" in again.text
    unknown = browser.post(f"{program}/dossiers", {"product": "zolgensma"})
    assert unknown.status_code == 422 and "not a product of this library" in unknown.text


def test_a_viewer_sees_the_list_without_the_forms_and_cannot_post_them(app: FastAPI, site: Team) -> None:
    site.clients["champion"].post(f"/api/programs/{site.program.id}/dossiers", json={"product": "hemgenix"})
    viewer = as_role(app, site, "viewer")
    page = viewer.get(f"/programs/{site.program.id}/dossiers")
    assert page.status_code == 200 and "GTD-" in page.text
    assert "Generate dossier" not in page.text and "Mark as sent" not in page.text
    refused = viewer.post(f"/programs/{site.program.id}/dossiers", {"product": "hemgenix"})
    assert refused.status_code == 403
    no_token = viewer.client.post(f"/programs/{site.program.id}/dossiers", data={"product": "hemgenix"})
    assert no_token.status_code == 403 and "CSRF" in no_token.text
