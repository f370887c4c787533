"""Branding on the administration page, and Word copies and finalising on the reports page (no JavaScript)."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.branding.models import InstitutionBranding
from app.reports.models import Report
from tests.branding.test_branding import NAME_LINE, SVG, png
from tests.conftest import Team
from tests.security.conftest import web_login


def browser_for(app: FastAPI, email: str) -> tuple[TestClient, str]:
    browser = TestClient(app, follow_redirects=False)
    return browser, web_login(browser, email)


def test_administrator_sets_branding_and_logo_on_the_admin_page(app: FastAPI, session: Session, team: Team) -> None:
    browser, token = browser_for(app, "administrator@riverside.example")
    admin_url = f"/institutions/{team.institution.id}/admin"
    page = browser.get(admin_url)
    assert page.status_code == 200 and 'id="branding"' in page.text and "No logo yet." in page.text
    bad = browser.post(f"{admin_url}/branding", data={"name_line": NAME_LINE, "primary_colour": "navy",
                                                      "accent_colour": "#e17055", "csrf_token": token})
    assert bad.status_code == 422 and "a colour as #rrggbb" in bad.text and 'aria-invalid="true"' in bad.text
    assert session.get(InstitutionBranding, team.institution.id) is None
    saved = browser.post(f"{admin_url}/branding", data={"name_line": NAME_LINE, "primary_colour": "#0a3d62",
                                                        "accent_colour": "#e17055", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=branding#branding")
    refused = browser.post(f"{admin_url}/branding/logo", data={"csrf_token": token},
                           files={"file": ("logo.png", SVG, "image/png")})
    assert refused.status_code == 415 and "must be a PNG or JPEG image" in refused.text
    uploaded = browser.post(f"{admin_url}/branding/logo", data={"csrf_token": token},
                            files={"file": ("logo.png", png(), "image/png")})
    assert uploaded.status_code == 303
    page = browser.get(admin_url + "?done=logo")
    assert "Logo saved" in page.text and re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', page.text)
    assert f'value="{NAME_LINE}"' in page.text and 'value="#0a3d62"' in page.text
    removed = browser.post(f"{admin_url}/branding/logo/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    session.expire_all()
    row = session.get(InstitutionBranding, team.institution.id)
    assert row is not None and row.logo_png is None and row.name_line == NAME_LINE


def test_champions_see_word_links_and_mark_reports_final_on_the_reports_page(
    app: FastAPI, session: Session, team: Team
) -> None:
    number = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()["number"]
    viewer, _ = browser_for(app, "viewer@riverside.example")
    page = viewer.get(f"/programs/{team.program.id}/reports")
    assert f'href="/api/reports/{number}/docx"' in page.text and "Draft" in page.text
    assert "Mark final" not in page.text
    browser, token = browser_for(app, "champion@riverside.example")
    page = browser.get(f"/programs/{team.program.id}/reports")
    assert f'action="/programs/{team.program.id}/reports/{number}/finalise"' in page.text
    done = browser.post(f"/programs/{team.program.id}/reports/{number}/finalise", data={"csrf_token": token})
    assert done.status_code == 200 and f"Report {number} is final" in done.text and "Mark final" not in done.text
    again = browser.post(f"/programs/{team.program.id}/reports/{number}/finalise", data={"csrf_token": token})
    assert again.status_code == 409 and "already marked final" in again.text
    session.expire_all()
    assert session.scalars(select(Report.finalised_by_name).where(Report.number == number)).one() == \
        "Program champion"
