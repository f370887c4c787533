"""A form sent over its size limit answers the app's error page (413 kept) with a way back; the API keeps JSON."""

from collections.abc import Iterator

from fastapi import FastAPI

from app.config import Settings
from tests.conftest import Team
from tests.web.form_client import as_role

MB = 1024 * 1024


def test_a_pdf_over_the_limit_dropped_on_verify_answers_a_page_with_a_way_back(
    app: FastAPI, team: Team, settings: Settings
) -> None:
    champion = as_role(app, team, "champion")
    assert champion.get("/verify").status_code == 200
    too_big = b"%PDF-1.4\n" + b"x" * (settings.max_upload_bytes + MB)
    answer = champion.client.post("/verify", data={"csrf_token": champion.csrf},
                                  files={"file": ("report.pdf", too_big, "application/pdf")},
                                  headers={"Referer": "http://testserver/verify", "Accept": "text/html"})
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "<title>Too large to send" in page and "<h1>Too large to send</h1>" in page
    megabytes = round(settings.max_upload_bytes / MB)
    assert f"What you sent is larger than this page accepts (at most {megabytes} MB). Nothing was saved" in page
    assert '<a class="button" href="/verify">Go back to the form</a>' in page
    assert 'href="/">Back to the dashboard' in page
    assert '{"detail"' not in page and "Error 413" in page


def test_every_web_form_answers_a_page_declared_or_streamed_and_the_api_keeps_json(
    app: FastAPI, team: Team, settings: Settings
) -> None:
    champion = as_role(app, team, "champion")
    champion.get(f"/programs/{team.program.id}")
    big = b"notes=" + b"x" * (settings.max_body_bytes + MB)
    form = f"/programs/{team.program.id}/items/PHARM-001"
    declared = champion.client.post(form, content=big,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert declared.status_code == 413 and declared.headers["content-type"].startswith("text/html")
    assert "at most 1 MB" in declared.text and 'href="/">Back to the dashboard' in declared.text

    def stream() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    streamed = champion.client.post(form, content=stream(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413 and "<h1>Too large to send</h1>" in streamed.text
    api = team.clients["champion"].post("/api/reports/verify",
                                        files={"file": ("r.pdf", b"x" * (settings.max_upload_bytes + MB))})
    assert api.status_code == 413 and "larger than this address accepts" in api.json()["detail"]
    asks_json = champion.client.post("/verify", content=b"x" * (settings.max_upload_bytes + MB),
                                     headers={"Accept": "application/json", "Content-Type": "application/pdf"})
    assert asks_json.status_code == 413 and "larger than this address accepts" in asks_json.json()["detail"]


def test_the_way_back_never_leaves_the_site(app: FastAPI, team: Team, settings: Settings) -> None:
    champion = as_role(app, team, "champion")
    too_big = b"x" * (settings.max_upload_bytes + MB)
    for referer in ("http://testserver//evil.example/verify", "http://evil.example/verify", "javascript:alert(1)"):
        answer = champion.client.post("/verify", content=too_big,
                                      headers={"Referer": referer, "Content-Type": "application/pdf"})
        assert answer.status_code == 413
        assert "Go back to the form" not in answer.text and "evil" not in answer.text, referer
        assert '<a class="button" href="/">Back to the dashboard</a>' in answer.text


def test_only_a_refusal_of_access_sends_the_person_to_an_administrator(app: FastAPI, team: Team,
                                                                        settings: Settings) -> None:
    champion = as_role(app, team, "champion")
    too_big = champion.client.post("/verify", content=b"x" * (settings.max_upload_bytes + MB),
                                   headers={"Content-Type": "application/pdf"})
    missing = champion.client.get("/programs/00000000-0000-0000-0000-000000000000", headers={"Accept": "text/html"})
    assert too_big.status_code == 413 and "ask an administrator" not in too_big.text
    assert missing.status_code == 404 and "ask an administrator" in missing.text
