"""Template syntax and markup typed by users (notes, titles, statements, names, file names) show literally, escaped,
in web pages and in the PDF report's text: never evaluated as a template, never run as a script."""

import io
import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from pypdf import PdfReader
from sqlmodel import Session

from app.auth.service import create_api_token
from tests.conftest import PASSWORD
from tests.factories import make_institution, make_user
from tests.security.conftest import web_login

PAYLOAD = "{{ 7*7 }} {% raw %} <script>alert(1)</script>"


def typed(field: str) -> str:
    """What a user typed into a field: a label (to find it again) and the payload."""
    return f"{field} {PAYLOAD}"


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _program_full_of_payloads(app: FastAPI, session: Session) -> tuple[str, dict[str, str]]:
    """A program whose every user-typed text carries the payload; returns its id and the texts by field."""
    fields = ("Institution", "Champion", "Lead", "Program", "Notes", "Statement", "Committee", "Scenario")
    texts = {f: typed(f) for f in fields}
    institution = make_institution(session, texts["Institution"])
    champion = make_user(session, institution, roles=("champion",), full_name=texts["Champion"], password=PASSWORD,
                         email="champion@injection.example")
    lead = make_user(session, institution, roles=("finance_lead",), full_name=texts["Lead"], password=PASSWORD)
    api = TestClient(app, headers={"Authorization": f"Bearer {create_api_token(session, champion, 't')[1]}"})
    signer = TestClient(app, headers={"Authorization": f"Bearer {create_api_token(session, lead, 't')[1]}"})
    body = {"title": texts["Program"], "library_id": "mini", "products": ["hemgenix"], "care_role": "hub"}
    program = _created(api.post(f"/api/institutions/{institution.id}/programs", json=body))["id"]
    url = f"/api/programs/{program}"
    item = _created(api.patch(f"{url}/items/PAY-001", json={
        "notes": texts["Notes"], "owner_id": str(lead.id), "status": "done", "version": 1}))
    evidence_name = "{{ 7*7 }}<script>.txt"
    _created(signer.post(f"{url}/items/PAY-001/evidence", data={"kind": "other"},
                         files={"file": (evidence_name, b"minutes\n")}))
    texts["Evidence"] = evidence_name
    _created(signer.post(f"{url}/items/PAY-001/signoffs", json={
        "password": PASSWORD, "meaning": "approved", "statement": texts["Statement"], "version": item["version"]}))
    inputs = api.get(f"{url}/scenarios/defaults").json()["reimbursement"]
    scenario = _created(api.post(f"{url}/scenarios/reimbursement", json={"name": texts["Scenario"], "inputs": inputs}))
    texts["ScenarioId"] = scenario["id"]
    texts["Report"] = _created(api.post(f"{url}/reports", json={"kind": "full", "prepared_for": texts["Committee"]}))[
        "number"]
    api.close()
    signer.close()
    return program, texts


def _assert_literal(html: str, text: str, where: str) -> None:
    assert str(escape(text)) in html, f"{where}: {text!r} is not shown literally and escaped"


def test_user_text_shows_literally_and_escaped_in_web_pages(app: FastAPI, session: Session) -> None:
    program, texts = _program_full_of_payloads(app, session)
    pages = {
        "/": ("Institution", "Program"),
        f"/programs/{program}": ("Program", "Lead"),
        f"/programs/{program}/items/PAY-001": ("Program", "Notes", "Statement", "Lead", "Evidence"),
        f"/programs/{program}/reports": ("Program", "Champion"),
        f"/programs/{program}/planning": ("Program", "Scenario"),
        f"/programs/{program}/planning/{texts['ScenarioId']}": ("Program", "Scenario"),
    }
    with TestClient(app) as browser:
        web_login(browser, "champion@injection.example")
        for path, fields in pages.items():
            html = browser.get(path).text
            assert "<script>alert(1)</script>" not in html, f"{path} carries the script unescaped"
            for field in fields:
                _assert_literal(html, texts[field], path)


def _pdf_text(pdf: bytes) -> str:
    """The report's text with all whitespace removed (PDF text extraction spaces words its own way)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def test_user_text_shows_literally_in_the_pdf_report(app: FastAPI, session: Session) -> None:
    program, texts = _program_full_of_payloads(app, session)
    with TestClient(app) as browser:
        web_login(browser, "champion@injection.example")
        pdf = browser.get(f"/api/reports/{texts['Report']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    text = _pdf_text(pdf.content)
    for field in ("Institution", "Program", "Notes", "Statement", "Lead", "Champion", "Committee", "Evidence"):
        literal = re.sub(r"\s+", "", texts[field])
        assert literal in text, f"the report does not show the {field} text literally"
    assert "&lt;" not in text  # escaped for HTML, shown as the characters typed
