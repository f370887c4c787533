"""The libraries page: download links, an institution's own versions, and the upload form (no JavaScript)."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.institution_libraries.models import InstitutionLibrary
from tests.conftest import Team
from tests.institution_libraries.helpers import XLSX, edited, renamed, set_library_field
from tests.security.conftest import web_login


def test_a_champion_uploads_a_workbook_from_the_page(app: FastAPI, team: Team) -> None:
    content = renamed(app.state.catalog.get("mini", "1.0.0"), "riverside-mini")
    with TestClient(app) as browser:
        csrf = web_login(browser, "champion@riverside.example")
        page = browser.get("/libraries")
        assert page.status_code == 200
        assert 'href="/api/libraries/mini/1.1.0/download?format=xlsx"' in page.text
        assert f'action="/institutions/{team.institution.id}/libraries"' in page.text
        assert "No library of its own yet." in page.text
        answer = browser.post(f"/institutions/{team.institution.id}/libraries", data={"csrf_token": csrf},
                              files={"file": ("Our steps.xlsx", content, XLSX)})
        assert answer.status_code == 200 and answer.url.path == "/libraries"
        assert "Stored riverside-mini 1.0.0" in answer.text
        assert "Our steps.xlsx" in answer.text
        download = f"/api/institutions/{team.institution.id}/libraries/riverside-mini/1.0.0/download?format=xlsx"
        assert f'href="{download}"' in answer.text
        assert browser.get(download).content.startswith(b"PK")


def test_a_refused_workbook_lists_every_problem_on_the_page(app: FastAPI, session: Session, team: Team) -> None:
    content = edited(renamed(app.state.catalog.get("mini", "1.0.0"), "riverside-mini"),
                     lambda book: set_library_field(book, "version", "one"))
    with TestClient(app) as browser:
        csrf = web_login(browser, "champion@riverside.example")
        answer = browser.post(f"/institutions/{team.institution.id}/libraries", data={"csrf_token": csrf},
                              files={"file": ("steps.xlsx", content, XLSX)})
        assert answer.status_code == 422
        problems = re.findall(r"<li>([^<]+)</li>", answer.text.split('id="upload-problems"')[1])
        assert problems == ["steps.xlsx: sheet &#39;library&#39;, row 3, column B (version): version: version "
                            "&#39;one&#39; is not of the form 1.2.0"]
        assert session.exec(select(InstitutionLibrary)).all() == []
        empty = browser.post(f"/institutions/{team.institution.id}/libraries", data={"csrf_token": csrf},
                             files={"file": ("empty.yaml", b"", "application/octet-stream")})
        assert empty.status_code == 422 and "the file is empty" in empty.text


def test_a_viewer_sees_the_versions_but_no_upload_form(app: FastAPI, team: Team) -> None:
    content = renamed(app.state.catalog.get("mini", "1.0.0"), "riverside-mini")
    assert team.clients["champion"].post(f"/api/institutions/{team.institution.id}/libraries",
                                         files={"file": ("a.xlsx", content, XLSX)}).status_code == 201
    with TestClient(app) as browser:
        csrf = web_login(browser, "viewer@riverside.example")
        page = browser.get("/libraries")
        assert "riverside-mini" in page.text
        assert f'action="/institutions/{team.institution.id}/libraries"' not in page.text
        refused = browser.post(f"/institutions/{team.institution.id}/libraries", data={"csrf_token": csrf},
                               files={"file": ("a.xlsx", content, XLSX)})
        assert refused.status_code == 403


def test_a_program_is_opened_from_the_institutions_library_on_the_new_program_page(app: FastAPI, team: Team) -> None:
    content = renamed(app.state.catalog.get("mini", "1.1.0"), "riverside-mini")
    assert team.clients["champion"].post(f"/api/institutions/{team.institution.id}/libraries",
                                         files={"file": ("a.xlsx", content, XLSX)}).status_code == 201
    with TestClient(app) as browser:
        csrf = web_login(browser, "champion@riverside.example")
        page = browser.get("/programs/new")
        assert '<option value="riverside-mini"' in page.text
        form = {"csrf_token": csrf, "institution_id": str(team.institution.id), "title": "Our own steps",
                "library_id": "riverside-mini", "products": ["hemgenix"], "care_role": "hub", "jurisdiction": "us"}
        created = browser.post("/programs/new", data=form)
        assert created.status_code == 200 and "Our own steps" in created.text
    programs = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/programs").json()["items"]
    opened = next(p for p in programs if p["title"] == "Our own steps")
    assert (opened["library_id"], opened["library_version"]) == ("riverside-mini", "1.1.0")
