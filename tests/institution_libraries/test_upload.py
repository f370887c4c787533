"""An uploaded library is a new version of the institution's own library: stored once, visible to that institution
only, and the library programs are created from and upgraded along like a shipped one."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.institution_libraries.models import InstitutionLibrary
from app.institution_libraries.workbook import library_yaml
from tests.conftest import Team
from tests.institution_libraries.helpers import renamed, upload


def mini_workbook(app: FastAPI, version: str = "1.0.0", library_id: str = "riverside-mini") -> bytes:
    return renamed(app.state.catalog.get("mini", version), library_id)


def test_an_upload_is_stored_as_a_version_of_the_institutions_library(
    app: FastAPI, session: Session, team: Team
) -> None:
    answer = upload(team.clients["champion"], team.institution.id, mini_workbook(app), "Our library.xlsx")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["library_id"], body["version"], body["items"]) == ("riverside-mini", "1.0.0", 6)
    assert body["source_name"] == "Our library.xlsx" and len(body["source_sha256"]) == 64
    assert body["uploaded_by_name"] == team.people["champion"].full_name
    listed = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/libraries").json()
    assert [(v["library_id"], v["version"]) for v in listed] == [("riverside-mini", "1.0.0")]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "library.uploaded")).one()
    assert event.entity_key == "riverside-mini 1.0.0" and event.institution_id == team.institution.id


def test_another_institution_sees_nothing_of_it(app: FastAPI, team: Team, outsider: TestClient) -> None:
    assert upload(team.clients["champion"], team.institution.id, mini_workbook(app)).status_code == 201
    base = f"/api/institutions/{team.institution.id}/libraries"
    assert outsider.get(base).status_code == 404
    assert outsider.get(f"{base}/riverside-mini/1.0.0").status_code == 404
    assert outsider.get(f"{base}/riverside-mini/1.0.0/download").status_code == 404
    assert upload(outsider, team.institution.id, mini_workbook(app, "1.1.0")).status_code == 404
    assert outsider.get("/api/libraries/riverside-mini/1.0.0/download").status_code == 404  # not shipped


def test_a_program_elsewhere_cannot_be_created_from_it(app: FastAPI, team: Team, outsider: TestClient) -> None:
    assert upload(team.clients["champion"], team.institution.id, mini_workbook(app)).status_code == 201
    own = outsider.get("/api/institutions").json()["items"][0]["id"]
    body = {"title": "Borrowed", "library_id": "riverside-mini", "library_version": "1.0.0",
            "products": ["hemgenix"], "care_role": "hub"}
    answer = outsider.post(f"/api/institutions/{own}/programs", json=body)
    assert answer.status_code == 422
    assert "unknown checklist library 'riverside-mini 1.0.0'" in answer.text


def test_only_champions_and_administrators_upload(app: FastAPI, team: Team) -> None:
    answer = upload(team.clients["viewer"], team.institution.id, mini_workbook(app))
    assert answer.status_code == 403
    assert "administrator or champion" in answer.json()["detail"]
    assert upload(team.clients["administrator"], team.institution.id, mini_workbook(app)).status_code == 201


def test_a_shipped_library_id_is_refused(app: FastAPI, team: Team) -> None:
    answer = upload(team.clients["champion"], team.institution.id, mini_workbook(app, "1.0.0", library_id="mini"))
    assert answer.status_code == 409
    assert "'mini' is a shipped library" in answer.json()["detail"]


def test_a_version_is_stored_once_and_new_versions_are_newer(app: FastAPI, session: Session, team: Team) -> None:
    champion = team.clients["champion"]
    assert upload(champion, team.institution.id, mini_workbook(app, "1.1.0")).status_code == 201
    again = upload(champion, team.institution.id, mini_workbook(app, "1.1.0"))
    assert again.status_code == 409 and "version 1.1.0 of library 'riverside-mini' exists" in again.text
    older = upload(champion, team.institution.id, mini_workbook(app, "1.0.0"))
    assert older.status_code == 409 and "older than the newest stored version 1.1.0" in older.text
    assert len(session.exec(select(InstitutionLibrary)).all()) == 1


def test_programs_are_created_from_it_and_upgraded_along_its_versions(app: FastAPI, team: Team) -> None:
    champion = team.clients["champion"]
    assert upload(champion, team.institution.id, mini_workbook(app, "1.0.0")).status_code == 201
    body = {"title": "Our own steps", "library_id": "riverside-mini", "library_version": "1.0.0",
            "products": ["hemgenix"], "care_role": "hub"}
    created = champion.post(f"/api/institutions/{team.institution.id}/programs", json=body)
    assert created.status_code == 201, created.text
    program = created.json()
    assert (program["library_id"], program["library_version"]) == ("riverside-mini", "1.0.0")
    assert upload(champion, team.institution.id, mini_workbook(app, "1.1.0")).status_code == 201
    # The shipped mini 1.0.0 -> 1.1.0 diff, now between the institution's own two versions.
    shipped = team.clients["champion"].get(team.url("/library-diff"), params={"to_version": "1.1.0"}).json()
    diff = champion.get(f"/api/programs/{program['id']}/library-diff", params={"to_version": "1.1.0"})
    assert diff.status_code == 200, diff.text
    assert diff.json()["added"] == shipped["added"] and diff.json()["changed"] == shipped["changed"]
    upgraded = champion.post(f"/api/programs/{program['id']}/library-upgrade", json={"to_version": "1.1.0"})
    assert upgraded.status_code == 200, upgraded.text
    assert champion.get(f"/api/programs/{program['id']}").json()["library_version"] == "1.1.0"
    page = champion.get(f"/programs/{program['id']}/library")
    assert page.status_code == 200


def test_yaml_uploads_and_downloads_as_well(app: FastAPI, team: Team) -> None:
    text = library_yaml(app.state.catalog.get("mini", "1.1.0")).replace("id: mini\n", "id: riverside-mini\n", 1)
    answer = upload(team.clients["champion"], team.institution.id, text.encode(), "library.yaml")
    assert answer.status_code == 201, answer.text
    download = team.clients["viewer"].get(
        f"/api/institutions/{team.institution.id}/libraries/riverside-mini/1.1.0/download", params={"format": "yaml"})
    assert download.status_code == 200
    assert download.text.startswith("id: riverside-mini\nversion: 1.1.0\n")
    workbook = team.clients["viewer"].get(
        f"/api/institutions/{team.institution.id}/libraries/riverside-mini/1.1.0/download")
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert workbook.content.startswith(b"PK")
