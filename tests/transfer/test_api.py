"""`GET /api/programs/{id}/export`: administrators download the archive `gtready import` restores."""

import hashlib
import io
import zipfile

from fastapi.testclient import TestClient

from app.programs.models import Program
from app.transfer.service import import_program
from tests.conftest import Team
from tests.transfer.conftest import Target


def test_an_administrator_downloads_an_archive_that_restores(realistic: Team, target: Target) -> None:
    response = realistic.clients["administrator"].get(realistic.url("/export"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="program-{realistic.program.id}.gtready.zip"'
    )
    summary = import_program(target.session, target.catalog, target.storage, io.BytesIO(response.content))
    assert (summary.items, summary.signoffs, summary.evidence_files, summary.reports) == (5, 2, 3, 1)
    restored = target.session.get(Program, realistic.program.id)
    assert restored is not None and restored.title == realistic.program.title


def test_the_export_is_audited_with_who_and_which_archive(realistic: Team) -> None:
    response = realistic.clients["administrator"].get(realistic.url("/export"))
    assert response.status_code == 200
    events = realistic.clients["administrator"].get(realistic.url("/audit")).json()["items"]
    assert events[0]["action"] == "program.exported" and events[0]["actor_name"] == "Administrator"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        manifest_sha256 = hashlib.sha256(archive.read("manifest.json")).hexdigest()
    assert events[0]["after"]["manifest_sha256"] == manifest_sha256


def test_only_administrators_export(realistic: Team, outsider: TestClient) -> None:
    champion = realistic.clients["champion"].get(realistic.url("/export"))
    assert champion.status_code == 403 and champion.json()["required_roles"] == ["administrator"]
    assert outsider.get(realistic.url("/export")).status_code == 404


def test_export_of_an_unknown_program_is_404(client: TestClient) -> None:
    assert client.get("/api/programs/00000000-0000-4000-8000-000000000000/export").status_code == 404
    assert client.get("/api/programs/not-a-uuid/export").status_code == 422
