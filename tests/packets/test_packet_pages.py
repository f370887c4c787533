"""The packets page of an institution and the reports page's packet kinds, as a browser without JavaScript uses them."""

import html

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.packets.service import PACKAGED_DIR
from tests.conftest import Team
from tests.security.conftest import web_login


def browser(app: FastAPI, email: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    return client, web_login(client, email)


def test_a_champion_downloads_adapts_and_uploads_a_definition(app: FastAPI, real_team: Team) -> None:
    client, csrf = browser(app, "champion@riverside.example")
    page_url = f"/institutions/{real_team.institution.id}/packets"
    page = client.get(page_url)
    assert page.status_code == 200
    for title in ("Pharmacy and Therapeutics committee packet", "Institutional Biosafety Committee packet",
                  "Finance leadership packet", "Medical executive committee packet"):
        assert title in page.text
    assert page.text.count("gtready's packaged definition") == 4 and page.text.count("Save definition") == 4
    download = client.get(f"{page_url}/finance.yaml")
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/yaml")
    assert download.text == (PACKAGED_DIR / "finance.yaml").read_text(encoding="utf-8")
    assert 'filename="finance-packet.yaml"' in download.headers["content-disposition"]

    broken = download.text.replace("signoff_roles: [finance_lead]", "signoff_roles: [finance_lead]\ncolour: red")
    line = broken.splitlines().index("colour: red") + 1
    refused = client.post(f"{page_url}/finance", data={"csrf_token": csrf, "yaml": broken})
    assert refused.status_code == 422
    assert f"line {line}: colour: unknown key" in html.unescape(refused.text)
    assert "colour: red" in refused.text  # the author's text is kept for fixing

    adapted = download.text.replace("title: Finance leadership packet", "title: Riverside finance packet")
    saved = client.post(f"{page_url}/finance", data={"csrf_token": csrf},
                        files={"file": ("finance.yaml", adapted.encode(), "application/yaml")})
    assert saved.status_code == 303 and saved.headers["location"] == f"{page_url}?saved=finance"
    after = client.get(saved.headers["location"])
    assert "Riverside finance packet" in after.text and "adapted definition no. 1" in after.text
    assert real_team.clients["viewer"].get(f"/api/institutions/{real_team.institution.id}/packets/finance").json()[
        "title"] == "Riverside finance packet"


def test_a_viewer_reads_but_cannot_upload(app: FastAPI, real_team: Team) -> None:
    client, csrf = browser(app, "viewer@riverside.example")
    page_url = f"/institutions/{real_team.institution.id}/packets"
    page = client.get(page_url)
    assert page.status_code == 200 and "Save definition" not in page.text
    text = (PACKAGED_DIR / "mec.yaml").read_text(encoding="utf-8")
    assert client.post(f"{page_url}/mec", data={"csrf_token": csrf, "yaml": text}).status_code == 403


def test_the_reports_page_generates_a_packet(app: FastAPI, real_team: Team) -> None:
    client, csrf = browser(app, "champion@riverside.example")
    reports_url = f"/programs/{real_team.program.id}/reports"
    page = client.get(reports_url)
    assert '<option value="ibc">Institutional Biosafety Committee</option>' in page.text
    made = client.post(reports_url, data={"csrf_token": csrf, "kind": "ibc", "prepared_for": "IBC"})
    assert made.status_code == 303
    listed = client.get(made.headers["location"])
    assert "Biosafety committee packet" in listed.text
